package networks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

// open runs the Networks screen of hv (a fresh demo host when nil) at w×h.
func open(t *testing.T, hv vm.Hypervisor, w, h int) (*Model, *uitest.Harness) {
	t.Helper()
	if hv == nil {
		hv = uitest.Demo(t)
	}
	m := New(uitest.Common(hv, w, h), "")
	return m, uitest.NewHarness(t, m)
}

func selectNet(t *testing.T, m *Model, h *uitest.Harness, name string) {
	t.Helper()
	h.Press("g")
	for i := 0; ; i++ {
		if n, _ := m.Selected(); n.Name == name {
			return
		}
		if i > len(m.nets) {
			t.Fatalf("no network %s", name)
		}
		h.Press("down")
	}
}

func network(t *testing.T, hv vm.Hypervisor, name string) vm.Network {
	t.Helper()
	n, err := hv.Network(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestListShowsNetworksAddressesAndUsers(t *testing.T) {
	m, _ := open(t, nil, 80, 21)
	view := uitest.Plain(m.View())
	for _, want := range []string{"2 networks", "default", "lab-isolated", "nat", "isolated", "192.168.122.1/24", " 13",
		"192.168.122.100 - 192.168.122.254", "10 on, 3 off: backup, ci-runner", "this libvirt driver reports no DHCP leases",
		"Not now: s start (it is active)", "D undefine (stop it first)"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
}

func TestUnavailableActionSaysWhyWithoutCallingLibvirt(t *testing.T) {
	m, h := open(t, nil, 80, 21)
	h.Press("s") // default is already active
	if h.LastStatus() != "Cannot start default: it is active" || h.Status[0].Level != ui.LevelWarning {
		t.Errorf("s on an active network: %+v", h.Status)
	}
	if h.Dialog != nil || len(h.Errors) != 0 || m.busy != "" {
		t.Errorf("an unavailable action must not run: dialog %v, errors %v, busy %q", h.Dialog, h.Errors, m.busy)
	}
	for _, b := range m.Keys().ShortHelp() {
		if b.Help().Key == "s" {
			t.Error("the footer offers s start on an active network")
		}
	}
}

func TestStoppingANetworkInUseNamesWhatBreaks(t *testing.T) {
	m, h := open(t, nil, 80, 21)
	hv := m.c.HV
	h.Press("d")
	if h.Dialog == nil {
		t.Fatal("d on a network in use should ask first")
	}
	body := uitest.Flat(h.Dialog.View())
	for _, want := range []string{"Stop network default?", "10 running VMs lose their link at once: db-primary, db-replica",
		"restart them then", "3 shut-off VMs cannot start", "Risk: [HIGH]"} {
		if !strings.Contains(body, want) {
			t.Errorf("the question lacks %q:\n%s", want, body)
		}
	}
	h.Press("enter") // high risk: enter alone answers no
	if h.Dialog != nil || !network(t, hv, "default").Active {
		t.Fatal("enter on a high-risk question must cancel")
	}
	h.Press("d", "y")
	if h.LastStatus() != "stopped network default" || network(t, hv, "default").Active {
		t.Fatalf("y should stop it and say so: %q", h.LastStatus())
	}
	if view := uitest.Plain(m.View()); !strings.Contains(view, "inactive") || !strings.Contains(view, "d stop (it is inactive)") {
		t.Errorf("the list does not show the stopped network:\n%s", view)
	}
}

func TestDefineThroughTheFormThenStartAndUndefine(t *testing.T) {
	m, h := open(t, nil, 100, 30)
	hv := m.c.HV
	h.Press("n")
	form, ok := h.Dialog.(*ui.Form)
	if !ok {
		t.Fatalf("n should open the form, got %T", h.Dialog)
	}
	if v := form.Values(); v[fieldSubnet] != "192.168.100.0/24" || v[fieldMode] != "nat" || v[fieldDHCP] != "yes" {
		t.Errorf("the form should propose a free subnet with NAT and DHCP: %v", v)
	}
	h.Send(uitest.Type("default")...)
	if v := uitest.Flat(form.View()); !strings.Contains(v, "a network called default exists") {
		t.Errorf("a taken name should be flagged as it is typed:\n%s", v)
	}
	h.Press("ctrl+u")
	h.Send(uitest.Type("lab-2")...)
	h.Press("tab", "right", "tab", "ctrl+u")
	h.Send(uitest.Type("10.10.0.0/33")...)
	if v := uitest.Flat(form.View()); !strings.Contains(v, `"10.10.0.0/33" is not an IPv4 subnet`) {
		t.Errorf("a bad CIDR should be flagged as it is typed:\n%s", v)
	}
	h.Press("backspace", "backspace")
	h.Send(uitest.Type("16")...)
	if v := uitest.Flat(form.View()); !strings.Contains(v, "overlaps network lab-isolated (10.10.0.1/24)") {
		t.Errorf("an overlap should be flagged as it is typed:\n%s", v)
	}
	h.Press("enter")
	if h.Dialog == nil {
		t.Fatal("a subnet overlapping lab-isolated was accepted")
	}
	h.Press("ctrl+u")
	h.Send(uitest.Type("10.77.0.0/24")...)
	h.Press("enter")
	if h.Dialog != nil || len(h.Errors) != 0 {
		t.Fatalf("a good network was refused: %v", h.Errors)
	}
	n := network(t, hv, "lab-2")
	if n.Mode != "isolated" || n.IPv4 != "10.77.0.1/24" || !n.DHCP() || n.Active {
		t.Errorf("defined %+v", n)
	}
	if sel, _ := m.Selected(); sel.Name != "lab-2" {
		t.Errorf("the new network should be selected, not %s", sel.Name)
	}
	h.Press("s")
	if !network(t, hv, "lab-2").Active {
		t.Fatal("s did not start the new network")
	}
	h.Press("d") // no VM on it: medium risk, yes is focused
	if h.Dialog == nil || !strings.Contains(uitest.Flat(h.Dialog.View()), "No VM has an interface on lab-2") {
		t.Fatal("stopping an unused network should still ask, saying nothing breaks")
	}
	h.Press("enter", "D")
	if h.Dialog == nil {
		t.Fatal("undefine did not ask")
	}
	h.Press("y")
	if _, err := hv.Network(context.Background(), "lab-2"); err == nil {
		t.Error("lab-2 is still defined")
	}
}

func TestAutostartToggles(t *testing.T) {
	m, h := open(t, nil, 80, 21)
	selectNet(t, m, h, "lab-isolated")
	h.Press("a")
	if !network(t, m.c.HV, "lab-isolated").Autostart {
		t.Fatal("a did not turn autostart on")
	}
	if !strings.Contains(uitest.Plain(m.View()), "starts with the host") {
		t.Error("the detail does not show autostart")
	}
	h.Press("a")
	if network(t, m.c.HV, "lab-isolated").Autostart {
		t.Error("a again did not turn it off")
	}
}

func TestReadOnlyOffersNoChange(t *testing.T) {
	m, h := open(t, uitest.DemoReadOnly(t), 80, 21)
	for _, k := range []string{"s", "d", "a", "n", "D"} {
		h.Press(k)
		if h.Dialog != nil || !strings.Contains(h.LastStatus(), "read-only access") {
			t.Errorf("%s as a read-only user: dialog %v, status %q", k, h.Dialog, h.LastStatus())
		}
	}
	if view := uitest.Flat(m.View()); !strings.Contains(view, "s start, d stop, a autostart on, n define a network, D undefine (read-only access") {
		t.Errorf("the view does not say why:\n%s", view)
	}
}

func TestChangesMadeElsewhereShowUp(t *testing.T) {
	m, h := open(t, nil, 80, 21)
	hv := m.c.HV
	if err := hv.StopNetwork(context.Background(), "lab-isolated"); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-hv.Events():
			if e.Kind != vm.EventNetwork {
				continue
			}
			h.Send(ui.VMEventMsg{Event: e})
			if n := m.nets[1]; n.Name != "lab-isolated" || n.Active {
				t.Errorf("after the stopped event: %+v", n)
			}
			return
		case <-deadline:
			t.Fatal("no network event")
		}
	}
}

func TestHostileNamesAreShownAsHarmlessText(t *testing.T) {
	hv := uitest.Host(t, "<node><network><name>evil&#x9b;2J&#x9b;31m</name><bridge name='virbr9'/></network>"+
		"<domain type='test'><name>vm&#x9d;0;pwned&#x9c;</name><memory>65536</memory><os><type>hvm</type></os>"+
		"<devices><interface type='network'><source network='evil&#x9b;2J&#x9b;31m'/></interface></devices></domain></node>")
	m, _ := open(t, hv, 100, 30)
	view := m.View()
	for _, r := range view {
		if r >= 0x80 && r < 0xa0 {
			t.Fatalf("the view carries %U from a name", r)
		}
	}
	if plain := uitest.Plain(view); !strings.Contains(plain, `evil\u009b2J\u009b31m`) || !strings.Contains(plain, `vm\u009d0;pwned\u009c`) {
		t.Errorf("escaped names missing:\n%s", plain)
	}
}

func TestDHCPRangeIsShortWithinASubnet(t *testing.T) {
	if got := dhcpRange("192.168.122.100", "192.168.122.254"); got != "192.168.122.100-254" {
		t.Errorf("same /24: %q", got)
	}
	if got := dhcpRange("10.9.0.2", "10.9.255.254"); got != "10.9.0.2 - 10.9.255.254" {
		t.Errorf("wider: %q", got)
	}
}
