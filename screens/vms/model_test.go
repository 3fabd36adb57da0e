package vms

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

// open shows the VM list of a fresh demo host at w×h.
func open(t *testing.T, w, h int, query string) (*Model, vm.Hypervisor) {
	t.Helper()
	hv := uitest.Demo(t)
	m := New(uitest.Common(hv, w, h), query)
	uitest.Drain(t, m.Update, m.Init())
	return m, hv
}

func send(t *testing.T, m *Model, msgs ...tea.Msg) {
	t.Helper()
	for _, msg := range msgs {
		uitest.Drain(t, m.Update, m.Update(msg))
	}
}

// names returns the VM names in the order the table shows them.
func names(m *Model) []string {
	var out []string
	for _, i := range m.visible {
		out = append(out, m.rows[i].vm.Name)
	}
	return out
}

// nextEvent waits for the backend's next event about name.
func nextEvent(t *testing.T, hv vm.Hypervisor, name string, kind vm.EventKind) vm.Event {
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

func TestListShowsEveryDemoVM(t *testing.T) {
	m, hv := open(t, 80, 21, "")
	if view := uitest.Plain(m.View()); strings.Contains(view, "no live statistics") {
		t.Errorf("before the first reading nothing is known of the driver's statistics:\n%s", view)
	}
	samples, err := hv.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m.c.History.Add(samples)
	send(t, m, ui.StatsMsg{})
	view := uitest.Plain(m.View())
	for _, want := range []string{"14 VMs", "9 running", "2 paused", "3 off", "db-primary", "win11-desk", "reports no live statistics"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
}

func TestFilterByQualifierAndName(t *testing.T) {
	m, _ := open(t, 80, 21, "")
	send(t, m, uitest.Key("/"))
	if !m.Capturing() {
		t.Fatal("after / the filter field should take the keys")
	}
	send(t, m, uitest.Type("state:paused")...)
	if got := names(m); strings.Join(got, ",") != "dev-sandbox,k8s-node-3" {
		t.Errorf("state:paused shows %v", got)
	}
	send(t, m, uitest.Key("enter"))
	if m.Capturing() {
		t.Error("enter should leave the filter field")
	}
	view := uitest.Plain(m.View())
	if !strings.Contains(view, "filter: state:paused") || !strings.Contains(view, "2 of 14 shown") {
		t.Errorf("applied filter not shown:\n%s", view)
	}
	if !m.Esc() || len(m.visible) != 14 {
		t.Errorf("esc should clear the filter and show all 14 VMs, shows %d", len(m.visible))
	}
	if m.Esc() {
		t.Error("a second esc has nothing to clear and should mean back")
	}
}

func TestBadFilterSaysWhyAndKeepsTheList(t *testing.T) {
	m, _ := open(t, 100, 21, "")
	send(t, m, uitest.Key("/"))
	send(t, m, uitest.Type("web state:sleepy")...)
	view := uitest.Plain(m.View())
	if !strings.Contains(view, `unknown state "sleepy"`) {
		t.Errorf("the error is not shown:\n%s", view)
	}
	if got := names(m); strings.Join(got, ",") != "web-01,web-02" {
		t.Errorf("the good term 'web' should still filter, shows %v", got)
	}
	send(t, m, uitest.Key("esc"))
	if m.Capturing() || len(m.visible) != 14 {
		t.Errorf("esc in the field should clear and leave it: capturing=%v visible=%d", m.Capturing(), len(m.visible))
	}
}

func TestInitialQueryFromThePalette(t *testing.T) {
	m, _ := open(t, 80, 21, "k8s")
	if got := names(m); strings.Join(got, ",") != "k8s-node-1,k8s-node-2,k8s-node-3" {
		t.Errorf("query k8s shows %v", got)
	}
}

func TestSortCyclesColumnsAndReverses(t *testing.T) {
	m, _ := open(t, 80, 21, "")
	if got := names(m)[0]; got != "backup" {
		t.Errorf("default sort is by name, first is %s", got)
	}
	send(t, m, uitest.Key("o")) // state, most urgent first
	got := names(m)
	if m.rows[m.visible[0]].vm.State != vm.StateRunning || m.rows[m.visible[len(got)-1]].vm.State != vm.StateShutOff {
		t.Errorf("sort by state: %v", got)
	}
	send(t, m, uitest.Key("o")) // vCPUs, largest first
	if got := names(m)[0]; got != "db-primary" {
		t.Errorf("sort by vCPUs descending starts with %s, want db-primary (16)", got)
	}
	send(t, m, uitest.Key("O"))
	if got := names(m)[0]; got != "dns-01" {
		t.Errorf("reversed vCPU sort starts with %s, want dns-01 (1)", got)
	}
	if view := uitest.Plain(m.View()); !strings.Contains(view, "VCPU↑") {
		t.Errorf("the sorted column is not marked:\n%s", view)
	}
}

func TestSelectionFollowsTheVMAcrossUpdates(t *testing.T) {
	m, hv := open(t, 80, 21, "")
	send(t, m, uitest.Key("o")) // by state: running VMs first
	send(t, m, uitest.Key("g"))
	for i := 0; names(m)[m.cursor] != "mail"; i++ {
		if i > 14 {
			t.Fatalf("never reached mail in %v", names(m))
		}
		send(t, m, uitest.Key("down"))
	}
	// mail stops: it moves down among the shut-off VMs; the cursor goes with it.
	if err := hv.Destroy(context.Background(), "mail"); err != nil {
		t.Fatal(err)
	}
	send(t, m, ui.VMEventMsg{Event: nextEvent(t, hv, "mail", vm.EventStopped)})
	if sel, _ := m.Selected(); sel.Name != "mail" || sel.State != vm.StateShutOff {
		t.Errorf("selection is %s (%v), want mail, shut off", sel.Name, sel.State)
	}
	// A full reload keeps it too.
	send(t, m, uitest.Key("ctrl+r"))
	if sel, _ := m.Selected(); sel.Name != "mail" {
		t.Errorf("after reload the selection is %s, want mail", sel.Name)
	}
}

func TestEventsUpdateRowsInPlace(t *testing.T) {
	m, hv := open(t, 80, 21, "")
	ctx := context.Background()
	if err := hv.Start(ctx, "ci-runner"); err != nil {
		t.Fatal(err)
	}
	send(t, m, ui.VMEventMsg{Event: nextEvent(t, hv, "ci-runner", vm.EventStarted)})
	if v := m.rows[m.byRef[uuidOf(m, "ci-runner")]].vm; v.State != vm.StateRunning {
		t.Errorf("ci-runner is %v after its started event", v.State)
	}
	// A VM defined elsewhere appears; one removed disappears.
	if _, err := hv.Define(ctx, vm.Spec{Name: "fresh", VCPUs: 1, MemoryMiB: 128}); err != nil {
		t.Fatal(err)
	}
	send(t, m, ui.VMEventMsg{Event: nextEvent(t, hv, "fresh", vm.EventDefined)})
	if uuidOf(m, "fresh") == "" {
		t.Fatal("a defined VM did not appear")
	}
	if err := hv.Undefine(ctx, "fresh"); err != nil {
		t.Fatal(err)
	}
	send(t, m, ui.VMEventMsg{Event: nextEvent(t, hv, "fresh", vm.EventUndefined)})
	if uuidOf(m, "fresh") != "" || len(m.rows) != 14 {
		t.Errorf("an undefined VM stayed: %v", names(m))
	}
}

func uuidOf(m *Model, name string) string {
	for _, r := range m.rows {
		if r.vm.Name == name {
			return r.vm.UUID
		}
	}
	return ""
}

func TestRatesFromTwoStatsReadings(t *testing.T) {
	m, _ := open(t, 120, 37, "web-01")
	id := uuidOf(m, "web-01")
	t0 := time.Now()
	s := vm.Sample{UUID: id, State: vm.StateRunning, At: t0, Has: vm.HasCPU | vm.HasDisk | vm.HasNet,
		VCPUs: 2, CPUTimeNs: 1e9, DiskReadBytes: 0, NetRxBytes: 0}
	m.c.History.Add([]vm.Sample{s})
	send(t, m, ui.StatsMsg{})
	s2 := s
	s2.At = t0.Add(2 * time.Second)
	s2.CPUTimeNs += 1e9                      // half a vCPU of two: 25%
	s2.DiskReadBytes += 2 * 3 << 20          // 3 MiB/s
	s2.NetTxBytes, s2.NetTxPackets = 4096, 2 // 2 KiB/s
	m.c.History.Add([]vm.Sample{s2})
	send(t, m, ui.StatsMsg{})
	view := uitest.Plain(m.View())
	for _, want := range []string{"25.0", "3M/s", "2K/s"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "reports no live statistics") {
		t.Error("the no-stats note stays after real figures arrived")
	}
}

func TestHostileNamesAreShownAsHarmlessText(t *testing.T) {
	m := New(uitest.Common(uitest.HostileHost(t), 120, 37), "")
	uitest.Drain(t, m.Update, m.Init())
	// And a raw ESC, as any other source might deliver.
	send(t, m, lookedUpMsg{id: m.id, ref: "00000000-0000-0000-0000-0000000000e5",
		vm: vm.VM{UUID: "00000000-0000-0000-0000-0000000000e5", Name: "x\x1b]0;owned\x07\x1b[2J", State: vm.StateShutOff}})
	view := m.View()
	for _, r := range view {
		if r >= 0x80 && r < 0xa0 || r == '\t' || r == 0x202e || r == 0x07 {
			t.Fatalf("the view carries %U from a VM name", r)
		}
	}
	plain := uitest.Plain(view)
	for _, want := range append(uitest.HostileShown, `x\x1b]0;owned\x07\x1b[2J`) {
		if !strings.Contains(plain, want) {
			t.Errorf("view lacks the escaped name %s:\n%s", want, plain)
		}
	}
}

// The table renders only the rows that fit, whatever the number of VMs.
func TestThousandVMsRenderOnlyWhatFits(t *testing.T) {
	m := thousand(t)
	view := uitest.Plain(m.View())
	if lines := strings.Count(view, "\n"); lines > 37 {
		t.Errorf("the view has %d lines for a 37-line area", lines)
	}
	send(t, m, uitest.Key("G"))
	if view := uitest.Plain(m.View()); !strings.Contains(view, "vm-0999") {
		t.Errorf("G does not reach the last VM:\n%s", view)
	}
}

func thousand(t testing.TB) *Model {
	c := uitest.Common(nil, 120, 37)
	m := New(c, "")
	vms := make([]vm.VM, 1000)
	for i := range vms {
		vms[i] = vm.VM{UUID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), Name: fmt.Sprintf("vm-%04d", i),
			State: vm.StateRunning, VCPUs: 1 + i%8, MemoryKiB: uint64(1+i%16) << 20}
	}
	m.Update(listedMsg{id: m.id, vms: vms})
	return m
}

func samples(m *Model, at time.Time, n uint64) []vm.Sample { // one reading of every row
	out := make([]vm.Sample, 0, len(m.rows))
	for _, r := range m.rows {
		out = append(out, vm.Sample{UUID: r.vm.UUID, State: vm.StateRunning, At: at, Has: vm.HasCPU | vm.HasDisk | vm.HasNet,
			VCPUs: r.vm.VCPUs, CPUTimeNs: n * 1e8, DiskReadBytes: n << 20, NetRxBytes: n << 10})
	}
	return out
}

func BenchmarkView1000VMs(b *testing.B) {
	m := thousand(b)
	m.c.History.Add(samples(m, time.Now(), 1))
	m.c.History.Add(samples(m, time.Now().Add(2*time.Second), 2))
	m.ApplyStats()
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkApplyStats1000VMs is one stats refresh: the shared history takes
// the bulk reading, then the list takes its rates and re-sorts.
func BenchmarkApplyStats1000VMs(b *testing.B) {
	m := thousand(b)
	m.sort, m.desc = byCPU, true // the worst case: every refresh re-sorts
	t0 := time.Now()
	i := 0
	for b.Loop() {
		m.c.History.Add(samples(m, t0.Add(time.Duration(i)*2*time.Second), uint64(i)))
		m.ApplyStats()
		i++
	}
}

// Every letter typed into the filter is text: j and k do not move the
// cursor while the field is open (/backup typed "bacup").
func TestFilterTypesEveryLetter(t *testing.T) {
	for _, q := range []string{"backup", "k8s", "web-0j"} {
		m, _ := open(t, 80, 21, "")
		send(t, m, uitest.Key("/"))
		send(t, m, uitest.Type(q)...)
		if view := uitest.Plain(m.View()); !strings.Contains(view, "/ "+q) {
			t.Errorf("typed %q, the field shows:\n%s", q, view)
		}
	}
	m, _ := open(t, 80, 21, "")
	send(t, m, uitest.Key("/"))
	send(t, m, uitest.Type("k8s")...)
	if got := strings.Join(names(m), ","); got != "k8s-node-1,k8s-node-2,k8s-node-3" {
		t.Errorf("/k8s shows %s", got)
	}
}

// A filter that does not parse cannot be kept: enter says why and leaves
// the field open, instead of keeping a filter that filters nothing.
func TestBadFilterCannotBeKept(t *testing.T) {
	m, _ := open(t, 80, 21, "")
	h := uitest.NewHarness(t, m)
	h.Press("/")
	h.Send(uitest.Type("state:bogus")...)
	h.Press("enter")
	if !m.Capturing() || !strings.Contains(h.LastStatus(), `unknown state "bogus"`) {
		t.Errorf("enter on a bad filter: field open %v, status %q", m.Capturing(), h.LastStatus())
	}
	h.Press("esc")
	if m.Capturing() || len(names(m)) != 14 {
		t.Errorf("esc should clear the bad filter: open %v, %d shown", m.Capturing(), len(names(m)))
	}
}

// At 60 columns the names are whole: columns with nothing to show give
// their room to the names.
func TestNarrowListKeepsNamesWhole(t *testing.T) {
	m, _ := open(t, 60, 20, "")
	send(t, m, ui.StatsMsg{})
	view := uitest.Plain(m.View())
	for _, name := range []string{"dev-sandbox", "k8s-node-1", "monitoring", "win11-desk"} {
		if !strings.Contains(view, name) {
			t.Errorf("at 60 columns %s is cut:\n%s", name, view)
		}
	}
	for _, line := range strings.Split(view, "\n") {
		if len([]rune(line)) > 60 {
			t.Errorf("line wider than 60: %q", line)
		}
	}
}
