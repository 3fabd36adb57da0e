package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/store"
)

const hostileLog = "Nov 26 07:00:01 h sshd[9]: Invalid user \x1b]0;PWNED\x07\x1b[2J\x1b[31mx from 10.66.66.66 port 22 from 203.0.113.5 port 4444\n" +
	"Nov 26 07:00:02 h sshd[9]: Failed password for invalid user \x1b]0;PWNED\x07\x1b[2J\x1b[31mx from 10.66.66.66 port 22 from 203.0.113.5 port 4444 ssh2\n" +
	"Nov 26 07:00:03 h kernel: [1.2] evil\x9b2J: module verification failed: signature and/or required key missing - tainting kernel\n"

func scanFile(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "auth.log")
	if err := os.WriteFile(path, []byte(hostileLog), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := runWith(append([]string{"threats", "scan", path, "--rules", t.TempDir()}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// Escape sequences in logs come out of 'hv threats scan' as inert text,
// in the table and in JSON.
func TestScanOutputIsInert(t *testing.T) {
	for _, args := range [][]string{nil, {"--json"}} {
		out, errs, code := scanFile(t, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		for _, bad := range []string{"\x1b", "\x07", "\u009b"} {
			if strings.Contains(out, bad) {
				t.Errorf("%v: output carries %q:\n%q", args, bad, out)
			}
		}
		if !strings.Contains(out, "203.0.113.5") || strings.Contains(out, "ip=10.66.66.66") {
			t.Errorf("%v: the real address should be reported, never the injected one:\n%s", args, out)
		}
	}
}

func TestScanJSONFields(t *testing.T) {
	out, _, code := scanFile(t, "--json")
	if code != 0 {
		t.Fatal(code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 findings, got:\n%s", out)
	}
	var f struct {
		Line     int      `json:"line"`
		Rule     string   `json:"rule"`
		Severity string   `json:"severity"`
		Tags     []string `json:"tags"`
		IP       string   `json:"ip"`
		User     string   `json:"user"`
		Service  string   `json:"service"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &f); err != nil {
		t.Fatal(err)
	}
	if f.Line != 2 || f.Rule != "ssh.failed-auth" || f.Severity != "low" || f.IP != "203.0.113.5" || f.Service != "ssh" ||
		!strings.HasPrefix(f.User, "\x1b]0;PWNED") || !strings.Contains(strings.Join(f.Tags, ","), "auth-failure") {
		t.Errorf("finding %+v", f)
	}
}

func TestScanErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runWith([]string{"threats", "scan", "/nonexistent/auth.log"}, strings.NewReader(""), &out, &errb); code != 1 || !strings.Contains(errb.String(), "no such file") {
		t.Errorf("missing file: exit %d %q", code, errb.String())
	}
	errb.Reset()
	if code := runWith([]string{"threats", "scan"}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Errorf("missing argument: exit %d", code)
	}
	errb.Reset()
	if code := runWith([]string{"threats", "scan", "-", "--select", "nosuchtag"}, strings.NewReader(""), &out, &errb); code != 2 || !strings.Contains(errb.String(), "no rule has that tag") {
		t.Errorf("bad tag: exit %d %q", code, errb.String())
	}
}

func TestReportWithoutDatabaseSaysWhy(t *testing.T) {
	var out, errb bytes.Buffer
	code := runWith([]string{"threats", "report", "--db", filepath.Join(t.TempDir(), "none.db")}, strings.NewReader(""), &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "monitor service") {
		t.Errorf("exit %d: %q", code, errb.String())
	}
}

func TestReportFormats(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	st, err := store.Open(context.Background(), db, false)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Add(context.Background(), []threat.Finding{
		{Time: time.Now().Add(-time.Hour), Rule: "ssh.failed-auth", Title: "SSH brute force", Severity: threat.High, Kind: threat.KindThreshold,
			IP: "203.0.113.5", User: "x|y\x1b[2J", Tags: []string{"ssh"}},
		{Time: time.Now().Add(-48 * time.Hour), Rule: "event.crashed", Title: "VM crashed", Severity: threat.High, Kind: threat.KindMatch, VM: "old"},
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"", "--json", "--markdown"} {
		var out, errb bytes.Buffer
		args := []string{"threats", "report", "--db", db, "--since", "24h"}
		if format != "" {
			args = append(args, format)
		}
		if code := runWith(args, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("%s: exit %d %s", format, code, errb.String())
		}
		s := out.String()
		if strings.Contains(s, "\x1b") || !strings.Contains(s, "203.0.113.5") || strings.Contains(s, "VM crashed") {
			t.Errorf("%s report:\n%s", format, s)
		}
		if format == "--markdown" && !strings.Contains(s, `x\|y`) {
			t.Errorf("markdown must escape table separators:\n%s", s)
		}
	}
}

// 'hv threats undo ID' reverses a playbook's action through the
// hypervisor, audits it, marks it undone, and refuses what cannot be
// undone with the reason.
func TestThreatsUndo(t *testing.T) {
	t.Setenv(audit.PathEnv, filepath.Join(t.TempDir(), "audit.log"))
	db := filepath.Join(t.TempDir(), "t.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db, false)
	if err != nil {
		t.Fatal(err)
	}
	// The demo host has a paused VM: as if a playbook had paused it.
	paused := &store.Action{Time: time.Now(), Finding: 3, Playbook: "pause-miner", Action: "pause-vm", Target: "dev-sandbox", Mode: "enforce", Result: "ok", Undo: `{"do":"resume-vm","target":"dev-sandbox"}`}
	watched := &store.Action{Time: time.Now(), Finding: 4, Playbook: "block-ssh-brute-force", Action: "block-ip", Target: "203.0.113.5", Mode: "monitor", Result: "would block-ip"}
	st.AddAction(ctx, paused)
	st.AddAction(ctx, watched)
	st.Close()
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := runWith(append([]string{"--demo", "threats"}, args...), strings.NewReader(""), &out, &errb)
		return out.String(), errb.String(), code
	}
	if out, errs, code := run("actions", "--db", db); code != 0 || !strings.Contains(out, "pause-vm") || !strings.Contains(out, "(undoable)") {
		t.Fatalf("actions: exit %d %s%s", code, out, errs)
	}
	if _, errs, code := run("undo", fmt.Sprint(watched.ID), "--db", db, "--yes"); code == 0 || !strings.Contains(errs, "never carried out") {
		t.Errorf("undo of a monitor-only action: exit %d %q", code, errs)
	}
	if _, errs, code := run("undo", "999", "--db", db, "--yes"); code == 0 || !strings.Contains(errs, "no action 999") {
		t.Errorf("undo of no action: exit %d %q", code, errs)
	}
	if out, errs, code := run("undo", fmt.Sprint(paused.ID), "--db", db, "--yes"); code != 0 || !strings.Contains(out, "undone: pause-vm dev-sandbox") {
		t.Fatalf("undo: exit %d %s%s", code, out, errs)
	}
	entries, _ := audit.Open(os.Getenv(audit.PathEnv)).Read()
	found := false
	for _, e := range entries {
		found = found || e.Action == "threat.resume-vm" && strings.HasPrefix(e.Target, "dev-sandbox") && e.Result == audit.OK
	}
	if !found {
		t.Errorf("the undo is not in the audit trail: %+v", entries)
	}
	if _, errs, code := run("undo", fmt.Sprint(paused.ID), "--db", db, "--yes"); code == 0 || !strings.Contains(errs, "undone already") {
		t.Errorf("a second undo: exit %d %q", code, errs)
	}
}

// 'hv threats feeds update' downloads lists from a server the test runs;
// 'hv threats feeds' shows them with their age, and a failed download
// beside the list that stays.
func TestThreatsFeeds(t *testing.T) {
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "; Spamhaus DROP List\n203.0.113.0/24 ; SBL1\n198.51.100.0/24 ; SBL2\n")
	}))
	defer srv.Close()
	dir := t.TempDir()
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := runWith(append([]string{"threats", "feeds"}, args...), strings.NewReader(""), &out, &errb)
		return out.String(), errb.String(), code
	}
	if out, errs, code := run("update", "--dir", dir, "spamhaus_drop="+srv.URL+"/drop.txt"); code != 0 || !strings.Contains(out, "spamhaus_drop: 2 entries") {
		t.Fatalf("update: exit %d %s%s", code, out, errs)
	}
	fail = true
	if _, errs, code := run("update", "--dir", dir, "spamhaus_drop="+srv.URL+"/drop.txt"); code == 0 || !strings.Contains(errs, "503") || !strings.Contains(errs, "previous lists stay") {
		t.Errorf("a failed update: exit %d %q", code, errs)
	}
	out, _, code := run("--dir", dir)
	if code != 0 || !strings.Contains(out, "spamhaus_drop") || !strings.Contains(out, "2 entries  0 min old") || !strings.Contains(out, "last download failed") {
		t.Errorf("feeds:\n%s", out)
	}
	if _, errs, code := run("update", "--dir", dir, "no-url"); code != 2 || !strings.Contains(errs, "NAME=URL") {
		t.Errorf("a bad feed: exit %d %q", code, errs)
	}
}
