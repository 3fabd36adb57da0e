package bench

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/engine"
	"github.com/hyper-nixos/hv/security/threat/logline"
	"github.com/hyper-nixos/hv/security/threat/rules"
)

// TestMatchersAgreeOnGeneratedLog holds the hand-written matchers that
// stand in for the busiest SSH patterns (rules' matcher = "...") to their
// patterns on every line of a generated auth.log: the same submatch
// indexes on each line, and the same findings, byte for byte, from an
// engine whose rules have no matchers.
func TestMatchersAgreeOnGeneratedLog(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the log generator")
	}
	dir := t.TempDir()
	gen := build(t, dir, "authlog", "./tests/bench/authlog")
	log := filepath.Join(dir, "auth.log")
	mustRun(t, "", gen, "-n", "200000", "-seed", "3", "-o", log)
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}

	fast, reference := loadRules(t, true), loadRules(t, false)
	p := logline.NewParser(2026, nil)
	checked := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var l logline.Line
		ok := p.Parse(sc.Bytes(), &l)
		if !ok {
			t.Fatalf("generated line does not parse: %q", sc.Text())
		}
		for _, r := range fast.Rules() {
			if r.Matcher == "" || !r.Prefilter(l.Message) {
				continue
			}
			checked[r.Matcher]++
			if got, want := r.Run(nil, l.Message), r.MatchPattern(l.Message); !slices.Equal(got, want) {
				t.Fatalf("%s on %q: matcher %v, pattern %v", r.ID, l.Message, got, want)
			}
		}
	}
	if len(checked) == 0 {
		t.Fatal("no rule has a matcher")
	}
	t.Logf("lines checked by matcher: %v", checked)

	scan := func(set *rules.Set) []byte {
		var out []byte
		e := engine.New(set, engine.Options{Year: 2026})
		if err := e.Scan(bytes.NewReader(data), "auth.log", func(f threat.Finding) {
			out = append(f.AppendJSON(out), '\n')
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got, want := scan(fast), scan(reference)
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range min(len(gl), len(wl)) {
			if !bytes.Equal(gl[i], wl[i]) {
				t.Fatalf("findings differ without matchers, first at finding %d:\nwith:    %s\nwithout: %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("findings differ without matchers: %d findings with, %d without", len(gl), len(wl))
	}
	t.Logf("%d bytes of findings, the same with and without matchers", len(got))
}

// loadRules compiles the default rules, with their matchers or without.
func loadRules(t *testing.T, matchers bool) *rules.Set {
	t.Helper()
	fsys := content.ThreatRules()
	names, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		t.Fatal(err)
	}
	var all []rules.Rule
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := rules.Parse(n, data)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rs...)
	}
	for i := range all {
		if !matchers {
			all[i].Matcher = ""
		}
	}
	set, err := rules.Compile(all)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
