package access

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/security/polkit"
	"github.com/hyper-nixos/hv/vm"
)

var (
	root     = Identity{User: "root", UID: 0, Groups: []string{"root"}, Member: []string{"root"}}
	operator = Identity{User: "alice", UID: 1000, Groups: []string{"users", "hvoperators"}, Member: []string{"users", "hvoperators"}}
	outsider = Identity{User: "eve", UID: 1001, Groups: []string{"users"}, Member: []string{"users"}}
	joined   = Identity{User: "bob", UID: 1002, Groups: []string{"users"}, Member: []string{"users", "hvoperators"}}
)

// every is each of hv's polkit actions, as hv's rule grants them to the group.
var every = func() []string {
	var ids []string
	for _, a := range polkit.Actions {
		ids = append(ids, a.ID)
	}
	return ids
}()

// host is a Hyper-NixOS host as the NixOS module sets it up, seen by id:
// root talks to libvirt directly and owns the files; anyone else has
// read-only libvirt, and the daemon, whose polkit grants them allowed
// besides looking.
func host(id Identity, allowed ...string) Facts {
	f := Facts{Identity: id, Group: "hvoperators", GroupExists: true,
		Daemon:  Daemon{Socket: "/run/hv/hv.sock", Phase: "setup", URI: "qemu:///system", Allowed: withRead(allowed)},
		Libvirt: Libvirt{URI: "qemu:///system", ReadWrite: ErrNotAsked},
		Rule:    Rule{Unreadable: "/etc/polkit-1/rules.d is readable by root and polkitd only"},
		Audit:   Path{Path: "/var/log/hyper-nixos/audit.log", Why: "permission denied", System: true},
		Staging: Path{Path: "/var/lib/hyper-nixos/staged", Why: "permission denied", System: true},
		Apply:   Unit{Name: nix.ApplyUnit, Installed: true}, Phase: phase.Setup}
	if id.Root() {
		f.Libvirt.ReadWrite = nil
		f.Rule = Rule{File: "/etc/polkit-1/rules.d/50-hyper-nixos.rules", Installed: true}
		f.Audit.Writable, f.Audit.Why, f.Staging.Writable, f.Staging.Why = true, "", true, ""
	}
	return f
}

// withRead adds looking, which hv's policy grants everyone, to allowed.
func withRead(allowed []string) []string {
	if slices.Contains(allowed, polkit.Read) {
		return allowed
	}
	return append([]string{polkit.Read}, allowed...)
}

func capsOf(f Facts) map[string]Capability {
	out := map[string]Capability{}
	for _, c := range Map(f) {
		out[c.ID] = c
	}
	return out
}

func TestCapabilityMap(t *testing.T) {
	with := func(f Facts, change func(*Facts)) Facts { change(&f); return f }
	vmOnly := []string{polkit.VMLifecycle, polkit.VMConsole}
	local := func(f *Facts) { // a host without the daemon, where libvirt itself grants read-write
		f.Daemon = Daemon{Socket: "/run/hv/hv.sock", Missing: true}
		f.Libvirt.ReadWrite = nil
	}
	type want struct {
		can               map[string]bool
		why, fix, whyRoot map[string]string // substrings, by capability
		noRoot            []string          // capabilities whose fix needs no root
	}
	tests := []struct {
		name string
		f    Facts
		want want
	}{
		{"root", host(root), want{can: map[string]bool{WatchVMs: true, ManageVMs: true, StageHost: true, ApplyHost: true,
			ReadAudit: true, RecordAudit: true, Harden: true, LeaveHardened: true, ChangeOperators: true},
			why: map[string]string{ManageVMs: "you are root: hv talks to libvirt at qemu:///system directly, read-write"}}},
		{"an operator, granted every action", host(operator, every...), want{can: map[string]bool{WatchVMs: true, ManageVMs: true,
			StageHost: true, ApplyHost: true, ReadAudit: true, RecordAudit: true, Harden: true, LeaveHardened: false, ChangeOperators: false},
			why: map[string]string{WatchVMs: "the hv daemon and read-only libvirt at qemu:///system answer you",
				ManageVMs: "polkit grants you lifecycle, create, edit, delete, delete with disks, console, snapshots, networks, storage; " +
					"the daemon checks each request against the setup phase",
				ApplyHost: "the hv daemon starts it as root", RecordAudit: "recorded by the hv daemon, refusals included; nobody else may write the trail"},
			fix:     map[string]string{LeaveHardened: "run 'hv phase setup' as root", ChangeOperators: "run 'hv wizard' as root"},
			whyRoot: map[string]string{ChangeOperators: "membership grants every hv action through the daemon"}}},
		{"an outsider", host(outsider), want{can: map[string]bool{WatchVMs: true, ManageVMs: false, StageHost: false, ApplyHost: false,
			ReadAudit: false, RecordAudit: true, Harden: false, LeaveHardened: false},
			why: map[string]string{ManageVMs: "polkit grants hv's actions to the hvoperators group, and you are not in it"},
			fix: map[string]string{ManageVMs: "usermod -aG hvoperators eve", StageHost: "add eve to operators.users",
				ApplyHost: "add eve to operators.users", ReadAudit: "usermod -aG hvoperators eve"},
			whyRoot: map[string]string{ManageVMs: "membership of the operators group lets a user run hv's actions through the daemon, which checks each against the phase and the payload policy"}}},
		{"added to the group after logging in", host(joined), want{can: map[string]bool{ManageVMs: false, StageHost: false},
			fix: map[string]string{ManageVMs: "log out and in again (or run 'newgrp hvoperators')"}, noRoot: []string{ManageVMs, StageHost}}},
		{"no operators group", with(host(outsider), func(f *Facts) { f.GroupExists = false }), want{can: map[string]bool{ManageVMs: false},
			fix: map[string]string{ManageVMs: "enable services.hyper-nixos (it creates hvoperators), then as root name eve in operators.users"}}},
		{"an operator without hv's rule", with(host(operator), func(f *Facts) { f.Rule = Rule{} }), want{can: map[string]bool{ManageVMs: false, StageHost: false},
			why: map[string]string{ManageVMs: "hv's polkit rule is not installed"},
			fix: map[string]string{ManageVMs: "cp nix/polkit/50-hyper-nixos.rules /etc/polkit-1/rules.d/"}, whyRoot: map[string]string{ManageVMs: "polkit rules"}}},
		{"an operator with an old rule", with(host(operator), func(f *Facts) { f.Rule = Rule{File: "/etc/polkit-1/rules.d/50-hyper-nixos.rules", Differs: true} }),
			want{can: map[string]bool{ManageVMs: false}, why: map[string]string{ManageVMs: "50-hyper-nixos.rules is not hv's rule"},
				fix: map[string]string{ManageVMs: "cp nix/polkit/50-hyper-nixos.rules"}}},
		{"an operator granted nothing", host(operator), want{can: map[string]bool{ManageVMs: false},
			why: map[string]string{ManageVMs: "polkit grants you none of hv's actions"}, fix: map[string]string{ManageVMs: "that polkitd runs"}}},
		{"an operator narrowed by a local rule", host(operator, vmOnly...), want{can: map[string]bool{ManageVMs: true, StageHost: false, ApplyHost: false, ReadAudit: false},
			why: map[string]string{ManageVMs: "polkit grants you lifecycle, console; it withholds create, edit, delete, delete with disks, snapshots, networks, storage",
				StageHost: "polkit withholds what this needs (stage host changes) from you", ReadAudit: "(read the trail)"},
			fix: map[string]string{StageHost: "remove the rule that withholds " + polkit.FeatureStage}}},
		{"no daemon", with(host(operator), func(f *Facts) { f.Daemon = Daemon{Socket: "/run/hv/hv.sock", Missing: true} }),
			want{can: map[string]bool{WatchVMs: true, ManageVMs: false, StageHost: false, ReadAudit: false, RecordAudit: false},
				why:     map[string]string{ManageVMs: "no socket at /run/hv/hv.sock", RecordAudit: "only the hv daemon records operators' changes"},
				fix:     map[string]string{ManageVMs: "systemctl enable --now hv.socket", RecordAudit: "systemctl enable --now hv.socket"},
				whyRoot: map[string]string{ManageVMs: "the daemon holds read-write libvirt"}}},
		{"the daemon down", with(host(operator), func(f *Facts) {
			f.Daemon = Daemon{Socket: "/run/hv/hv.sock", Err: errors.New("the hv daemon does not answer (connect: connection refused)")}
		}),
			want{can: map[string]bool{ManageVMs: false}, why: map[string]string{ManageVMs: "the hv daemon does not answer (connect: connection refused)"},
				fix: map[string]string{ManageVMs: "systemctl restart hv.socket hv.service"}}},
		{"read-write libvirt where no daemon runs", with(host(operator), local), want{can: map[string]bool{ManageVMs: true, StageHost: false, ApplyHost: false},
			why: map[string]string{ManageVMs: "gives you read-write access directly, which is as good as root", StageHost: "no socket"},
			fix: map[string]string{StageHost: "systemctl enable --now hv.socket"}}},
		{"a trail operators may write", with(host(operator, every...), func(f *Facts) { f.Audit.Writable = true }),
			want{can: map[string]bool{RecordAudit: false}, why: map[string]string{RecordAudit: "anyone in your place could rewrite what was done"},
				fix:     map[string]string{RecordAudit: "chmod 0700 /var/log/hyper-nixos && chmod 0600 /var/log/hyper-nixos/audit.log"},
				whyRoot: map[string]string{RecordAudit: "the trail is root's alone"}}},
		{"the demo host", with(host(outsider), func(f *Facts) {
			local(f)
			f.Demo, f.Daemon = true, Daemon{Err: errors.New("the demo host runs inside hv, without a daemon")}
			f.Staging = Path{Path: "/home/eve/.local/state/hv/demo/staged", Writable: true, System: true}
			f.Audit = Path{Path: "/home/eve/.local/state/hv/demo/audit.log", Writable: true}
			f.Apply = Unit{Name: nix.ApplyUnit, Unknown: "the demo host has no apply service"}
		}), want{can: map[string]bool{ManageVMs: true, StageHost: true, ApplyHost: false, ReadAudit: true, RecordAudit: true, Harden: false},
			why: map[string]string{ManageVMs: "the demo host lives in hv's memory", ApplyHost: "systemd cannot be asked here"}}},
		{"root without read-write libvirt", with(host(root), func(f *Facts) {
			f.Libvirt.ReadWrite = &vm.ConnectError{URI: "qemu:///system", Cause: vm.CauseNoDaemon}
			f.Libvirt.ReadOnly = f.Libvirt.ReadWrite
		}), want{can: map[string]bool{WatchVMs: false, ManageVMs: false}, why: map[string]string{ManageVMs: "refuses root a read-write connection"}}},
		{"a hardened host", with(host(operator, every...), func(f *Facts) { f.Phase = phase.Hardened }),
			want{can: map[string]bool{Harden: true, LeaveHardened: false}, why: map[string]string{Harden: "hardened already"}}},
		{"no systemd", with(host(operator, every...), func(f *Facts) { f.Apply.Unknown = "systemd is not running" }),
			want{can: map[string]bool{StageHost: true, ApplyHost: false, Harden: false}, why: map[string]string{ApplyHost: "systemd cannot be asked here (systemd is not running)"}}},
		{"no apply service", with(host(operator, every...), func(f *Facts) { f.Apply.Installed = false }),
			want{can: map[string]bool{ApplyHost: false, Harden: false}, fix: map[string]string{ApplyHost: "enable services.hyper-nixos", Harden: "enable services.hyper-nixos"}}},
	}
	for _, tt := range tests {
		caps := capsOf(tt.f)
		if len(caps) != 9 {
			t.Fatalf("%s: %d capabilities", tt.name, len(caps))
		}
		for id, c := range caps {
			if c.Why == "" {
				t.Errorf("%s: %s says no why", tt.name, id)
			}
			// Only what no command of the user's can change (systemd is not
			// there) goes without a fix.
			if !c.Can && c.Fix == "" && !strings.Contains(c.Why, "systemd cannot be asked") && !strings.Contains(c.Why, "cannot happen here") {
				t.Errorf("%s: %s may not, with no fix: %+v", tt.name, id, c)
			}
			if !c.Can && strings.Contains(c.Fix, "as root") && c.Root == "" {
				t.Errorf("%s: %s needs root without saying why: %+v", tt.name, id, c)
			}
		}
		w := tt.want
		for id, want := range w.can {
			if c := caps[id]; c.Can != want {
				t.Errorf("%s: %s can = %v, want %v (%s)", tt.name, id, c.Can, want, c.Why)
			}
		}
		for _, m := range []struct {
			field string
			want  map[string]string
			of    func(Capability) string
		}{{"why", w.why, func(c Capability) string { return c.Why }}, {"fix", w.fix, func(c Capability) string { return c.Fix }},
			{"why root", w.whyRoot, func(c Capability) string { return c.Root }}} {
			for id, want := range m.want {
				if got := m.of(caps[id]); !strings.Contains(got, want) {
					t.Errorf("%s: %s %s %q lacks %q", tt.name, id, m.field, got, want)
				}
			}
		}
		for _, id := range w.noRoot {
			if c := caps[id]; c.Root != "" {
				t.Errorf("%s: %s needs no root: %+v", tt.name, id, c)
			}
		}
	}
}

func TestNoLibvirtNoSystemd(t *testing.T) {
	f := host(operator)
	f.Daemon = Daemon{Socket: "/run/hv/hv.sock", Missing: true}
	f.Libvirt.ReadOnly = &vm.ConnectError{URI: "qemu:///system", Cause: vm.CauseNoDaemon}
	f.Apply = Unit{Name: nix.ApplyUnit, Unknown: "systemd is not running"}
	caps := capsOf(f)
	if caps[WatchVMs].Can || caps[WatchVMs].Fix == "" {
		t.Errorf("watch: %+v", caps[WatchVMs])
	}
	if a := caps[ApplyHost]; a.Can || !strings.Contains(a.Why, "systemd cannot be asked here") {
		t.Errorf("apply: %+v", a)
	}
}

// TestEveryActionNamed: each of hv's polkit actions has a name for people,
// so the map never leaves a grant out.
func TestEveryActionNamed(t *testing.T) {
	var named []string
	for _, a := range actions {
		named = append(named, a.id)
	}
	if !slices.Equal(named, every) {
		t.Errorf("actions %v, polkit.Actions %v", named, every)
	}
	if got := Words([]string{polkit.Storage, polkit.VMLifecycle}); got != "lifecycle, storage" {
		t.Errorf("Words in the policy's order: %q", got)
	}
	if d := (Daemon{Socket: "s", Allowed: every}); !GrantsAll(d) {
		t.Error("every action granted")
	}
	if d := (Daemon{Socket: "s", Allowed: every[1:]}); GrantsAll(d) {
		t.Error("one action withheld")
	}
}

// TestGatherTakesTheDaemonsPhase: the phase the daemon enforces binds,
// whatever the host file this user reads says.
func TestGatherTakesTheDaemonsPhase(t *testing.T) {
	w := Where{Group: "hvoperators", Phase: phase.Setup, ApplyUnit: nix.ApplyUnit, UnitLoaded: func(string) (bool, error) { return true, nil }}
	d := Daemon{Socket: "/run/hv/hv.sock", Phase: "hardened", Allowed: []string{polkit.Read}}
	if f := Gather(w, Libvirt{}, d); f.Phase != phase.Hardened {
		t.Errorf("the daemon enforces hardened: %s", f.Phase)
	}
	d.Err = errors.New("connection refused")
	if f := Gather(w, Libvirt{}, d); f.Phase != phase.Setup {
		t.Errorf("a daemon that does not answer says nothing: %s", f.Phase)
	}
}

func TestFindRule(t *testing.T) {
	dir := t.TempDir()
	nixos := filepath.Join(dir, "10-nixos.rules")
	own := filepath.Join(dir, "50-hyper-nixos.rules")
	files := []string{own, nixos}
	body := nix.PolkitRuleBody(nix.PolkitRule, "ops")
	if r := findRule(files, body, "50-hyper-nixos.rules"); r.Installed || !r.Known() {
		t.Errorf("no files: %+v", r)
	}
	// NixOS joins extraConfig into one file, indented its own way.
	indented := "polkit.addRule(function(a){});\n" + strings.ReplaceAll("\n"+body, "\n", "\n    ") + "\n"
	os.WriteFile(nixos, []byte(indented), 0o644)
	if r := findRule(files, body, "50-hyper-nixos.rules"); !r.Installed || r.File != nixos {
		t.Errorf("in 10-nixos.rules: %+v", r)
	}
	os.Remove(nixos)
	os.WriteFile(own, []byte(nix.PolkitRuleBody(nix.PolkitRule, "hvoperators")), 0o644)
	if r := findRule(files, body, "50-hyper-nixos.rules"); r.Installed || !r.Differs {
		t.Errorf("a rule for another group: %+v", r)
	}
}

func TestWritable(t *testing.T) {
	dir := t.TempDir()
	if p := writable(filepath.Join(dir, "new", "audit.log"), true); !p.Writable {
		t.Errorf("a file to be created in a writable tree: %+v", p)
	}
	if p := writable(filepath.Join(dir, "missing"), false); p.Writable || !strings.Contains(p.Why, "does not exist") {
		t.Errorf("a missing directory: %+v", p)
	}
}
