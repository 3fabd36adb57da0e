package vmdetail

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

func show(t *testing.T, hv vm.Hypervisor, name string, w, h int) (*uitest.Harness, *Model) {
	t.Helper()
	v, err := hv.Lookup(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	m := New(uitest.Common(hv, w, h), v.UUID)
	return uitest.NewHarness(t, m), m
}

func TestDetailsShowHardwareAndAddressesWithTheirSource(t *testing.T) {
	h, _ := show(t, uitest.Demo(t), "db-primary", 120, 37)
	view := h.View()
	for _, want := range []string{
		"db-primary", "running", "starts with the host", "UEFI", "16 vCPUs", "64G",
		"vda", "/var/lib/libvirt/fast-ssd/db-primary-os.qcow2", "qcow2",
		"52:54:00:8c:20:01", "network default", "from DHCP lease",
		"vnc port 5902", "This libvirt driver reports no live statistics",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("details lack %q:\n%s", want, view)
		}
	}
}

func TestActivitySparklinesFromTheSharedHistory(t *testing.T) {
	hv := uitest.Demo(t)
	h, m := show(t, hv, "web-01", 120, 37)
	t0 := time.Now()
	for i := range 10 {
		m.c.History.Add([]vm.Sample{{UUID: m.d.UUID, State: vm.StateRunning, At: t0.Add(time.Duration(i) * 2 * time.Second),
			Has: vm.HasCPU | vm.HasNet | vm.HasDisk | vm.HasMemory, VCPUs: 2, CPUTimeNs: uint64(i*i) * 1e8,
			NetRxBytes: uint64(i) << 20, MemoryKiB: 4 << 20}})
	}
	h.Send(ui.StatsMsg{})
	view := h.View()
	for _, want := range []string{"CPU", "Network", "512K/s", "4G"} {
		if !strings.Contains(view, want) {
			t.Errorf("activity lacks %q:\n%s", want, view)
		}
	}
	if !strings.ContainsAny(view, "▁▂▃▄▅▆▇█") {
		t.Errorf("no sparkline drawn:\n%s", view)
	}
}

func TestEventsAndActionsOfThisVM(t *testing.T) {
	hv := uitest.Demo(t)
	h, m := show(t, hv, "web-02", 100, 30)
	h.Press("p")
	ev := waitEvent(t, hv, "web-02", vm.EventSuspended)
	m.c.Events.Add(ev)
	h.Send(ui.VMEventMsg{Event: ev})
	view := h.View()
	if !strings.Contains(view, "paused") || !strings.Contains(view, "Recent events") || !strings.Contains(view, "suspended (paused)") {
		t.Errorf("the pause should show in the state and the events:\n%s", view)
	}
}

func TestEditSaysWhenChangesApply(t *testing.T) {
	hv := uitest.Demo(t)
	h, _ := show(t, hv, "backup", 100, 30)
	h.Press("e")
	if !strings.Contains(h.View(), "Edit backup") {
		t.Fatalf("e should open the form:\n%s", h.View())
	}
	h.Press("ctrl+u") // clear the vCPU field
	h.Send(uitest.Type("0")...)
	if !strings.Contains(h.View(), "a whole number, at least 1") {
		t.Errorf("a bad value should be explained at once:\n%s", h.View())
	}
	h.Press("enter")
	if h.Dialog == nil {
		t.Fatal("enter with a bad value must not submit")
	}
	h.Press("backspace")
	h.Send(uitest.Type("4")...)
	h.Press("enter")
	if got := h.LastStatus(); got != "Changed vCPUs at the next boot" {
		t.Errorf("status %q", got)
	}
	if v, _ := hv.Lookup(context.Background(), "backup"); v.VCPUs != 4 {
		t.Errorf("backup has %d vCPUs", v.VCPUs)
	}
}

func TestGoneVMSaysSo(t *testing.T) {
	hv := uitest.Demo(t)
	h, _ := show(t, hv, "backup", 100, 30)
	if err := hv.Undefine(context.Background(), "backup"); err != nil {
		t.Fatal(err)
	}
	h.Send(ui.VMEventMsg{Event: waitEvent(t, hv, "backup", vm.EventUndefined)})
	if !strings.Contains(h.View(), "no longer exists") {
		t.Errorf("a deleted VM should say so:\n%s", h.View())
	}
}

// ':vm nope' names a VM that never existed: nothing was deleted.
func TestUnknownVMIsNotCalledDeleted(t *testing.T) {
	h := uitest.NewHarness(t, New(uitest.Common(uitest.Demo(t), 100, 30), "nope"))
	view := h.View()
	if !strings.Contains(view, "No VM is called nope") || strings.Contains(view, "deleted") {
		t.Errorf("an unknown VM should be said so:\n%s", view)
	}
}

func waitEvent(t *testing.T, hv vm.Hypervisor, name string, kind vm.EventKind) vm.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-hv.Events():
			if e.Name == name && e.Kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event for %s", kind, name)
		}
	}
}

func TestAttachOnADriverWithoutHotplugSaysSo(t *testing.T) {
	h, m := show(t, uitest.Demo(t), "backup", 100, 30)
	h.Run(m.attachDisk())
	form, ok := h.Dialog.(*ui.Form)
	if !ok {
		t.Fatalf("the attach form should open, got %T", h.Dialog)
	}
	if v := uitest.Flat(form.View()); !strings.Contains(v, "default/Win11_23H2_English_x64v2.iso") || !strings.Contains(v, "1 of 3") || !strings.Contains(v, "[no]  yes") {
		t.Fatalf("the form should offer the pools' volumes and CD-ROM as a choice:\n%s", v)
	}
	h.Press("enter")
	if len(h.Errors) != 1 || !strings.Contains(h.Errors[0].Error(), "attach a disk to backup: not supported") {
		t.Errorf("errors %v", h.Errors)
	}
}

// A change the host refuses brings the form back with what was typed and
// why, instead of dropping the input.
func TestEditKeepsTheInputOnError(t *testing.T) {
	hv := uitest.Demo(t)
	h, _ := show(t, hv, "backup", 80, 24)
	h.Press("e", "ctrl+u")
	h.Send(uitest.Type("999")...)
	h.Press("enter")
	v := uitest.Flat(h.View())
	if h.Dialog == nil || !strings.Contains(v, "999") || !strings.Contains(v, "the host has 48 CPUs") {
		t.Errorf("the form should come back with 999 and the reason:\n%s", h.View())
	}
}

// The form's hints are wrapped, not cut: "at the next boot" is readable at
// 80 columns.
func TestEditHintsAreReadWhole(t *testing.T) {
	h, _ := show(t, uitest.Demo(t), "backup", 80, 24)
	h.Press("e")
	if v := uitest.Flat(h.View()); !strings.Contains(v, "else at the next boot") {
		t.Errorf("the vCPU hint is cut:\n%s", h.View())
	}
}

// Where an address comes from is read whole at 80 columns.
func TestAddressSourceIsReadAt80Columns(t *testing.T) {
	h, _ := show(t, uitest.Demo(t), "db-primary", 80, 30)
	view := h.View()
	if !strings.Contains(view, "from DHCP lease") {
		t.Errorf("the address source is cut:\n%s", view)
	}
	for _, l := range strings.Split(view, "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("line wider than 80: %q", l)
		}
	}
}
