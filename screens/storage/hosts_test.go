package storage

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

// member is host's own hypervisor in a fleet.
func member(t *testing.T, hv vm.Hypervisor, host string) vm.Hypervisor {
	t.Helper()
	b, err := vm.Reach(hv, host)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// On two hosts the screen shows one: H picks the other, whose pools and
// volumes then show, and a volume created there lands there alone.
func TestSwitchingHostShowsAndChangesItsStorage(t *testing.T) {
	hv := uitest.TwoHosts(t)
	m, h := open(t, hv, 80, 24)
	if view := uitest.Plain(m.View()); !strings.HasPrefix(view, "Storage of lab") || !strings.Contains(view, "fast-ssd") || strings.Contains(view, "bulk") {
		t.Fatalf("lab's storage first:\n%s", view)
	}
	h.Press("H")
	if h.Dialog == nil {
		t.Fatal("H should offer the hosts")
	}
	menu := uitest.Flat(h.Dialog.View())
	for _, want := range []string{"Show the storage pools of", "lab (here, shown)", "hv2", "up"} {
		if !strings.Contains(menu, want) {
			t.Errorf("the menu lacks %q:\n%s", want, menu)
		}
	}
	h.Press("2")
	view := uitest.Plain(m.View())
	for _, want := range []string{"Storage of hv2", "1 pool", "bulk", "Volumes of bulk", "archive.qcow2"} {
		if !strings.Contains(view, want) {
			t.Errorf("hv2's storage lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "fast-ssd") {
		t.Errorf("lab's pools still shown:\n%s", view)
	}

	h.Press("n")
	h.Send(uitest.Type("scratch.qcow2")...)
	h.Press("tab", "ctrl+u")
	h.Send(uitest.Type("1G")...)
	h.Press("enter")
	if len(h.Errors) != 0 || h.LastStatus() != "created volume scratch.qcow2 in bulk" {
		t.Fatalf("creating on hv2: %v %q", h.Errors, h.LastStatus())
	}
	if _, ok := volumes(t, member(t, hv, "hv2"), "bulk")["scratch.qcow2"]; !ok {
		t.Error("the volume is not on hv2")
	}
	for _, p := range []string{"default", "fast-ssd"} {
		if _, ok := volumes(t, member(t, hv, "lab"), p)["scratch.qcow2"]; ok {
			t.Errorf("the volume landed on lab's %s", p)
		}
	}
	if v, _ := m.SelectedVolume(); v.Name != "scratch.qcow2" {
		t.Errorf("the new volume should be selected, not %q", v.Name)
	}
}

// A pool event of the other host does not reload this one's view; one
// of the host shown does.
func TestOnlyTheShownHostsEventsReload(t *testing.T) {
	hv := uitest.TwoHosts(t)
	m, h := open(t, hv, 80, 24)
	h.Press("H", "2")
	if cmd := m.Update(ui.VMEventMsg{Event: vm.Event{Kind: vm.EventPool, Name: "fast-ssd", Host: "lab"}}); cmd != nil {
		t.Error("lab's pool event reloads hv2's storage")
	}
	if err := member(t, hv, "hv2").StopPool(context.Background(), "bulk"); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-hv.Events():
			if e.Kind != vm.EventPool {
				continue
			}
			h.Send(ui.VMEventMsg{Event: e})
			if p, _ := m.SelectedPool(); p.Name != "bulk" || p.Active {
				t.Errorf("after hv2's pool stopped: %+v", p)
			}
			return
		case <-deadline:
			t.Fatal("no pool event from hv2")
		}
	}
}

// With one host, nothing changes: no host in the title, and H says why
// there is nothing to switch to.
func TestOneHostHasNothingToSwitch(t *testing.T) {
	m, h := open(t, nil, 80, 24)
	if m.Title() != "Storage" {
		t.Errorf("title %q", m.Title())
	}
	h.Press("H")
	if h.Dialog != nil || !strings.Contains(h.LastStatus(), "hv reaches one host") {
		t.Errorf("H on one host: dialog %v, status %q", h.Dialog, h.LastStatus())
	}
	for _, b := range m.Keys().ShortHelp() {
		if b.Help().Key == "H" {
			t.Error("the footer offers H with one host")
		}
	}
}
