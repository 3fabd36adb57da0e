package access

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
)

var denied = &vm.ConnectError{URI: "qemu:///system", Cause: vm.CauseDenied, Detail: "authentication unavailable"}

// host is a Hyper-NixOS host as the NixOS module sets it up.
func host(id Identity, rw error) Facts {
	return Facts{Identity: id, Group: "hvoperators", GroupExists: true,
		Libvirt:     Libvirt{URI: "qemu:///system", ReadWrite: rw},
		LibvirtRule: Rule{Installed: true}, ApplyRule: Rule{Installed: true},
		Audit:   Path{Path: "/var/log/hyper-nixos/audit.log", Writable: true, System: true},
		Staging: Path{Path: "/var/lib/hyper-nixos/staged", Writable: true, System: true},
		Apply:   Unit{Name: nix.ApplyUnit, Installed: true}, Phase: phase.Setup}
}

var (
	root     = Identity{User: "root", UID: 0, Groups: []string{"root"}, Member: []string{"root"}}
	operator = Identity{User: "alice", UID: 1000, Groups: []string{"users", "hvoperators"}, Member: []string{"users", "hvoperators"}}
	outsider = Identity{User: "eve", UID: 1001, Groups: []string{"users"}, Member: []string{"users"}}
	joined   = Identity{User: "bob", UID: 1002, Groups: []string{"users"}, Member: []string{"users", "hvoperators"}}
)

func capsOf(f Facts) map[string]Capability {
	out := map[string]Capability{}
	for _, c := range Map(f) {
		out[c.ID] = c
	}
	return out
}

func TestCapabilityMap(t *testing.T) {
	outsiderFacts := host(outsider, denied)
	outsiderFacts.Audit.Writable, outsiderFacts.Staging.Writable = false, false
	outsiderFacts.Audit.Why, outsiderFacts.Staging.Why = "permission denied", "permission denied"
	joinedFacts := host(joined, denied)
	joinedFacts.Staging.Writable = false
	noRule := host(operator, denied)
	noRule.LibvirtRule = Rule{}
	tests := []struct {
		name string
		f    Facts
		can  map[string]bool
		fix  map[string]string // substring of the fix of what they may not
	}{
		{"root", host(root, nil), map[string]bool{WatchVMs: true, ManageVMs: true, StageHost: true, ApplyHost: true,
			AppendAudit: true, Harden: true, LeaveHardened: true, ChangeOperators: true}, nil},
		{"an operator", host(operator, nil), map[string]bool{WatchVMs: true, ManageVMs: true, StageHost: true, ApplyHost: true,
			AppendAudit: true, Harden: true, LeaveHardened: false, ChangeOperators: false},
			map[string]string{LeaveHardened: "run 'hv phase setup' as root", ChangeOperators: "run 'hv wizard' as root"}},
		{"an outsider", outsiderFacts, map[string]bool{WatchVMs: true, ManageVMs: false, StageHost: false, ApplyHost: false,
			AppendAudit: false, Harden: false, LeaveHardened: false},
			map[string]string{ManageVMs: "usermod -aG hvoperators eve", ApplyHost: "add eve to operators.users"}},
		{"added to the group after logging in", joinedFacts, map[string]bool{WatchVMs: true, ManageVMs: false, StageHost: false},
			map[string]string{ManageVMs: "log out and in again (or run 'newgrp hvoperators')"}},
		{"an operator without the polkit rule", noRule, map[string]bool{ManageVMs: false},
			map[string]string{ManageVMs: "cp nix/polkit/50-hyper-nixos.rules /etc/polkit-1/rules.d/"}},
	}
	for _, tt := range tests {
		caps := capsOf(tt.f)
		for id, want := range tt.can {
			c := caps[id]
			if c.Can != want {
				t.Errorf("%s: %s can = %v, want %v (%s)", tt.name, id, c.Can, want, c.Why)
			}
			if c.Why == "" {
				t.Errorf("%s: %s says no why", tt.name, id)
			}
			if !c.Can && c.Fix == "" && id != ApplyHost {
				t.Errorf("%s: %s may not, with no fix", tt.name, id)
			}
			if !c.Can && strings.Contains(c.Fix, "root") && c.Root == "" && !strings.Contains(c.Fix, "log out") {
				t.Errorf("%s: %s needs root without saying why: %+v", tt.name, id, c)
			}
		}
		for id, want := range tt.fix {
			if !strings.Contains(caps[id].Fix, want) {
				t.Errorf("%s: %s fix %q lacks %q", tt.name, id, caps[id].Fix, want)
			}
		}
	}
	if c := capsOf(host(joined, denied))[ManageVMs]; c.Root != "" {
		t.Errorf("logging in again needs no root: %+v", c)
	}
}

func TestNoLibvirtNoSystemd(t *testing.T) {
	f := host(operator, errors.New("down"))
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

func TestFindRule(t *testing.T) {
	dir := t.TempDir()
	nixos := filepath.Join(dir, "10-nixos.rules")
	own := filepath.Join(dir, "50-hyper-nixos.rules")
	files := []string{own, nixos}
	body := nix.PolkitRuleBody(nix.PolkitLibvirtRule, "ops")
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
	os.WriteFile(own, []byte(nix.PolkitRuleBody(nix.PolkitLibvirtRule, "hvoperators")), 0o644)
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
