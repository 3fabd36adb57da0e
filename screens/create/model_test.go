package create

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

func typeIn(h *uitest.Harness, text string) {
	h.Press("ctrl+u")
	h.Send(uitest.Type(text)...)
}

// waitDone lets the background work finish.
func waitDone(t *testing.T, h *uitest.Harness, m *Model) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); m.running && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFormChecksAgainstTheHostAsItIsTyped(t *testing.T) {
	m := New(uitest.Common(uitest.Demo(t), 100, 30))
	h := uitest.NewHarness(t, m)
	if !strings.Contains(h.View(), "a VM name is required") {
		t.Fatalf("the empty name should be flagged:\n%s", h.View())
	}
	typeIn(h, "web-01")
	if !strings.Contains(h.View(), "a VM named web-01 exists") {
		t.Errorf("a taken name should be flagged:\n%s", h.View())
	}
	typeIn(h, "app-01")
	h.Press("tab")
	typeIn(h, "500")
	if !strings.Contains(h.View(), "a whole number from 1 to 48") {
		t.Errorf("vCPUs beyond the host should be flagged:\n%s", h.View())
	}
	typeIn(h, "2")
	h.Press("tab", "tab")
	typeIn(h, "900G")
	if !strings.Contains(h.View(), "not enough space in pool default") {
		t.Errorf("a disk beyond the pool should be flagged as it is typed:\n%s", h.View())
	}
	h.Press("enter")
	if !strings.Contains(h.View(), "not enough space in pool default") {
		t.Errorf("a disk beyond the pool should be refused:\n%s", h.View())
	}
	if vms, _ := m.c.HV.List(context.Background()); len(vms) != 14 {
		t.Errorf("nothing should have been made: %d VMs", len(vms))
	}
}

func TestCreateThenOpenTheNewVM(t *testing.T) {
	hv := uitest.Demo(t)
	m := New(uitest.Common(hv, 100, 30))
	h := uitest.NewHarness(t, m)
	typeIn(h, "app-01")
	h.Press("tab", "tab", "tab")
	typeIn(h, "4G")
	h.Press("tab", "tab")
	for i := 0; m.form.Values()[fMedia] != "default/debian-12.5.0-amd64-netinst.iso" && i < 20; i++ {
		h.Press("right")
	}
	h.Press("enter")
	waitDone(t, h, m)
	if h.Backs != 1 || len(h.Navigated) != 1 || h.Navigated[0].To != "vm" {
		t.Fatalf("after creating, the screen should give way to the new VM: backs %d, navigated %v, errors %v\n%s",
			h.Backs, h.Navigated, h.Errors, h.View())
	}
	d, err := hv.Details(context.Background(), "app-01")
	if err != nil || d.State != vm.StateRunning || len(d.Disks) != 2 || d.Disks[1].Device != "cdrom" {
		t.Errorf("app-01: %+v, %v", d, err)
	}
}

func TestCloneAShutOffVM(t *testing.T) {
	hv := uitest.Demo(t)
	// A small VM, as the demo's own disks do not fit the free space twice.
	m := New(uitest.Common(hv, 100, 30))
	h := uitest.NewHarness(t, m)
	typeIn(h, "small")
	h.Press("tab", "tab", "tab")
	typeIn(h, "1G")
	h.Press("tab", "tab", "tab", "tab", "tab", "tab", "left") // Start now: no
	h.Press("enter")
	waitDone(t, h, m)
	c := NewClone(uitest.Common(hv, 100, 30), "small")
	hc := uitest.NewHarness(t, c)
	if !strings.Contains(hc.View(), "small-clone") {
		t.Fatalf("the clone's name is offered:\n%s", hc.View())
	}
	hc.Press("enter")
	waitDone(t, hc, c)
	if _, err := hv.Lookup(context.Background(), "small-clone"); err != nil {
		t.Errorf("no clone: %v (errors %v)\n%s", err, hc.Errors, hc.View())
	}
}

// The install media are a picker of the pools' ISOs and unused images,
// named POOL/VOLUME: nothing to guess from a hint cut at the edge.
func TestInstallMediaArePickedFromThePools(t *testing.T) {
	hv := uitest.Demo(t)
	m := New(uitest.Common(hv, 80, 24))
	h := uitest.NewHarness(t, m)
	typeIn(h, "app-01")
	h.Press("tab", "tab", "tab", "tab", "tab") // Install
	v := uitest.Flat(h.View())
	if !strings.Contains(v, "none") || !strings.Contains(v, "of ") {
		t.Fatalf("the install field should be a picker saying how many there are:\n%s", v)
	}
	var picked []string
	for range 12 {
		h.Press("right")
		picked = append(picked, m.form.Values()[fMedia])
	}
	if !slices.Contains(picked, "default/debian-12.5.0-amd64-netinst.iso") {
		t.Errorf("the demo's ISO is not offered: %v", picked)
	}
	for _, line := range strings.Split(uitest.Plain(m.View()), "\n") {
		if len([]rune(line)) > 80 {
			t.Errorf("line wider than the screen: %q", line)
		}
	}
}

// TestEscCancelsTheWorkUnderWay: esc while a clone copies cancels it (the
// screen stays until the work has cleaned up), then says nothing was kept
// and goes back; it never leaves the work running unseen.
func TestEscCancelsTheWorkUnderWay(t *testing.T) {
	hv := uitest.Demo(t)
	m := NewClone(uitest.Common(hv, 100, 30), "backup")
	h := uitest.NewHarness(t, m)
	stopped := make(chan struct{})
	m.form = nil // submitted, as enter does
	cmd := m.run(func(ctx context.Context, _ ops.Progress) (vm.VM, error) {
		<-ctx.Done()
		close(stopped)
		return vm.VM{}, &vm.Error{Op: "copy volume", Kind: vm.ErrCancelled}
	})
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd().(tea.BatchMsg)[1]() }() // the work's end
	if !m.Capturing() {
		t.Fatal("while the work runs, esc must reach the screen (the app would go back instead)")
	}
	h.Press("esc")
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("esc did not cancel the work")
	}
	if !strings.Contains(h.View(), "Cancelling") || h.Backs != 0 {
		t.Errorf("until the work has cleaned up the screen says so and stays (backs %d):\n%s", h.Backs, h.View())
	}
	h.Send(<-done)
	if !strings.Contains(h.LastStatus(), "Cloning backup was cancelled: nothing was kept") || h.Backs != 1 {
		t.Errorf("status %q, backs %d", h.LastStatus(), h.Backs)
	}
}
