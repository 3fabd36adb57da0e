package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/security/threat"
)

func TestRoundTripAndQueries(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := Open(ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	fs := []threat.Finding{
		{Time: now.Add(-time.Hour), Rule: "ssh.failed-auth", Title: "t", Severity: threat.Low, Kind: threat.KindMatch, Tags: []string{"ssh", "auth-failure"}, IP: "203.0.113.5", User: "root", Evidence: "Failed \x1b[2J"},
		{Time: now.Add(-30 * time.Minute), Rule: "ssh.failed-auth", Title: "t", Severity: threat.High, Kind: threat.KindThreshold, IP: "203.0.113.5", Count: 5, Fields: map[string]string{"method": "password"}},
		{Time: now.Add(-48 * time.Hour), Rule: "event.crashed", Title: "VM crashed", Severity: threat.High, Kind: threat.KindMatch, VM: "web-01"},
	}
	if err := s.Add(ctx, fs); err != nil {
		t.Fatal(err)
	}
	if fs[0].ID == 0 || fs[1].ID == fs[0].ID {
		t.Fatal("IDs not set")
	}
	got, err := s.List(ctx, Query{Since: now.Add(-24 * time.Hour)})
	if err != nil || len(got) != 2 || got[0].Kind != threat.KindThreshold || got[1].Evidence != "Failed \x1b[2J" || got[0].Fields["method"] != "password" {
		t.Fatalf("List = %+v, %v", got, err)
	}
	if len(got[1].Tags) != 2 || got[1].State != threat.Open {
		t.Errorf("tags/state not kept: %+v", got[1])
	}
	if err := s.SetState(ctx, fs[0].ID, threat.Acknowledged); err != nil {
		t.Fatal(err)
	}
	if err := s.SetState(ctx, 999, threat.Resolved); err == nil {
		t.Error("unknown id must fail")
	}
	open, _ := s.List(ctx, Query{States: []threat.State{threat.Open}, MinSeverity: threat.High})
	if len(open) != 2 {
		t.Errorf("open high findings: %d", len(open))
	}
	counts, _ := s.Counts(ctx, now.Add(-24*time.Hour))
	if counts[threat.Low] != 1 || counts[threat.High] != 1 {
		t.Errorf("counts %v", counts)
	}
	top, _ := s.Top(ctx, "ip", time.Time{}, 5)
	if len(top) != 1 || top[0] != (Count{"203.0.113.5", 2}) {
		t.Errorf("top %v", top)
	}
	if _, err := s.Top(ctx, "evidence; DROP TABLE findings", time.Time{}, 5); err == nil {
		t.Error("Top must refuse unknown columns")
	}
	tl, _ := s.Timeline(ctx, now.Add(-2*time.Hour), 30*time.Minute, 4)
	if tl[2] != 1 || tl[3] != 1 {
		t.Errorf("timeline %v", tl)
	}
	if err := s.SetMeta(ctx, "journal.cursor", "s=abc"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Meta(ctx, "journal.cursor"); v != "s=abc" {
		t.Errorf("meta %q", v)
	}
	a := Action{Time: now, Finding: fs[1].ID, Playbook: "block", Action: "block-ip", Target: "203.0.113.5", Mode: "monitor", Result: "ok", Undo: "unblock-ip 203.0.113.5"}
	if err := s.AddAction(ctx, &a); err != nil || a.ID == 0 {
		t.Fatal(err)
	}
	s.MarkUndone(ctx, a.ID)
	as, _ := s.Actions(ctx, 10)
	if len(as) != 1 || !as[0].Undone {
		t.Errorf("actions %+v", as)
	}

	// A reader in read-only mode sees the writer's data (WAL).
	r, err := Open(ctx, path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if all, _ := r.List(ctx, Query{}); len(all) != 3 {
		t.Errorf("reader sees %d findings", len(all))
	}
	if err := r.SetState(ctx, fs[0].ID, threat.Resolved); err == nil {
		t.Error("a read-only store must refuse writes")
	}
}

// Top ranks threats: normal activity (logins) is left out however much of
// it there is, while a threshold on such a rule (a reboot loop) counts.
func TestTopLeavesOutActivity(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	login := threat.Finding{Time: now, Rule: "ssh.login", Title: "SSH login", Kind: threat.KindMatch, Tags: []string{"ssh", "login", threat.TagActivity}, IP: "192.0.2.10", User: "alice"}
	loop := threat.Finding{Time: now, Rule: "event.rebooted", Title: "VM in a reboot loop", Severity: threat.Medium, Kind: threat.KindThreshold, Tags: []string{"lifecycle", threat.TagActivity}, VM: "web-01"}
	fail := threat.Finding{Time: now, Rule: "ssh.failed-auth", Title: "t", Severity: threat.Low, Kind: threat.KindMatch, Tags: []string{threat.TagAuthFailure}, IP: "203.0.113.5", User: "root"}
	if err := s.Add(ctx, []threat.Finding{login, login, login, loop, fail}); err != nil {
		t.Fatal(err)
	}
	if top, _ := s.Top(ctx, "ip", time.Time{}, 5); len(top) != 1 || top[0] != (Count{"203.0.113.5", 1}) {
		t.Errorf("top sources: %v", top)
	}
	if top, _ := s.Top(ctx, "user", time.Time{}, 5); len(top) != 1 || top[0].Value != "root" {
		t.Errorf("top users: %v", top)
	}
	if top, _ := s.Top(ctx, "vm", time.Time{}, 5); len(top) != 1 || top[0].Value != "web-01" {
		t.Errorf("top VMs: %v (the reboot loop counts)", top)
	}
}
