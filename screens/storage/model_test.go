package storage

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

// open runs the Storage screen of hv (a fresh demo host when nil) at w×h.
func open(t *testing.T, hv vm.Hypervisor, w, h int) (*Model, *uitest.Harness) {
	t.Helper()
	if hv == nil {
		hv = uitest.Demo(t)
	}
	m := New(uitest.Common(hv, w, h), "")
	return m, uitest.NewHarness(t, m)
}

// selectVolume moves to the volumes pane and onto the volume called name.
func selectVolume(t *testing.T, m *Model, h *uitest.Harness, name string) {
	t.Helper()
	if m.focus != volumesPane {
		h.Press("tab")
	}
	h.Press("g")
	for i := 0; ; i++ {
		if v, _ := m.SelectedVolume(); v.Name == name {
			return
		}
		if i > len(m.vols) {
			t.Fatalf("no volume %s in %s", name, m.pool)
		}
		h.Press("down")
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
	m, h := open(t, nil, 80, 21)
	view := uitest.Plain(m.View())
	for _, want := range []string{"2 pools", "33G free of 200G", "default", "fast-ssd", "19G", "81%", "86%",
		"Volumes of default", "/var/lib/libvirt/images", "12 volumes", "web-01.qcow2", "6.2G", "web-01",
		"debian-12.5.0-amd64-netinst.iso"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	h.Press("down")
	if view := uitest.Plain(m.View()); !strings.Contains(view, "Volumes of fast-ssd") || !strings.Contains(view, "db-primary-data.qcow2") {
		t.Errorf("moving to fast-ssd does not show its volumes:\n%s", view)
	}
}

// TestPoolsOnOneFilesystemCountOnce: two directory pools on one disk share
// its free space; the summary must not add it up twice (issue 15: "471G
// free of 504G" on a 252G disk).
func TestPoolsOnOneFilesystemCountOnce(t *testing.T) {
	m, _ := open(t, nil, 100, 24)
	m.pools = []vm.Pool{
		{Name: "a", Active: true, Filesystem: "fd00", CapacityBytes: 252 << 30, AvailableBytes: 76 << 30},
		{Name: "b", Active: true, Filesystem: "fd00", CapacityBytes: 252 << 30, AvailableBytes: 76 << 30},
		{Name: "c", Active: true, Filesystem: "fd01", CapacityBytes: 100 << 30, AvailableBytes: 10 << 30},
		{Name: "d", Active: true, CapacityBytes: 8 << 30, AvailableBytes: 2 << 30}, // filesystem unknown: its own
	}
	if line := uitest.Plain(m.titleLine()); !strings.Contains(line, "4 pools · 4 active · 88G free of 360G") {
		t.Errorf("summary %q: want 88G free of 360G, each filesystem once", line)
	}
}

func TestNewVolumeRefusesWhatDoesNotFit(t *testing.T) {
	_, h := open(t, nil, 80, 21)
	h.Press("n")
	form, ok := h.Dialog.(*ui.Form)
	if !ok {
		t.Fatalf("n should open the form, got %T", h.Dialog)
	}
	h.Send(uitest.Type("big.qcow2")...)
	h.Press("tab", "ctrl+u", "5", "0", "G", "enter")
	if h.Dialog == nil {
		t.Fatal("a 50G volume was accepted in a pool with 19G free")
	}
	if v := uitest.Flat(form.View()); !strings.Contains(v, "not enough space in pool default: needs 50G, has 19G") {
		t.Errorf("the form does not say why:\n%s", v)
	}
	for text, why := range map[string]string{"lots": "is not a size", "1K": "at least 1M", "2X": "is not a size"} {
		h.Press("ctrl+u")
		h.Send(uitest.Type(text)...)
		h.Press("enter")
		if v := uitest.Flat(form.View()); h.Dialog == nil || !strings.Contains(v, why) {
			t.Errorf("size %q: the form does not say %q:\n%s", text, why, v)
		}
	}
}

func TestCreateThenDeleteByTypingTheName(t *testing.T) {
	m, h := open(t, nil, 80, 21)
	hv := m.c.HV
	h.Press("n")
	h.Send(uitest.Type("scratch.img")...)
	h.Press("tab", "ctrl+u", "2", "G", "tab", "right", "enter")
	if h.Dialog != nil || len(h.Errors) > 0 {
		t.Fatalf("creating a 2G raw volume: errors %v", h.Errors)
	}
	v, ok := volumes(t, hv, "default")["scratch.img"]
	if !ok || v.Format != "raw" || v.CapacityBytes != 2<<30 {
		t.Fatalf("created %+v", v)
	}
	if sel, _ := m.SelectedVolume(); sel.Name != "scratch.img" || m.focus != volumesPane {
		t.Errorf("the new volume should be selected in the volumes pane: %s, focus %v", sel.Name, m.focus)
	}
	h.Press("D")
	d, ok := h.Dialog.(*ui.TypeName)
	if !ok {
		t.Fatalf("deleting should ask to type the name, got %T", h.Dialog)
	}
	if v := uitest.Flat(d.View()); !strings.Contains(v, "scratch.img (0 on disk, 2G for the guest)") || !strings.Contains(v, "Risk: [CRITICAL]") {
		t.Errorf("the question:\n%s", v)
	}
	h.Send(uitest.Type("scratch")...)
	h.Press("enter")
	if h.Dialog == nil || !strings.Contains(uitest.Flat(d.View()), "That is not the name") {
		t.Fatal("a wrong name confirmed the deletion, or was not explained")
	}
	h.Send(uitest.Type(".img")...)
	h.Press("enter")
	if h.Dialog != nil || h.LastStatus() != "deleted volume scratch.img from default" {
		t.Fatalf("typing the name should delete: status %q", h.LastStatus())
	}
	if _, still := volumes(t, hv, "default")["scratch.img"]; still {
		t.Error("scratch.img is still there")
	}
}

func TestDeletingAVMsDiskIsUnavailable(t *testing.T) {
	m, h := open(t, nil, 80, 21)
	selectVolume(t, m, h, "web-01.qcow2")
	h.Press("D")
	if h.Dialog != nil || h.LastStatus() != "Cannot delete volume web-01.qcow2: it is a disk of web-01" {
		t.Errorf("D on web-01's disk: dialog %v, status %q", h.Dialog, h.LastStatus())
	}
	if view := uitest.Flat(m.View()); !strings.Contains(view, "D delete volume (it is a disk of web-01)") {
		t.Errorf("the view does not say why:\n%s", view)
	}
}

func TestStoppingAPoolInUseNamesTheVMs(t *testing.T) {
	m, h := open(t, nil, 80, 21)
	hv := m.c.HV
	h.Press("down", "d") // fast-ssd
	if h.Dialog == nil {
		t.Fatal("x should ask first")
	}
	body := uitest.Flat(h.Dialog.View())
	for _, want := range []string{"Stop pool fast-ssd?", "6 running VMs with disks in fast-ssd keep running on the disks they have open",
		"db-primary, db-replica", "No VM with a disk in it can start until it starts again", "Risk: [HIGH]"} {
		if !strings.Contains(body, want) {
			t.Errorf("the question lacks %q:\n%s", want, body)
		}
	}
	h.Press("enter") // high risk: enter is no
	if p, _ := hv.Pool(context.Background(), "fast-ssd"); !p.Active {
		t.Fatal("enter stopped the pool")
	}
	h.Press("d", "y")
	view := uitest.Plain(m.View())
	if !strings.Contains(view, "inactive") || !strings.Contains(view, "The pool is inactive: its volumes are not listed. s starts it.") {
		t.Errorf("the stopped pool is not shown as such:\n%s", view)
	}
	if !strings.Contains(uitest.Flat(view), "d stop pool, n create volume, c copy volume, D delete volume (the pool is inactive)") {
		t.Errorf("the pool's actions should say why they are unavailable:\n%s", view)
	}
	h.Press("s")
	if p, _ := hv.Pool(context.Background(), "fast-ssd"); !p.Active {
		t.Error("s did not start the pool again")
	}
}

func TestCopyReportsProgressAndSelectsTheCopy(t *testing.T) {
	m, h := open(t, nil, 100, 30)
	hv := m.c.HV
	selectVolume(t, m, h, "dns-01.qcow2")
	h.Press("c")
	form, ok := h.Dialog.(*ui.Form)
	if !ok || form.Values()[0] != "dns-01-copy.qcow2" {
		t.Fatalf("c should propose a name for the copy: %T", h.Dialog)
	}
	h.Press("enter")
	if h.Dialog != nil || h.LastStatus() != "copied dns-01.qcow2 to dns-01-copy.qcow2" {
		t.Fatalf("the copy did not finish: status %q, errors %v", h.LastStatus(), h.Errors)
	}
	if cp, ok := volumes(t, hv, "default")["dns-01-copy.qcow2"]; !ok || cp.CapacityBytes != 8<<30 {
		t.Errorf("the copy: %+v", cp)
	}
	if sel, _ := m.SelectedVolume(); sel.Name != "dns-01-copy.qcow2" || m.copying != nil {
		t.Errorf("after the copy the selection is %s and copying %+v", sel.Name, m.copying)
	}
	// While a copy runs, its progress shows above the volumes.
	m.copying = &copyState{pool: "default", src: "web-01.qcow2", dst: "web-01-copy.qcow2"}
	h.Send(copyProgressMsg{id: m.id, done: 3 << 30, total: 6 << 30})
	if view := uitest.Plain(m.View()); !strings.Contains(view, "copying web-01.qcow2 › web-01-copy.qcow2") || !strings.Contains(view, "50%  3G of 6G") {
		t.Errorf("progress not shown:\n%s", view)
	}
	h.Press("d")
	if !strings.Contains(h.LastStatus(), "a copy is running in it") {
		t.Errorf("stopping the pool during a copy: %q", h.LastStatus())
	}
}

func TestReadOnlyOffersNoChange(t *testing.T) {
	_, h := open(t, uitest.DemoReadOnly(t), 80, 21)
	for _, k := range []string{"s", "d", "a", "n", "c", "D"} {
		h.Press(k)
		if h.Dialog != nil || !strings.Contains(h.LastStatus(), "read-only access") {
			t.Errorf("%s as a read-only user: dialog %v, status %q", k, h.Dialog, h.LastStatus())
		}
	}
}

// slowCopy is the demo host whose volume copies run until cancelled, as a
// large disk's would; the backend then reports vm.ErrCancelled, having
// deleted what it made (the real tier checks that part).
type slowCopy struct{ vm.Hypervisor }

func (s slowCopy) CopyVolume(ctx context.Context, pool, src, dst string, progress func(done, total uint64)) (vm.Volume, error) {
	progress(1<<30, 8<<30)
	<-ctx.Done()
	return vm.Volume{}, &vm.Error{Op: "copy volume", Target: src, Kind: vm.ErrCancelled}
}

// c during a copy cancels it: the line above the volumes says how, the
// status says what was left, and the screen can copy again.
func TestCCancelsARunningCopy(t *testing.T) {
	m, h := open(t, slowCopy{uitest.Demo(t)}, 100, 30)
	selectVolume(t, m, h, "dns-01.qcow2")
	// The copy runs outside the harness, which would wait for its end.
	started := m.startCopy("default", "dns-01.qcow2", "dns-01-copy.qcow2")().(copyStartedMsg)
	next := m.Update(m.Update(started)()) // the copy's first message, then its first reading
	next = m.Update(next())
	if view := uitest.Plain(m.View()); !strings.Contains(view, "1G of 8G  c cancels") {
		t.Fatalf("the copy's line does not say how to cancel it:\n%s", view)
	}
	got := make(chan tea.Msg, 1)
	go func() { got <- next() }()
	// Opening the actions menu, which lists "cancel copy", cancels nothing.
	h.Press("x")
	if _, ok := h.Dialog.(*ui.Menu); !ok {
		t.Fatalf("x during a copy: dialog %T", h.Dialog)
	}
	h.Press("esc")
	select {
	case msg := <-got:
		t.Fatalf("opening the menu ended the copy: %#v", msg)
	case <-time.After(300 * time.Millisecond):
	}
	h.Press("c")
	if h.Dialog != nil || !strings.Contains(h.LastStatus(), "cancelling the copy of dns-01.qcow2") {
		t.Fatalf("c during a copy: dialog %T, status %q", h.Dialog, h.LastStatus())
	}
	for deadline := time.After(10 * time.Second); ; {
		select {
		case msg := <-got:
			if _, done := msg.(copyDoneMsg); !done {
				next = m.Update(msg)
				go func() { got <- next() }()
				continue
			}
			h.Send(msg)
		case <-deadline:
			t.Fatal("the copy still runs 10 s after c")
		}
		break
	}
	if m.copying != nil || len(h.Errors) > 0 || h.LastStatus() != "cancelled the copy of dns-01.qcow2: dns-01-copy.qcow2 was not kept" {
		t.Fatalf("after cancelling: copying %+v, errors %v, status %q", m.copying, h.Errors, h.LastStatus())
	}
	h.Press("c")
	if _, ok := h.Dialog.(*ui.Form); !ok {
		t.Errorf("c after a cancelled copy should offer a new copy: dialog %T, status %q", h.Dialog, h.LastStatus())
	}
}
