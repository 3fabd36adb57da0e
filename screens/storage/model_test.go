package storage

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

// open shows the Storage screen of hv (a fresh demo host when nil) at w×h.
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

// selectVolume moves to the volumes pane and onto the volume called name.
func selectVolume(t *testing.T, m *Model, name string) {
	t.Helper()
	if m.focus != volumesPane {
		press(t, m, "tab")
	}
	press(t, m, "g")
	for i := 0; ; i++ {
		if v, _ := m.SelectedVolume(); v.Name == name {
			return
		}
		if i > len(m.vols) {
			t.Fatalf("no volume %s in %s", name, m.pool)
		}
		press(t, m, "down")
	}
}

func volumes(t *testing.T, hv vm.Hypervisor, pool string) map[string]vm.Volume {
	t.Helper()
	vols, err := hv.Volumes(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]vm.Volume{}
	for _, v := range vols {
		out[v.Name] = v
	}
	return out
}

func TestPoolsWithFreeSpaceAndVolumesWithUsers(t *testing.T) {
	m := open(t, nil, 80, 21)
	view := uitest.Plain(m.View())
	for _, want := range []string{"2 pools", "33G free of 200G", "default", "fast-ssd", "19G", "81%", "86%",
		"Volumes of default", "/var/lib/libvirt/images", "12 volumes", "web-01.qcow2", "6.2G", "web-01",
		"debian-12.5.0-amd64-netinst.iso"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	press(t, m, "down")
	if view := uitest.Plain(m.View()); !strings.Contains(view, "Volumes of fast-ssd") || !strings.Contains(view, "db-primary-data.qcow2") {
		t.Errorf("moving to fast-ssd does not show its volumes:\n%s", view)
	}
}

func TestNewVolumeRefusesWhatDoesNotFit(t *testing.T) {
	m := open(t, nil, 80, 21)
	out := press(t, m, "n")
	form, ok := out.Dialog.(*ui.Form)
	if !ok {
		t.Fatalf("n should open the form, got %T", out.Dialog)
	}
	keys := append(uitest.Type("big.qcow2"), uitest.Key("tab"), uitest.Key("ctrl+u"))
	keys = append(keys, uitest.Type("50G")...)
	if closed, _ := uitest.Answer(t, form, m.Update, append(keys, uitest.Key("enter"))...); closed {
		t.Fatal("a 50G volume was accepted in a pool with 19G free")
	}
	if v := uitest.Flat(form.View()); !strings.Contains(v, "not enough space in pool default: needs 50G, has 19G") {
		t.Errorf("the form does not say why:\n%s", v)
	}
	for text, why := range map[string]string{"lots": "is not a size", "1K": "at least 1M", "2X": "is not a size"} {
		keys := append([]tea.Msg{uitest.Key("ctrl+u")}, uitest.Type(text)...)
		uitest.Answer(t, form, m.Update, append(keys, uitest.Key("enter"))...)
		if v := uitest.Flat(form.View()); !strings.Contains(v, why) {
			t.Errorf("size %q: the form does not say %q:\n%s", text, why, v)
		}
	}
}

func TestCreateThenDeleteByTypingTheName(t *testing.T) {
	m := open(t, nil, 80, 21)
	hv := m.c.HV
	out := press(t, m, "n")
	keys := append(uitest.Type("scratch.img"), uitest.Key("tab"), uitest.Key("ctrl+u"))
	keys = append(keys, uitest.Type("2G")...)
	keys = append(keys, uitest.Key("tab"), uitest.Key("right"), uitest.Key("enter"))
	if closed, res := uitest.Answer(t, out.Dialog, m.Update, keys...); !closed || len(res.Errors) > 0 {
		t.Fatalf("creating a 2G raw volume: closed %v, %+v", closed, res)
	}
	v, ok := volumes(t, hv, "default")["scratch.img"]
	if !ok || v.Format != "raw" || v.CapacityBytes != 2<<30 {
		t.Fatalf("created %+v", v)
	}
	if sel, _ := m.SelectedVolume(); sel.Name != "scratch.img" || m.focus != volumesPane {
		t.Errorf("the new volume should be selected in the volumes pane: %s, focus %v", sel.Name, m.focus)
	}
	out = press(t, m, "D")
	d, ok := out.Dialog.(*ui.TypeToConfirm)
	if !ok {
		t.Fatalf("deleting should ask to type the name, got %T", out.Dialog)
	}
	if closed, _ := uitest.Answer(t, d, m.Update, append(uitest.Type("scratch"), uitest.Key("enter"))...); closed {
		t.Fatal("a wrong name confirmed the deletion")
	}
	if !strings.Contains(uitest.Flat(d.View()), "That is not the name") {
		t.Error("a wrong name is not explained")
	}
	closed, res := uitest.Answer(t, d, m.Update, append(uitest.Type(".img"), uitest.Key("enter"))...)
	if !closed || len(res.Status) == 0 || res.Status[0].Text != "deleted volume scratch.img from default" {
		t.Fatalf("typing the name should delete: closed %v, %+v", closed, res)
	}
	if _, still := volumes(t, hv, "default")["scratch.img"]; still {
		t.Error("scratch.img is still there")
	}
}

func TestDeletingAVMsDiskIsUnavailable(t *testing.T) {
	m := open(t, nil, 80, 21)
	selectVolume(t, m, "web-01.qcow2")
	out := press(t, m, "D")
	if out.Dialog != nil || len(out.NotNow) != 1 || out.NotNow[0] != "delete volume: it is a disk of web-01" {
		t.Errorf("D on web-01's disk: %+v", out)
	}
	if view := uitest.Flat(m.View()); !strings.Contains(view, "D delete volume (it is a disk of web-01)") {
		t.Errorf("the view does not say why:\n%s", view)
	}
}

func TestStoppingAPoolInUseNamesTheVMs(t *testing.T) {
	m := open(t, nil, 80, 21)
	hv := m.c.HV
	press(t, m, "down") // fast-ssd
	out := press(t, m, "x")
	if out.Dialog == nil {
		t.Fatal("x should ask first")
	}
	body := uitest.Flat(out.Dialog.View())
	for _, want := range []string{"Stop pool fast-ssd?", "6 running VMs with disks in fast-ssd keep running on the disks they have open",
		"db-primary, db-replica", "No VM with a disk in it can start until it starts again"} {
		if !strings.Contains(body, want) {
			t.Errorf("the question lacks %q:\n%s", want, body)
		}
	}
	uitest.Answer(t, out.Dialog, m.Update, uitest.Key("enter")) // high risk: enter is no
	if p, _ := hv.Pool(context.Background(), "fast-ssd"); !p.Active {
		t.Fatal("enter stopped the pool")
	}
	out = press(t, m, "x")
	uitest.Answer(t, out.Dialog, m.Update, uitest.Key("y"))
	view := uitest.Plain(m.View())
	if !strings.Contains(view, "inactive") || !strings.Contains(view, "The pool is inactive: its volumes are not listed. s starts it.") {
		t.Errorf("the stopped pool is not shown as such:\n%s", view)
	}
	if !strings.Contains(uitest.Flat(view), "x stop pool, n new volume, c copy volume, D delete volume (the pool is inactive)") {
		t.Errorf("new volume should be unavailable with the reason:\n%s", view)
	}
	press(t, m, "s")
	if p, _ := hv.Pool(context.Background(), "fast-ssd"); !p.Active {
		t.Error("s did not start the pool again")
	}
}

func TestCopyReportsProgressAndSelectsTheCopy(t *testing.T) {
	m := open(t, nil, 100, 30)
	hv := m.c.HV
	selectVolume(t, m, "dns-01.qcow2")
	out := press(t, m, "c")
	form, ok := out.Dialog.(*ui.Form)
	if !ok || form.Values()[0] != "dns-01-copy.qcow2" {
		t.Fatalf("c should propose a name for the copy: %T %v", out.Dialog, form)
	}
	closed, res := uitest.Answer(t, form, m.Update, uitest.Key("enter"))
	if !closed || len(res.Status) == 0 || res.Status[0].Text != "copied dns-01.qcow2 to dns-01-copy.qcow2" {
		t.Fatalf("the copy did not finish: closed %v, %+v", closed, res)
	}
	if cp, ok := volumes(t, hv, "default")["dns-01-copy.qcow2"]; !ok || cp.CapacityBytes != 8<<30 {
		t.Errorf("the copy: %+v", cp)
	}
	if sel, _ := m.SelectedVolume(); sel.Name != "dns-01-copy.qcow2" || m.copying != nil {
		t.Errorf("after the copy the selection is %s and copying %+v", sel.Name, m.copying)
	}
	// While a copy runs, its progress shows above the volumes.
	m.copying = &copyState{pool: "default", src: "web-01.qcow2", dst: "web-01-copy.qcow2"}
	uitest.Drain(t, m.Update, m.Update(copyProgressMsg{id: m.id, done: 3 << 30, total: 6 << 30}))
	if view := uitest.Plain(m.View()); !strings.Contains(view, "copying web-01.qcow2 › web-01-copy.qcow2") || !strings.Contains(view, "50%  3G of 6G") {
		t.Errorf("progress not shown:\n%s", view)
	}
	if out := press(t, m, "x"); len(out.NotNow) == 0 || !strings.Contains(out.NotNow[0], "a copy is running in it") {
		t.Errorf("stopping the pool during a copy: %+v", out)
	}
}

func TestReadOnlyOffersNoChange(t *testing.T) {
	m := open(t, uitest.ReadOnly{Hypervisor: uitest.Demo(t)}, 80, 21)
	for _, k := range []string{"s", "x", "a", "n", "c", "D"} {
		out := press(t, m, k)
		if out.Dialog != nil || len(out.NotNow) != 1 || !strings.Contains(out.NotNow[0], "your access is read-only") {
			t.Errorf("%s as a read-only user: %+v", k, out)
		}
	}
}
