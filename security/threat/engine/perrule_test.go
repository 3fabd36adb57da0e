package engine

import (
	"bufio"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/threat/logline"
	"github.com/hyper-nixos/hv/security/threat/rules"
)

// TestPerRule prints where matching time goes on $HV_BENCH_LOG.
func TestPerRule(t *testing.T) {
	path := os.Getenv("HV_BENCH_LOG")
	if path == "" {
		t.Skip()
	}
	set, _ := rules.Load(content.ThreatRules())
	f, _ := os.Open(path)
	sc := bufio.NewScanner(f)
	p := logline.NewParser(2026, nil)
	cost := map[string]time.Duration{}
	calls := map[string]int{}
	hits := map[string]int{}
	var l logline.Line
	for sc.Scan() {
		p.Parse(sc.Bytes(), &l)
		for _, r := range set.For(l.Program).Candidates(l.Message) {
			t0 := time.Now()
			m := r.Match(l.Message)
			cost[r.ID] += time.Since(t0)
			calls[r.ID]++
			if m != nil {
				hits[r.ID]++
				break
			}
		}
	}
	var ids []string
	for id := range cost {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return cost[ids[i]] > cost[ids[j]] })
	for _, id := range ids[:15] {
		t.Logf("%-40s %8v calls=%7d hits=%7d per-call=%v", id, cost[id], calls[id], hits[id], cost[id]/time.Duration(calls[id]))
	}
}

func TestParseAddr(t *testing.T) {
	for in, want := range map[string]string{"1.2.3.4": "1.2.3.4", "255.255.255.255": "255.255.255.255", "256.1.1.1": "invalid IP",
		"01.2.3.4": "invalid IP", "1.2.3": "invalid IP", "1.2.3.4.5": "invalid IP", "::ffff:1.2.3.4": "1.2.3.4", "2001:db8::1": "2001:db8::1",
		"x": "invalid IP", "1..2.3": "invalid IP", "": "invalid IP", "0.0.0.0": "0.0.0.0"} {
		if got := parseAddr([]byte(in)).String(); got != want {
			t.Errorf("parseAddr(%q) = %s, want %s", in, got, want)
		}
	}
}
