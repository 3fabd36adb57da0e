package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/hyper-nixos/hv/security/access"
	"github.com/hyper-nixos/hv/security/hostcheck"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

// outsider is the report of a user outside the operators group on a
// machine without KVM, as hv doctor would make it.
func outsider(context.Context) (*access.Report, error) {
	f := access.Facts{Identity: access.Identity{User: "eve", UID: 1001, Groups: []string{"users"}, Member: []string{"users"}},
		Group: "hvoperators", GroupExists: true,
		Libvirt:     access.Libvirt{URI: "qemu:///system", ReadWrite: errors.New("permission denied")},
		LibvirtRule: access.Rule{Unreadable: "/etc/polkit-1/rules.d is readable by root and polkitd only"},
		Audit:       access.Path{Path: "/var/log/hyper-nixos/audit.log", Why: "permission denied", System: true},
		Staging:     access.Path{Path: "/var/lib/hyper-nixos/staged", Why: "permission denied", System: true},
		Apply:       access.Unit{Name: "hyper-nixos-apply.service", Installed: true}}
	checks := []hostcheck.Check{
		hostcheck.CPU([]byte("flags : fpu hypervisor\n"), nil),
		hostcheck.IOMMU("/nonexistent"),
		hostcheck.KVM("/nonexistent", hostcheck.CPU([]byte("flags : fpu hypervisor\n"), nil), hostcheck.Libvirt{Accel: "qemu", NoKVM: vm.NoHardwareVirt}),
		hostcheck.LibvirtCheck(hostcheck.Libvirt{URI: "qemu:///system", Access: vm.ReadOnly}),
		hostcheck.DiskSpace("/var/lib/libvirt/images", "/var/lib/libvirt/images", 150<<30, 500<<30),
	}
	return &access.Report{Facts: f, Capabilities: access.Map(f), Host: checks}, nil
}

func open(t *testing.T, w, h int, term string) (*uitest.Harness, *Model) {
	c := uitest.Common(uitest.DemoReadOnly(t), w, h)
	if term != "" {
		c.Glyphs = ui.GlyphsFor(term)
		c.Styles = ui.NewStyles(ui.DefaultPalette, c.Glyphs)
	}
	c.User = "eve"
	m := New(c, "qemu:///system", outsider)
	return uitest.NewHarness(t, m), m
}

func TestGolden(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			h, _ := open(t, sz[0], sz[1]-3, "linux")
			h.Press("down") // onto "manage VMs": why not, the fix, why root
			golden.RequireEqual(t, h.View())
		})
	}
}

// TestEveryRefusalSaysTheFixAndWhyRoot: moving onto each thing the user
// may not do shows the exact command and why root must run it.
func TestEveryRefusalSaysTheFixAndWhyRoot(t *testing.T) {
	h, m := open(t, 100, 40, "")
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
