package monitor

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/engine"
	"github.com/hyper-nixos/hv/security/threat/rules"
	"github.com/hyper-nixos/hv/security/threat/source"
	"github.com/hyper-nixos/hv/security/threat/store"
)

var fixed = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestDemoFeedShowsFindingsAndAMiner(t *testing.T) {
	f, err := OpenFeed(context.Background(), FeedOptions{Demo: true, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, err := f.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.Mode() != "demo" || snap.Counts[threat.Critical] == 0 || len(snap.Sources) == 0 || len(snap.Sparks) == 0 {
		t.Fatalf("demo snapshot too empty: %+v", snap.Counts)
	}
	var miner, escape bool
	for _, r := range snap.Recent {
		miner = miner || r.Rule == "anomaly.miner"
		escape = escape || strings.Contains(r.Evidence, "\x1b]0;PWNED")
	}
	if !miner || !escape {
		t.Errorf("the demo should show the miner (%v) and the line with escapes (%v)", miner, escape)
	}
}

func TestMonitorStoresAndRemembersPositions(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "t.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	set, _ := rules.Load(content.ThreatRules())
	m := New(set, engine.Options{Year: 2026})
	m.Store = st
	var pos string
	m.OnPosition = func(src, p string) { pos = src + "@" + p }
	m.Handle(source.Item{Line: []byte("Nov 26 07:00:01 h sshd[1]: Failed password for root from 203.0.113.5 port 1 ssh2"), Source: "/var/log/auth.log", Position: "7:100"})
	m.Handle(source.Item{Line: []byte("Nov 26 07:00:02 h sshd[2]: Accepted publickey for alice from 198.51.100.7 port 2 ssh2"), Source: "/var/log/auth.log", Position: "7:200"})
	m.Flush(ctx)
	got, _ := st.List(ctx, store.Query{})
	if len(got) != 1 || got[0].IP != "203.0.113.5" {
		t.Errorf("stored %+v: info findings are counted, not stored", got)
	}
	if pos != "/var/log/auth.log@7:200" {
		t.Errorf("position %q", pos)
	}
	snap := m.View().Snapshot(fixed, 5)
	if snap.Counts[threat.Low] != 1 || snap.Counts[threat.Info] != 1 || snap.Lines != 2 {
		t.Errorf("view counts %+v lines %d", snap.Counts, snap.Lines)
	}
}
