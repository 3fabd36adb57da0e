package host

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/hyper-nixos/hv/security/access"
	"github.com/hyper-nixos/hv/security/hostcheck"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/security/polkit"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

// diagnose is what hv doctor would find for id on a machine without KVM,
// through the hv daemon, whose polkit grants id allowed besides looking.
func diagnose(id access.Identity, allowed ...string) Diagnose {
	f := access.Facts{Identity: id, Group: "hvoperators", GroupExists: true, Phase: phase.Setup,
		Daemon: access.Daemon{Socket: "/run/hv/hv.sock", Phase: "setup", URI: "qemu:///system",
			Allowed: withRead(allowed)},
		Libvirt: access.Libvirt{URI: "qemu:///system", ReadWrite: access.ErrNotAsked},
		Rule:    access.Rule{Unreadable: "/etc/polkit-1/rules.d is readable by root and polkitd only"},
		Audit:   access.Path{Path: "/var/log/hyper-nixos/audit.log", Why: "permission denied", System: true},
		Staging: access.Path{Path: "/var/lib/hyper-nixos/staged", Why: "permission denied", System: true},
		Apply:   access.Unit{Name: "hyper-nixos-apply.service", Installed: true}}
	cpu := hostcheck.CPU([]byte("flags : fpu hypervisor\n"), nil)
	checks := []hostcheck.Check{cpu, hostcheck.IOMMU("/nonexistent"),
		hostcheck.KVM("/nonexistent", cpu, hostcheck.Libvirt{Accel: "qemu", NoKVM: vm.NoHardwareVirt}),
		hostcheck.LibvirtCheck(hostcheck.Libvirt{URI: "qemu:///system", Access: vm.ReadOnly, Daemon: true}),
		hostcheck.DiskSpace("/var/lib/libvirt/images", "/var/lib/libvirt/images", 150<<30, 500<<30),
	}
	return func(context.Context) (*access.Report, error) {
		return &access.Report{Facts: f, Capabilities: access.Map(f), Host: checks}, nil
	}
}

var (
	eve   = access.Identity{User: "eve", UID: 1001, Groups: []string{"users"}, Member: []string{"users"}}
	alice = access.Identity{User: "alice", UID: 1000, Groups: []string{"users", "hvoperators"}, Member: []string{"users", "hvoperators"}}
	// every is each of hv's polkit actions, as hv's rule grants them to operators.
	every = func() []string {
		var ids []string
		for _, a := range polkit.Actions {
			ids = append(ids, a.ID)
		}
		return ids
	}()
)

// withRead adds looking, which hv's policy grants everyone, to allowed.
func withRead(allowed []string) []string {
	if slices.Contains(allowed, polkit.Read) {
		return allowed
	}
	return append([]string{polkit.Read}, allowed...)
}

func open(t *testing.T, w, h int, term string, who access.Identity, d Diagnose) (*uitest.Harness, *Model) {
	hv := uitest.DemoReadOnly(t) // as the daemon's client is for whom polkit grants no change
	if who.User == alice.User {
		hv = uitest.Demo(t)
	}
	c := uitest.Common(hv, w, h)
	if term != "" {
		c.Glyphs = ui.GlyphsFor(term)
		c.Styles = ui.NewStyles(ui.DefaultPalette, c.Glyphs)
	}
	c.User = who.User
	m := New(c, "hv daemon at /run/hv/hv.sock", d)
	return uitest.NewHarness(t, m), m
}

func TestGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		w, h int
		who  access.Identity
		d    Diagnose
	}{
		{"outsider-80x24", 80, 24, eve, diagnose(eve)},
		{"outsider-120x40", 120, 40, eve, diagnose(eve)},
		{"operator-120x40", 120, 40, alice, diagnose(alice, every...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := open(t, tt.w, tt.h-3, "linux", tt.who, tt.d)
			h.Press("down") // onto "manage VMs": why (not), the fix, why root
			golden.RequireEqual(t, h.View())
		})
	}
}

// TestEveryRefusalSaysTheFixAndWhyRoot: moving onto each thing the user
// may not do shows the exact command and why root must run it.
func TestEveryRefusalSaysTheFixAndWhyRoot(t *testing.T) {
	h, m := open(t, 100, 40, "", eve, diagnose(eve))
	h.Press("g")
	seen := map[string]bool{}
	for range m.items() {
		id := m.Focused()
		seen[id] = true
		if id == access.ManageVMs {
			view := strings.Join(strings.Fields(h.View()), " ")
			for _, want := range []string{"no manage VMs", "fix: as root: add eve to operators.users", "usermod -aG hvoperators eve",
				"root is needed: membership of the operators group"} {
				if !strings.Contains(view, want) {
					t.Errorf("manage VMs lacks %q:\n%s", want, h.View())
				}
			}
		}
		h.Press("down")
	}
	if !seen[access.ChangeOperators] || !seen["kvm"] {
		t.Errorf("the cursor should reach every capability and check: %v", seen)
	}
}
