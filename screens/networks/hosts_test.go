package networks

import (
	"strings"
	"testing"

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

// On two hosts the screen shows one: H picks the other, whose networks
// then show, and stopping one there stops it there alone.
func TestSwitchingHostShowsAndChangesItsNetworks(t *testing.T) {
	hv := uitest.TwoHosts(t)
	m, h := open(t, hv, 80, 24)
	if view := uitest.Plain(m.View()); !strings.HasPrefix(view, "Networks of lab") || !strings.Contains(view, "lab-isolated") || strings.Contains(view, "backnet") {
		t.Fatalf("lab's networks first:\n%s", view)
	}
	offered := false
	for _, b := range m.Keys().ShortHelp() {
		offered = offered || b.Help().Key == "H"
	}
	if !offered {
		t.Error("the footer does not offer H on two hosts")
	}
	h.Press("H", "2")
	view := uitest.Plain(m.View())
	for _, want := range []string{"Networks of hv2", "1 network", "backnet", "10.20.0.1/24"} {
		if !strings.Contains(view, want) {
			t.Errorf("hv2's networks lack %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "lab-isolated") {
		t.Errorf("lab's networks still shown:\n%s", view)
	}
	// lab has a network called default; hv2 does not, and its own
	// network is what d stops.
	h.Press("d")
	if h.Dialog == nil {
		t.Fatal("d should ask first")
	}
	h.Press("y")
	if n := network(t, member(t, hv, "hv2"), "backnet"); n.Active {
		t.Error("backnet still runs on hv2")
	}
	if n := network(t, member(t, hv, "lab"), "default"); !n.Active {
		t.Error("stopping on hv2 stopped lab's default")
	}
	if !strings.Contains(uitest.Plain(m.View()), "inactive") {
		t.Errorf("the stopped network is not shown stopped:\n%s", uitest.Plain(m.View()))
	}
	h.Press("s")
	if n := network(t, member(t, hv, "hv2"), "backnet"); !n.Active {
		t.Error("s did not start backnet on hv2")
	}
}

// A network event of the other host does not reload this one's view.
func TestAnotherHostsNetworkEventIsNotThisScreens(t *testing.T) {
	m, h := open(t, uitest.TwoHosts(t), 80, 24)
	h.Press("H", "2")
	if cmd := m.Update(ui.VMEventMsg{Event: vm.Event{Kind: vm.EventNetwork, Name: "default", Host: "lab"}}); cmd != nil {
		t.Error("lab's network event reloads hv2's networks")
	}
	if cmd := m.Update(ui.VMEventMsg{Event: vm.Event{Kind: vm.EventNetwork, Name: "backnet", Host: "hv2"}}); cmd == nil {
		t.Error("hv2's own network event does not reload")
	}
}

// The Hosts screen opens a host's networks as HOST/.
func TestHostArgOpensThatHost(t *testing.T) {
	m := New(uitest.Common(uitest.TwoHosts(t), 80, 24), "hv2/backnet")
	uitest.NewHarness(t, m)
	if n, _ := m.Selected(); m.Title() != "Networks of hv2" || n.Name != "backnet" {
		t.Errorf("hv2/backnet opened %q on %q", m.Title(), n.Name)
	}
}
