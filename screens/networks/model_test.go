package networks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/libvirt"
)

// open shows the Networks screen of a fresh demo host at w×h.
func open(t *testing.T, hv vm.Hypervisor, w, h int) *Model {
	t.Helper()
	if hv == nil {
		hv = uitest.Demo(t)
	}
	m := New(uitest.Common(hv, w, h), "")
	uitest.Drain(t, m.Update, m.Init())
	return m
}

func press(t *testing.T, m *Model, keys ...string) uitest.Outcome {
	t.Helper()
	return uitest.Press(t, m.Update, keys...)
}

func selectNet(t *testing.T, m *Model, name string) {
	t.Helper()
	press(t, m, "g")
	for i := 0; ; i++ {
		if n, _ := m.Selected(); n.Name == name {
			return
		}
		if i > len(m.nets) {
			t.Fatalf("no network %s", name)
		}
		press(t, m, "down")
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
	m := open(t, nil, 80, 21)
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
	m := open(t, nil, 80, 21)
	out := press(t, m, "s") // default is already active
	if len(out.NotNow) != 1 || out.NotNow[0] != "start: it is active" {
		t.Errorf("s on an active network: %+v", out)
	}
	if out.Dialog != nil || len(out.Errors) != 0 || m.busy != "" {
		t.Errorf("an unavailable action must not run: %+v busy %q", out, m.busy)
	}
	for _, b := range m.Keys().ShortHelp() {
		if b.Help().Key == "s" {
			t.Error("the footer offers s start on an active network")
		}
	}
}

func TestStoppingANetworkInUseNamesWhatBreaks(t *testing.T) {
	m := open(t, nil, 80, 21)
	hv := m.c.HV
	out := press(t, m, "x")
	if out.Dialog == nil {
		t.Fatal("x on a network in use should ask first")
	}
	body := uitest.Flat(out.Dialog.View())
	for _, want := range []string{"Stop network default?", "10 running VMs lose their link at once: db-primary, db-replica", "restart them then", "3 shut-off VMs cannot start"} {
		if !strings.Contains(body, want) {
			t.Errorf("the question lacks %q:\n%s", want, body)
		}
	}
	// High risk: enter alone answers no.
	if closed, _ := uitest.Answer(t, out.Dialog, m.Update, uitest.Key("enter")); !closed || !network(t, hv, "default").Active {
		t.Fatal("enter on a high-risk question must cancel")
	}
	out = press(t, m, "x")
	closed, res := uitest.Answer(t, out.Dialog, m.Update, uitest.Key("y"))
	if !closed || len(res.Status) == 0 || res.Status[0].Text != "stopped network default" {
		t.Fatalf("y should stop it and say so: closed %v, %+v", closed, res)
	}
	if network(t, hv, "default").Active {
		t.Error("default is still active")
	}
	if view := uitest.Plain(m.View()); !strings.Contains(view, "inactive") || !strings.Contains(view, "x stop (it is inactive)") {
		t.Errorf("the list does not show the stopped network:\n%s", view)
	}
}

func TestDefineThroughTheFormThenStartAndUndefine(t *testing.T) {
	m := open(t, nil, 100, 30)
	hv := m.c.HV
	out := press(t, m, "n")
	form, ok := out.Dialog.(*ui.Form)
	if !ok {
		t.Fatalf("n should open the form, got %T", out.Dialog)
	}
	if v := form.Values(); v[fieldSubnet] != "192.168.100.0/24" || v[fieldMode] != "nat" || v[fieldDHCP] != "yes" {
		t.Errorf("the form should propose a free subnet with NAT and DHCP: %v", v)
	}
	keys := append(uitest.Type("lab-2"), uitest.Key("tab"), uitest.Key("right"), uitest.Key("tab"), uitest.Key("ctrl+u"))
	keys = append(keys, uitest.Type("10.10.0.0/16")...)
	if closed, _ := uitest.Answer(t, form, m.Update, append(keys, uitest.Key("enter"))...); closed {
		t.Fatal("a subnet overlapping lab-isolated was accepted")
	}
	if v := uitest.Flat(form.View()); !strings.Contains(v, "overlaps network lab-isolated (10.10.0.1/24)") {
		t.Errorf("the form does not say why:\n%s", v)
	}
	keys = append([]tea.Msg{uitest.Key("ctrl+u")}, uitest.Type("10.77.0.0/24")...)
	closed, res := uitest.Answer(t, form, m.Update, append(keys, uitest.Key("enter"))...)
	if !closed || len(res.Errors) != 0 {
		t.Fatalf("a good network was refused: %+v", res)
	}
	n := network(t, hv, "lab-2")
	if n.Mode != "isolated" || n.IPv4 != "10.77.0.1/24" || !n.DHCP() || n.Active {
		t.Errorf("defined %+v", n)
	}
	if sel, _ := m.Selected(); sel.Name != "lab-2" {
		t.Errorf("the new network should be selected, not %s", sel.Name)
	}
	press(t, m, "s")
	if !network(t, hv, "lab-2").Active {
		t.Fatal("s did not start the new network")
	}
	out = press(t, m, "x") // no VM on it: medium risk, yes is focused
	if out.Dialog == nil || !strings.Contains(uitest.Flat(out.Dialog.View()), "No VM has an interface on lab-2") {
		t.Fatalf("stopping an unused network: %+v", out)
	}
	uitest.Answer(t, out.Dialog, m.Update, uitest.Key("enter"))
	out = press(t, m, "D")
	if closed, _ := uitest.Answer(t, out.Dialog, m.Update, uitest.Key("y")); !closed {
		t.Fatal("undefine did not ask")
	}
	if _, err := hv.Network(context.Background(), "lab-2"); err == nil {
		t.Error("lab-2 is still defined")
	}
}

func TestAutostartToggles(t *testing.T) {
	m := open(t, nil, 80, 21)
	selectNet(t, m, "lab-isolated")
	press(t, m, "a")
	if !network(t, m.c.HV, "lab-isolated").Autostart {
		t.Fatal("a did not turn autostart on")
	}
	if !strings.Contains(uitest.Plain(m.View()), "starts with the host") {
		t.Error("the detail does not show autostart")
	}
	press(t, m, "a")
	if network(t, m.c.HV, "lab-isolated").Autostart {
		t.Error("a again did not turn it off")
	}
}

func TestReadOnlyOffersNoChange(t *testing.T) {
	m := open(t, uitest.ReadOnly{Hypervisor: uitest.Demo(t)}, 80, 21)
	for _, k := range []string{"s", "x", "a", "n", "D"} {
		out := press(t, m, k)
		if out.Dialog != nil || len(out.NotNow) != 1 || !strings.Contains(out.NotNow[0], "your access is read-only") {
			t.Errorf("%s as a read-only user: %+v", k, out)
		}
	}
	if view := uitest.Flat(m.View()); !strings.Contains(view, "s start, x stop, a autostart off, n new network, D undefine (your access is read-only)") {
		t.Errorf("the view does not say why:\n%s", view)
	}
}

func TestChangesMadeElsewhereShowUp(t *testing.T) {
	m := open(t, nil, 80, 21)
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
			uitest.Drain(t, m.Update, m.Update(ui.VMEventMsg{Event: e}))
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
	path := filepath.Join(t.TempDir(), "host.xml")
	node := "<node><network><name>evil&#x9b;2J&#x9b;31m</name><bridge name='virbr9'/></network>" +
		"<domain type='test'><name>vm&#x9d;0;pwned&#x9c;</name><memory>65536</memory><os><type>hvm</type></os>" +
		"<devices><interface type='network'><source network='evil&#x9b;2J&#x9b;31m'/></interface></devices></domain></node>"
	if err := os.WriteFile(path, []byte(node), 0o600); err != nil {
		t.Fatal(err)
	}
	hv, err := libvirt.Open(context.Background(), "test://"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hv.Close() })
	m := open(t, hv, 100, 30)
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
