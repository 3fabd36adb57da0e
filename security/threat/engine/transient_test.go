package engine

import (
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/rules"
)

// Transient findings are the findings an engine copies, even when the
// line they came from is overwritten as soon as it is matched: those that
// wait for their connection's address and the thresholds keyed by a
// field of the line keep their own copy. The lines: the corpus, failures
// logged before their connection's address, and every rule's examples,
// 24 times in a minute, so that every threshold fires.
func TestTransientFindingsAreTheSame(t *testing.T) {
	var lines []string
	for _, c := range readCorpus(t) {
		lines = append(lines, c.line)
	}
	for i := range 3 {
		lines = append(lines,
			fmt.Sprintf("Nov 26 07:00:0%d h sshd[%d]: User games not allowed because account is locked", i, 80+i),
			fmt.Sprintf("Nov 26 07:00:0%d h sshd[%d]: Connection closed by authenticating user games 203.0.113.%d port 4 [preauth]", i, 80+i, 10+i))
	}
	names, _ := fs.Glob(content.ThreatRules(), "*.toml")
	for _, n := range names {
		data, _ := fs.ReadFile(content.ThreatRules(), n)
		rs, err := rules.Parse(n, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			prog := "kernel"
			if len(r.Programs) > 0 && !strings.ContainsAny(r.Programs[0], "!*") {
				prog = r.Programs[0]
			}
			for i := range 24 {
				for _, ex := range r.Examples {
					lines = append(lines, fmt.Sprintf("Nov 26 08:00:%02d h %s[%d]: %s", i, prog, 100+i, ex))
				}
			}
		}
	}
	run := func(transient bool) []threat.Finding {
		e := New(defaults(t), Options{Year: 2026, Transient: transient})
		var out []threat.Finding
		keep := func(f threat.Finding) { out = append(out, deepCopy(f)) }
		buf := make([]byte, 0, 4096)
		for i, l := range lines {
			buf = append(buf[:0], l...)
			e.Line(buf, "test", i+1, keep)
			for j := range buf {
				buf[j] = '#' // what a reader's next line does to the last
			}
		}
		e.Flush(keep)
		return out
	}
	copied, transient := run(false), run(true)
	thresholds := map[string]int{}
	for _, f := range copied {
		if f.Kind == threat.KindThreshold {
			thresholds[f.Rule]++
		}
	}
	if len(copied) < len(lines)/2 || thresholds["apparmor.qemu-denied"] == 0 || thresholds["event.rebooted"] == 0 { // keyed by a field of the line
		t.Fatalf("the test finds too little to compare: %d findings, thresholds %v", len(copied), thresholds)
	}
	if len(transient) != len(copied) {
		t.Fatalf("%d transient findings, %d copied", len(transient), len(copied))
	}
	for i := range copied {
		if !reflect.DeepEqual(transient[i], copied[i]) {
			t.Fatalf("finding %d:\ntransient %+v\n   copied %+v", i, transient[i], copied[i])
		}
	}
	t.Logf("%d lines, %d findings, thresholds %v", len(lines), len(copied), thresholds)
}

// deepCopy is f with text of its own, as an emit that keeps it must make.
func deepCopy(f threat.Finding) threat.Finding {
	c := own(f)
	c.IP, c.Intel = strings.Clone(f.IP), strings.Clone(f.Intel)
	c.Tags = append([]string(nil), f.Tags...)
	return c
}
