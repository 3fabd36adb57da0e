package snapshots

import (
	"context"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

func open(t *testing.T, hv vm.Hypervisor, name string) (*uitest.Harness, *Model) {
	t.Helper()
	m := New(uitest.Common(hv, 120, 37), name)
	return uitest.NewHarness(t, m), m
}

func TestTreeWithTheCurrentSnapshotMarked(t *testing.T) {
	h, _ := open(t, uitest.Demo(t), "db-primary")
	view := h.View()
	for _, want := range []string{"baseline", "├─ pre-index-rebuild", "└─ pre-pg16-upgrade (current)", "memory"} {
		if !strings.Contains(view, want) {
			t.Errorf("tree lacks %q:\n%s", want, view)
		}
	}
}

func TestTakeRevertDelete(t *testing.T) {
	hv := uitest.Demo(t)
	h, m := open(t, hv, "web-01")
	h.Press("n")
	h.Press("ctrl+u")
	h.Send(uitest.Type("before-change")...)
	h.Press("tab")
	h.Send(uitest.Type("testing hv")...)
	h.Press("enter")
	if len(m.rows) != 1 || m.rows[0].s.Name != "before-change" || !m.rows[0].s.Current || !m.rows[0].s.Memory {
		t.Fatalf("after taking one: %+v", m.rows)
	}
	h.Press("r")
	if !strings.Contains(h.View(), "Revert to before-change?") || !strings.Contains(h.View(), "[HIGH]") {
		t.Fatalf("revert should ask with its risk:\n%s", h.View())
	}
	h.Press("y")
	if !strings.Contains(h.LastStatus(), "reverted to before-change") {
		t.Errorf("status %q", h.LastStatus())
	}
	h.Press("D", "y")
	if len(m.rows) != 0 {
		t.Errorf("the snapshot should be gone: %+v", m.rows)
	}
	snaps, _ := hv.Snapshots(context.Background(), "web-01")
	if len(snaps) != 0 {
		t.Errorf("libvirt still has %d snapshots", len(snaps))
	}
}

func TestBadNameIsRefusedInTheForm(t *testing.T) {
	h, _ := open(t, uitest.Demo(t), "web-01")
	h.Press("n", "ctrl+u")
	h.Send(uitest.Type("a/b")...)
	if !strings.Contains(h.View(), "cannot contain '/'") {
		t.Errorf("the form should explain:\n%s", h.View())
	}
}

func TestReadOnlyCannotTakeSnapshots(t *testing.T) {
	h, _ := open(t, uitest.DemoReadOnly(t), "web-01")
	h.Press("n")
	if h.Dialog != nil || !strings.Contains(h.LastStatus(), "read-only access") {
		t.Errorf("read-only: dialog %v, status %q", h.Dialog != nil, h.LastStatus())
	}
}

// Whether to keep the memory is a choice between yes and no, not a text
// field where anything can be typed.
func TestMemoryIsAChoice(t *testing.T) {
	hv := uitest.Demo(t)
	h, _ := open(t, hv, "web-01")
	h.Press("n")
	if v := uitest.Flat(h.Dialog.View()); !strings.Contains(v, "Memory") || !strings.Contains(v, "[yes]  no") {
		t.Fatalf("the memory field should offer yes and no:\n%s", v)
	}
	h.Press("tab", "tab", "y", "right")
	if v := h.Dialog.(*ui.Form).Values(); v[2] != "no" {
		t.Errorf("right should choose no, and y type nothing: %q", v[2])
	}
}

// Enter opens a snapshot's details, its description in full; it never
// reverts.
func TestEnterShowsDetails(t *testing.T) {
	h, _ := open(t, uitest.Demo(t), "db-primary")
	h.Press("enter")
	v := uitest.Flat(h.View())
	if !strings.Contains(v, "Snapshot baseline") || !strings.Contains(v, "before any data import.") || strings.Contains(v, "Revert") {
		t.Errorf("enter should show the snapshot's details:\n%s", v)
	}
}

// externalHost has a VM with a disk-only (external) snapshot taken while
// it ran: libvirt records its state as disk-snapshot.
const externalHost = `<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
<domain type='test'><name>uefi-vm</name><memory>65536</memory><os><type>hvm</type></os>
<devices><disk type='file' device='disk'><source file='/var/lib/libvirt/images/uefi-vm.qcow2'/><target dev='vda'/></disk></devices>
<test:runstate>1</test:runstate>
<test:domainsnapshot>
  <name>before-upgrade</name><state>disk-snapshot</state><creationTime>1713420900</creationTime><active>1</active>
  <memory snapshot='no'/>
  <disks><disk name='vda' snapshot='external'><source file='/var/lib/libvirt/images/uefi-vm.before-upgrade'/></disk></disks>
  <domain type='test'><name>uefi-vm</name><memory>65536</memory><os><type>hvm</type></os></domain>
</test:domainsnapshot>
</domain></node>`

// TestExternalSnapshotSaysWhatLibvirtCannotDo: a disk-only snapshot reads
// as external, with no made-up state; revert says up front that this
// libvirt cannot, and what it can instead, rather than promising the
// disks back and failing; delete says the overlay is merged.
func TestExternalSnapshotSaysWhatLibvirtCannotDo(t *testing.T) {
	hv := uitest.Host(t, externalHost)
	h, _ := open(t, hv, "uefi-vm")
	row := ""
	for _, l := range strings.Split(h.View(), "\n") {
		if strings.Contains(l, "before-upgrade") {
			row = l
		}
	}
	if !strings.Contains(row, " - ") || !strings.Contains(row, "external") || strings.Contains(row, "shut off") {
		t.Errorf("the snapshot's row should read state - and kind external: %q", row)
	}
	h.Press("r")
	words := strings.Join(strings.Fields(strings.ReplaceAll(h.View(), "│", "")), " ")
	for _, want := range []string{"Cannot revert to before-upgrade", "libvirt 9.0.0 cannot revert to a disk-only (external) snapshot",
		"merges its overlay files back into the disks"} {
		if !strings.Contains(words, want) {
			t.Errorf("revert should say %q up front:\n%s", want, h.View())
		}
	}
	if strings.Contains(words, "its disks return to that point") {
		t.Errorf("revert must not promise what libvirt cannot do:\n%s", h.View())
	}
	h.Press("esc", "D")
	if words := strings.Join(strings.Fields(strings.ReplaceAll(h.View(), "│", "")), " "); !strings.Contains(words, "merges its overlay files back into the disks") {
		t.Errorf("delete should say what happens to the overlay:\n%s", h.View())
	}
}
