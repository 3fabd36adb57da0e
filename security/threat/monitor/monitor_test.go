package monitor

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/anomaly"
	"github.com/hyper-nixos/hv/security/threat/engine"
	"github.com/hyper-nixos/hv/security/threat/response"
	"github.com/hyper-nixos/hv/security/threat/rules"
	"github.com/hyper-nixos/hv/security/threat/source"
	"github.com/hyper-nixos/hv/security/threat/store"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/demo"
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

// The metrics loop feeds the detector while housekeeping saves it: the
// two must not race (go test -race).
func TestSavingBaselinesBesideObserve(t *testing.T) {
	set, _ := rules.Load(content.ThreatRules())
	m := New(set, engine.Options{Year: 2026})
	pts, _ := anomaly.Synthesize(anomaly.SynthConfig{VMs: 2, Days: 1, Step: time.Minute, Seed: 1})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < len(pts); i += 50 {
			m.Observe(pts[i:min(i+50, len(pts))])
		}
	}()
	for i := 0; i < 20; i++ {
		if err := m.SaveAnomalies(io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	<-done
}

// AppArmor names a VM's QEMU profile libvirt-<uuid>: the finding names
// the VM.
func TestEscapeFindingNamesTheVM(t *testing.T) {
	ctx := context.Background()
	hv, err := demo.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hv.Close()
	vms, _ := hv.List(ctx)
	v := vms[0]
	set, _ := rules.Load(content.ThreatRules())
	m := New(set, engine.Options{Year: 2026})
	m.VMs = hv
	m.Handle(source.Item{Source: "kern.log", Line: []byte(`Nov 26 07:00:01 h kernel: [1.2] audit: type=1400 audit(1.2:3): apparmor="DENIED" operation="open" profile="libvirt-` +
		v.UUID + `" name="/etc/shadow" pid=4242 comm="qemu-system-x86" requested_mask="r" denied_mask="r" fsuid=64055 ouid=0`)})
	m.Flush(ctx)
	snap := m.View().Snapshot(fixed, 5)
	if len(snap.Recent) != 1 || snap.Recent[0].VM != v.Name || !snap.Recent[0].HasTag("escape") {
		t.Fatalf("findings %+v, want the escape attempt of %s", snap.Recent, v.Name)
	}
}

// An operator who cannot write the findings database is told so, up
// front and when trying, never with SQLite's words.
func TestReadOnlyDatabase(t *testing.T) {
	if os.Geteuid() == 0 { // root writes any file
		asNobody(t, "^TestReadOnlyDatabase$")
		return
	}
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "threats.db")
	st, _ := store.Open(ctx, db, false)
	fs := []threat.Finding{{Time: fixed, Rule: "r", Title: "t", Severity: threat.High, Kind: threat.KindMatch}}
	st.Add(ctx, fs)
	st.Close()
	os.Chmod(db, 0o444)
	os.Chmod(dir, 0o555)
	defer os.Chmod(dir, 0o755)
	f, err := OpenFeed(ctx, FeedOptions{DB: db, StateDir: dir, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !strings.Contains(f.Describe(), "Read-only for you") {
		t.Errorf("describe: %q", f.Describe())
	}
	if err := f.SetState(ctx, fs[0], threat.Acknowledged); err == nil || strings.Contains(err.Error(), "readonly") || !strings.Contains(err.Error(), "Read-only for you") {
		t.Errorf("acknowledging: %v", err)
	}
}

// The service's baselines that this user cannot read are said to be so,
// not shown as "no VM metrics yet".
func TestUnreadableBaselines(t *testing.T) {
	dir := t.TempDir()
	if sp, why := readSparks(filepath.Join(dir, "anomaly.json")); sp != nil || why != "" {
		t.Errorf("no file: %v %q", sp, why)
	}
	os.WriteFile(filepath.Join(dir, "anomaly.json"), []byte("{"), 0o600)
	if _, why := readSparks(filepath.Join(dir, "anomaly.json")); !strings.Contains(why, "not readable") {
		t.Errorf("broken file: %q", why)
	}
	if os.Geteuid() != 0 {
		os.Chmod(filepath.Join(dir, "anomaly.json"), 0)
		if _, why := readSparks(filepath.Join(dir, "anomaly.json")); !strings.Contains(why, "readers group") {
			t.Errorf("unreadable file: %q", why)
		}
	}
}

// Where no journald runs (this machine), the journal is not claimed as
// watched, though journalctl exits 0.
func TestNoJournaldNoJournal(t *testing.T) {
	o := FeedOptions{JournalSocket: filepath.Join(t.TempDir(), "none"), Journalctl: "true"}
	if why := journalUnreadable(context.Background(), o); why != "journald does not run here" {
		t.Errorf("why = %q", why)
	}
	f, err := startLocal(context.Background(), mustRules(t), &response.Runner{}, &noticeBoard{}, o)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if d := f.Describe(); !strings.Contains(d, "Not read: the journal (journald does not run here)") || strings.Contains(d, "over the journal") {
		t.Errorf("describe: %q", d)
	}
}

func mustRules(t *testing.T) *rules.Set {
	t.Helper()
	set, err := rules.Load(content.ThreatRules())
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// Notifications sent by the monitor service come to the dashboard as
// notices, once each, with their finding's title.
func TestStoreNotices(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "threats.db")
	st, _ := store.Open(ctx, db, false)
	fs := []threat.Finding{{Time: fixed, Rule: "account.uid0-created", Title: "New account with UID 0", Severity: threat.Critical, Kind: threat.KindMatch, User: "toor"}}
	st.Add(ctx, fs)
	st.AddAction(ctx, &store.Action{Time: fixed, Finding: fs[0].ID, Playbook: "notify-critical", Action: "notify", Target: "account.uid0-created", Mode: "enforce", Result: "ok"})
	st.AddAction(ctx, &store.Action{Time: fixed, Finding: fs[0].ID, Playbook: "notify-critical", Action: "notify", Target: "x", Mode: "monitor", Result: "would notify"})
	st.Close()
	f, err := OpenFeed(ctx, FeedOptions{DB: db, StateDir: dir, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ns, err := f.Notices(ctx, 0)
	if err != nil || len(ns) != 1 || ns[0].Title != "New account with UID 0" || ns[0].Severity != threat.Critical || ns[0].Who != "user=toor" {
		t.Fatalf("notices %+v %v", ns, err)
	}
	if again, _ := f.Notices(ctx, ns[0].ID); len(again) != 0 {
		t.Errorf("a notice comes once: %+v", again)
	}
}

// readOnlyAsked is a writable connection hv was told to use read-only
// (hv --read-only).
type readOnlyAsked struct{ vm.Hypervisor }

func (readOnlyAsked) Access() vm.Access { return vm.ReadOnlyAsked }

// hv --read-only offers no playbook that changes a VM, and says why, even
// where the user may change VMs.
func TestReadOnlyAskedRunsNoVMPlaybook(t *testing.T) {
	ctx := context.Background()
	h, err := demo.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	f, err := OpenFeed(ctx, FeedOptions{Demo: true, Static: true, HV: readOnlyAsked{h}, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	finding := threat.Finding{ID: 1, Rule: "anomaly.net-tx", Kind: threat.KindAnomaly, Severity: threat.High, VM: "web-01"}
	vmActions := 0
	for _, o := range f.Playbooks(finding) {
		if o.Action == response.PauseVM || o.Action == response.IsolateVM || o.Action == response.SnapshotVM {
			vmActions++
			if !strings.Contains(o.Unavailable, "--read-only") {
				t.Errorf("%s under --read-only: %+v", o.Action, o)
			}
		}
	}
	if vmActions == 0 {
		t.Fatal("no VM playbook applies to the finding: the test proves nothing")
	}
}

// The dashboard's top sources and targets are of threats: logins are
// counted, not ranked; a port scan's info drops still rank its source.
func TestTopSourcesLeaveOutActivity(t *testing.T) {
	v := NewView()
	var fs []threat.Finding
	for range 3 {
		fs = append(fs, threat.Finding{Time: fixed, Rule: "ssh.login", Kind: threat.KindMatch, Tags: []string{"login", threat.TagActivity}, IP: "192.0.2.10", User: "alice"})
		fs = append(fs, threat.Finding{Time: fixed, Rule: "firewall.drop", Kind: threat.KindMatch, IP: "198.51.100.200"})
	}
	v.add(fs)
	snap := v.Snapshot(fixed, 30)
	if len(snap.Sources) != 1 || snap.Sources[0] != (store.Count{Value: "198.51.100.200", N: 3}) || len(snap.Targets) != 0 {
		t.Errorf("sources %v, targets %v", snap.Sources, snap.Targets)
	}
	if snap.Counts[threat.Info] != 6 {
		t.Errorf("every finding is still counted: %v", snap.Counts)
	}
}

// asNobody runs the tests pattern names in a copy of this test binary as
// the unprivileged user nobody (the binary's own directory is private to
// root), and fails t with their output when they do not pass.
func asNobody(t *testing.T, pattern string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "hv-monitor-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "monitor.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run", pattern, "-test.v", "-test.count=1")
	cmd.Dir, cmd.Env = dir, []string{"HOME=" + dir, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: ") {
		t.Errorf("as nobody: %v\n%s", err, out)
	}
}
