package response

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/content"
	auditlog "github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/store"
	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

type fakeFirewall struct{ blocked map[netip.Addr]time.Duration }

func (f *fakeFirewall) Block(_ context.Context, a netip.Addr, d time.Duration) error {
	f.blocked[a] = d
	return nil
}
func (f *fakeFirewall) Unblock(_ context.Context, a netip.Addr) error {
	delete(f.blocked, a)
	return nil
}

// fakeVMs records what playbooks ask of the hypervisor; the real tier
// (tests/real) runs them against libvirt.
type fakeVMs struct {
	paused  map[string]bool
	cut     map[string]bool
	taken   []vm.SnapshotSpec
	deleted []string
	failMem bool
}

func (f *fakeVMs) Pause(_ context.Context, ref string) error  { f.paused[ref] = true; return nil }
func (f *fakeVMs) Resume(_ context.Context, ref string) error { delete(f.paused, ref); return nil }
func (f *fakeVMs) SetLinks(_ context.Context, ref string, up bool) error {
	f.cut[ref] = !up
	return nil
}

func (f *fakeVMs) CreateSnapshot(_ context.Context, ref string, spec vm.SnapshotSpec) (vm.Snapshot, error) {
	if f.failMem && spec.Memory {
		return vm.Snapshot{}, errors.New("memory snapshots unsupported")
	}
	f.taken = append(f.taken, spec)
	return vm.Snapshot{Name: spec.Name}, nil
}

func (f *fakeVMs) DeleteSnapshot(_ context.Context, ref, name string) error {
	f.deleted = append(f.deleted, ref+"/"+name)
	return nil
}

func newRunner(t *testing.T, enable ...string) (*Runner, *fakeFirewall, *fakeVMs, string) {
	t.Helper()
	cfg, err := LoadConfig(content.ThreatPlaybooks, "")
	if err != nil {
		t.Fatal(err)
	}
	pbs := cfg.Playbooks
	for i := range pbs {
		for _, id := range enable {
			if pbs[i].ID == id {
				pbs[i].Enabled = true
			}
		}
	}
	fw, vms := &fakeFirewall{blocked: map[netip.Addr]time.Duration{}}, &fakeVMs{paused: map[string]bool{}, cut: map[string]bool{}}
	audit := filepath.Join(t.TempDir(), "audit.log")
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	r := &Runner{Playbooks: pbs, Do: Responder{Firewall: fw, VMs: vms}, Audit: &Trail{Log: auditlog.Open(audit), Where: "test"}, Actor: "hv-monitor",
		Now: func() time.Time { return now }}
	return r, fw, vms, audit
}

var brute = threat.Finding{ID: 7, Rule: "ssh.failed-auth", Kind: threat.KindThreshold, Severity: threat.High, Tags: []string{"ssh", "auth-failure"}, IP: "203.0.113.5"}

func TestMonitorOnlyByDefault(t *testing.T) {
	r, fw, _, audit := newRunner(t)
	acts := r.Handle(context.Background(), brute)
	if len(acts) != 1 || acts[0].Mode != "monitor" || acts[0].Result != "would block-ip" {
		t.Fatalf("actions %+v", acts)
	}
	if len(fw.blocked) != 0 {
		t.Error("a monitor-only playbook must not act")
	}
	lines := readAudit(t, audit)
	if len(lines) != 1 || lines[0].Action != "threat.monitor.block-ip" || !strings.HasPrefix(lines[0].Target, "203.0.113.5 ") {
		t.Errorf("audit %+v", lines)
	}
}

func TestEnabledActsOncePerCooldownAndUndoes(t *testing.T) {
	r, fw, _, audit := newRunner(t, "block-ssh-brute-force")
	var acts []store.Action
	for i := 0; i < 50; i++ { // a storm
		acts = append(acts, r.Handle(context.Background(), brute)...)
	}
	if len(acts) != 1 || acts[0].Mode != "enforce" || acts[0].Result != "ok" {
		t.Fatalf("a storm should act once: %+v", acts)
	}
	if d := fw.blocked[netip.MustParseAddr("203.0.113.5")]; d != 24*time.Hour {
		t.Errorf("blocked for %v", d)
	}
	if err := r.Undo(context.Background(), acts[0], "alice"); err != nil {
		t.Fatal(err)
	}
	if len(fw.blocked) != 0 {
		t.Error("undo should unblock")
	}
	lines := readAudit(t, audit)
	if len(lines) != 2 || lines[0].Action != "threat.block-ip" || lines[1].User != "alice" || lines[1].Action != "threat.unblock-ip" {
		t.Errorf("audit %+v", lines)
	}
	if _, err := auditlog.Open(audit).Verify(); err != nil {
		t.Errorf("the trail's chain is broken: %v", err)
	}
}

func TestRunNowActsEvenWhenMonitorOnly(t *testing.T) {
	r, _, vms, _ := newRunner(t)
	f := threat.Finding{ID: 9, Rule: "anomaly.miner", Kind: threat.KindAnomaly, Severity: threat.High, VM: "web 01"}
	a, err := r.RunNow(context.Background(), "pause-miner", f, "alice")
	if err != nil || !vms.paused["web 01"] || a.Mode != "enforce" {
		t.Fatalf("RunNow = %+v, %v", a, err)
	}
	if _, err := r.RunNow(context.Background(), "block-ssh-brute-force", f, "alice"); err == nil || !strings.Contains(err.Error(), "source address") {
		t.Errorf("blocking a finding without an address should say why, got %v", err)
	}
	if err := r.Undo(context.Background(), a, "alice"); err != nil || vms.paused["web 01"] {
		t.Errorf("undo: %v", err)
	}
	if err := r.Undo(context.Background(), store.Action{Mode: "monitor"}, "alice"); err == nil || !strings.Contains(err.Error(), "nothing to undo") {
		t.Error("nothing to undo for a monitor-only action")
	}
}

func TestUnavailableActionSaysWhy(t *testing.T) {
	r, _, _, audit := newRunner(t, "snapshot-escape-attempt", "block-ssh-brute-force")
	r.Do.VMs, r.Do.NoVMs = nil, "your libvirt access is read-only"
	r.Do.Firewall = nil
	f := threat.Finding{Rule: "apparmor.qemu-denied-sensitive", Severity: threat.Critical, Tags: []string{"escape"}, VM: "web-01"}
	acts := r.Handle(context.Background(), f)
	if len(acts) == 0 || acts[0].Playbook != "snapshot-escape-attempt" || !strings.Contains(acts[0].Result, "read-only") {
		t.Errorf("actions %+v", acts)
	}
	if lines := readAudit(t, audit); len(lines) == 0 || lines[0].Result != auditlog.Refused {
		t.Errorf("an unavailable action is audited as refused: %+v", lines)
	}
	opts := r.For(brute)
	for _, o := range opts {
		if o.Action == BlockIP && !strings.Contains(o.Unavailable, "needs root") {
			t.Errorf("blocking without a firewall should say it needs root: %+v", o)
		}
	}
	if _, err := r.RunNow(context.Background(), "block-ssh-brute-force", brute, "alice"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("running an unavailable playbook: %v", err)
	}
}

func TestBadPlaybooks(t *testing.T) {
	for _, tt := range []struct{ toml, want string }{
		{`[[playbook]]
id = "x"
title = "t"
action = "reboot-host"
when = { min_severity = "high" }`, "action"},
		{`[[playbook]]
id = "x"
title = "t"
action = "notify"`, "when needs"},
		{`[[playbook]]
id = "x"
title = "t"
action = "notify"
cooldown = "often"
when = { min_severity = "high" }`, "cooldown"},
	} {
		if _, err := LoadConfig([]byte(tt.toml), ""); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("got %v, want %q", err, tt.want)
		}
	}
}

func TestLocalFileEnablesAPlaybook(t *testing.T) {
	local := filepath.Join(t.TempDir(), "playbooks.toml")
	os.WriteFile(local, []byte(`[[playbook]]
id = "pause-miner"
enabled = true
cooldown = "2h"

[notify]
command = ["/usr/local/bin/page-oncall", "--team", "infra"]
webhook = "https://hooks.example/hv"
`), 0o600)
	cfg, err := LoadConfig(content.ThreatPlaybooks, local)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cfg.Playbooks {
		if p.ID == "pause-miner" && (!p.Enabled || p.cooldown != 2*time.Hour || p.Action != PauseVM) {
			t.Errorf("the local switches should apply to the built-in playbook: %+v", p)
		}
	}
	if ns := cfg.Notify.Notifiers(nil); len(ns) != 2 || ns.String() != "the command /usr/local/bin/page-oncall, the webhook https://hooks.example/hv" {
		t.Errorf("notifiers %v", ns)
	}
	os.WriteFile(local, []byte("[notify]\nwebhook = \"ftp://x\"\n"), 0o600)
	if _, err := LoadConfig(content.ThreatPlaybooks, local); err == nil || !strings.Contains(err.Error(), "http") {
		t.Errorf("a webhook that is no URL: %v", err)
	}
}

func readAudit(t *testing.T, path string) []auditlog.Entry {
	t.Helper()
	es, err := auditlog.Open(path).Read()
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestNFTCommands(t *testing.T) {
	var calls []string
	n := &NFT{Run: func(_ context.Context, stdin, name string, args ...string) (string, error) {
		call := name + " " + strings.Join(args, " ")
		calls = append(calls, call)
		if strings.HasPrefix(call, "nft list") {
			return "", errors.New("No such file or directory")
		}
		return "", nil
	}}
	if err := n.Block(context.Background(), netip.MustParseAddr("2001:db8::1"), 90*time.Minute); err != nil {
		t.Fatal(err)
	}
	want := []string{"nft list table inet hv", "nft -f -", "nft add element inet hv blocked6 { 2001:db8::1 timeout 5400s }"}
	if strings.Join(calls, "|") != strings.Join(want, "|") {
		t.Errorf("calls %q", calls)
	}
	if err := n.Block(context.Background(), netip.MustParseAddr("127.0.0.1"), time.Hour); err == nil {
		t.Error("never block loopback")
	}
}

// TestNFTReal blocks and unblocks in a private network namespace, where
// nothing else on the machine is affected. Needs root and nft.
func TestNFTReal(t *testing.T) {
	need.Root(t, "for a network namespace")
	need.Tool(t, "nft", "apt-get install nftables")
	need.Tool(t, "unshare", "apt-get install util-linux")
	// Every nft call runs in the same fresh namespace, held by a sleeper.
	holder := exec.Command("unshare", "--net", "sleep", "30")
	if err := holder.Start(); err != nil {
		t.Fatal("cannot create a network namespace:", err)
	}
	defer holder.Process.Kill()
	time.Sleep(100 * time.Millisecond)
	ns := "/proc/" + strconv.Itoa(holder.Process.Pid) + "/ns/net"
	n := &NFT{Run: func(ctx context.Context, stdin, name string, args ...string) (string, error) {
		return Exec(ctx, stdin, "nsenter", append([]string{"--net=" + ns, name}, args...)...)
	}}
	ctx := context.Background()
	addr := netip.MustParseAddr("203.0.113.77")
	if err := n.Block(ctx, addr, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := n.Block(ctx, netip.MustParseAddr("203.0.113.78"), time.Hour); err != nil {
		t.Fatal("a second block must reuse the table:", err)
	}
	out, err := n.Run(ctx, "", "nft", "list", "set", "inet", "hv", "blocked4")
	if err != nil || !strings.Contains(out, "203.0.113.77") {
		t.Fatalf("set: %s %v", out, err)
	}
	rules, _ := n.Run(ctx, "", "nft", "list", "chain", "inet", "hv", "input")
	if strings.Count(rules, "@blocked4") != 1 {
		t.Errorf("the drop rule should exist once:\n%s", rules)
	}
	if err := n.Unblock(ctx, addr); err != nil {
		t.Fatal(err)
	}
	if err := n.Unblock(ctx, addr); err != nil {
		t.Error("unblocking twice is fine:", err)
	}
	out, _ = n.Run(ctx, "", "nft", "list", "set", "inet", "hv", "blocked4")
	if strings.Contains(out, "203.0.113.77") {
		t.Error("still blocked")
	}
}

// A forensic snapshot keeps memory when it can, the disks otherwise, and
// undoing it deletes it.
func TestForensicSnapshot(t *testing.T) {
	r, _, vms, _ := newRunner(t, "snapshot-escape-attempt")
	vms.failMem = true
	f := threat.Finding{ID: 3, Rule: "apparmor.qemu-denied-sensitive", Title: "escape", Severity: threat.Critical, Tags: []string{"escape"}, VM: "web-01"}
	acts := r.Handle(context.Background(), f)
	if len(acts) == 0 || acts[0].Result != "ok" || len(vms.taken) != 1 || !vms.taken[0].DiskOnly {
		t.Fatalf("actions %+v taken %+v", acts, vms.taken)
	}
	if err := r.Undo(context.Background(), acts[0], "alice"); err != nil || len(vms.deleted) != 1 || !strings.HasPrefix(vms.deleted[0], "web-01/forensics-") {
		t.Errorf("undo: %v %v", err, vms.deleted)
	}
}

// Isolating a VM cuts its links; undoing it reconnects them.
func TestIsolateAndReconnect(t *testing.T) {
	r, _, vms, audit := newRunner(t)
	f := threat.Finding{ID: 4, Rule: "anomaly.net-tx", Kind: threat.KindAnomaly, Severity: threat.High, VM: "db-1"}
	a, err := r.RunNow(context.Background(), "isolate-exfiltration", f, "alice")
	if err != nil || !vms.cut["db-1"] || !Undoable(a) {
		t.Fatalf("isolate: %+v %v", a, err)
	}
	if err := r.Undo(context.Background(), a, "alice"); err != nil || vms.cut["db-1"] {
		t.Fatalf("reconnect: %v", err)
	}
	lines := readAudit(t, audit)
	if len(lines) != 2 || lines[1].Action != "threat.links-up" || lines[1].User != "alice" || lines[1].Result != auditlog.OK {
		t.Errorf("audit %+v", lines)
	}
}

// Cooldowns outlive a restart: a new runner told the stored actions does
// not act again on the same target within the cooldown.
func TestCooldownsSurviveARestart(t *testing.T) {
	r, fw, _, _ := newRunner(t, "block-ssh-brute-force")
	acts := r.Handle(context.Background(), brute)
	if len(acts) != 1 || len(fw.blocked) != 1 {
		t.Fatalf("first: %+v", acts)
	}
	again, fw2, _, _ := newRunner(t, "block-ssh-brute-force")
	again.Restore(acts)
	if acts := again.Handle(context.Background(), brute); len(acts) != 0 || len(fw2.blocked) != 0 {
		t.Errorf("after a restart the cooldown should hold: %+v", acts)
	}
	later, _, _, _ := newRunner(t, "block-ssh-brute-force")
	later.Restore(acts)
	later.Now = func() time.Time { return acts[0].Time.Add(2 * time.Hour) }
	if acts := later.Handle(context.Background(), brute); len(acts) != 1 {
		t.Errorf("after the cooldown it acts again: %+v", acts)
	}
}

// permitVMs stands for the hv daemon's client: it knows which changes
// polkit grants its user (vm.Permitter).
type permitVMs struct {
	*fakeVMs
	withheld map[string]string
}

func (p permitVMs) Permitted(change string) string { return p.withheld[change] }

// Through the hv daemon, a playbook or undo whose change polkit withholds
// is shown with the daemon's reason before anything is tried; the others
// run. Every route named is one the hv API has.
func TestWithheldChangesAreUnavailable(t *testing.T) {
	r, _, vms, _ := newRunner(t)
	r.Do.VMs = permitVMs{vms, map[string]string{"vm.links": "polkit does not grant you org.hyper-nixos.hv.vm.lifecycle"}}
	f := threat.Finding{ID: 4, Rule: "anomaly.net-tx", Kind: threat.KindAnomaly, Severity: threat.High, VM: "db-1"}
	for _, o := range r.For(f) {
		switch o.Action {
		case IsolateVM:
			if !strings.Contains(o.Unavailable, "polkit") {
				t.Errorf("isolating with vm.links withheld: %+v", o)
			}
		case PauseVM, SnapshotVM:
			if o.Unavailable != "" {
				t.Errorf("%s is granted: %+v", o.Action, o)
			}
		}
	}
	if _, err := r.RunNow(context.Background(), "isolate-exfiltration", f, "alice"); !errors.Is(err, ErrUnavailable) || vms.cut["db-1"] {
		t.Errorf("isolating anyway: %v, cut %v", err, vms.cut)
	}
	for _, a := range []string{PauseVM, IsolateVM, SnapshotVM, resumeVM, linksUp, deleteSnapshot} {
		if api.Find(Route(a)).Name == "" {
			t.Errorf("%s: the hv API has no route %q", a, Route(a))
		}
	}
}
