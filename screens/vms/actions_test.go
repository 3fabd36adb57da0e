package vms

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/ui/vmaction"
	"github.com/hyper-nixos/hv/vm"
)

// harness shows the VM list of a fresh demo host, with dialogs.
func harness(t *testing.T, hv vm.Hypervisor) (*uitest.Harness, *Model) {
	t.Helper()
	m := New(uitest.Common(hv, 120, 37), "")
	return uitest.NewHarness(t, m), m
}

// selectVM moves the cursor onto name.
func selectVM(t *testing.T, h *uitest.Harness, m *Model, name string) {
	t.Helper()
	h.Press("g")
	for i := 0; ; i++ {
		if v, _ := m.Selected(); v.Name == name {
			return
		}
		if i > len(m.rows) {
			t.Fatalf("%s is not in the list", name)
		}
		h.Press("down")
	}
}

// stateOf asks libvirt, not the screen.
func stateOf(t *testing.T, hv vm.Hypervisor, name string) vm.State {
	t.Helper()
	v, err := hv.Lookup(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return v.State
}

func TestPauseAndResumeWithOneKey(t *testing.T) {
	hv := uitest.Demo(t)
	h, m := harness(t, hv)
	selectVM(t, h, m, "web-01")
	h.Press("p")
	if h.Dialog != nil {
		t.Fatal("pause is low risk: it should not ask")
	}
	if got := stateOf(t, hv, "web-01"); got != vm.StatePaused {
		t.Fatalf("after p web-01 is %v", got)
	}
	h.Send(ui.VMEventMsg{Event: nextEvent(t, hv, "web-01", vm.EventSuspended)})
	if !strings.Contains(h.LastStatus(), "web-01 paused") {
		t.Errorf("status %q should say web-01 paused", h.LastStatus())
	}
	h.Press("p") // on a paused VM, p resumes
	if got := stateOf(t, hv, "web-01"); got != vm.StateRunning {
		t.Errorf("a second p should resume: web-01 is %v", got)
	}
}

func TestUnavailableActionSaysWhyInsteadOfFailing(t *testing.T) {
	hv := uitest.Demo(t)
	h, m := harness(t, hv)
	selectVM(t, h, m, "backup") // shut off
	h.Press("p")
	if got := h.LastStatus(); got != "Cannot pause backup: backup is shut off: start it first" {
		t.Errorf("status %q", got)
	}
	if len(h.Errors) > 0 {
		t.Errorf("nothing should have been tried: %v", h.Errors)
	}
}

func TestMediumRiskAsksHighRiskDefaultsToNo(t *testing.T) {
	hv := uitest.Demo(t)
	h, m := harness(t, hv)
	selectVM(t, h, m, "mail")
	h.Press("R")
	if h.Dialog == nil || !strings.Contains(h.View(), "Reboot mail?") || !strings.Contains(h.View(), "[MEDIUM]") {
		t.Fatalf("reboot should ask, with its risk:\n%s", h.View())
	}
	h.Press("n")
	h.Press("F")
	if !strings.Contains(h.View(), "Force off mail?") || !strings.Contains(h.View(), "pulling the plug") {
		t.Fatalf("force off should show its impact:\n%s", h.View())
	}
	h.Press("enter") // the focus starts on No for high risk
	if got := stateOf(t, hv, "mail"); got != vm.StateRunning {
		t.Fatalf("enter on a high-risk question must not act: mail is %v", got)
	}
	h.Press("F", "y")
	if got := stateOf(t, hv, "mail"); got != vm.StateShutOff {
		t.Errorf("y should force mail off: %v", got)
	}
}

func TestDeleteNeedsTheNameTyped(t *testing.T) {
	hv := uitest.Demo(t)
	h, m := harness(t, hv)
	selectVM(t, h, m, "backup")
	h.Press("D")
	if !strings.Contains(h.View(), "Type backup to confirm") {
		t.Fatalf("delete should ask for the name:\n%s", h.View())
	}
	if words := strings.Join(strings.Fields(strings.ReplaceAll(h.View(), "│", "")), " "); strings.Contains(words, "starts on No") || !strings.Contains(words, "you type the name to confirm") {
		t.Errorf("above a typed name the dialog must not speak of a question starting on No:\n%s", h.View())
	}
	h.Send(uitest.Type("backu")...)
	h.Press("enter")
	if !strings.Contains(h.View(), "That is not the name") {
		t.Errorf("a wrong name should be refused:\n%s", h.View())
	}
	h.Press("p", "enter")
	if _, err := hv.Lookup(context.Background(), "backup"); err == nil {
		t.Fatal("backup should be deleted")
	}
	h.Send(ui.VMEventMsg{Event: nextEvent(t, hv, "backup", vm.EventUndefined)})
	if uuidOf(m, "backup") != "" {
		t.Error("the deleted VM stays in the list")
	}
}

func TestBulkActionOnMarkedVMsSummarisesEach(t *testing.T) {
	hv := uitest.Demo(t)
	h, m := harness(t, hv)
	h.Send(uitest.Key("/"))
	h.Send(uitest.Type("k8s")...)
	h.Press("enter", "*")
	if len(m.marked()) != 3 {
		t.Fatalf("* should mark the 3 shown VMs, marked %d", len(m.marked()))
	}
	if !strings.Contains(h.View(), "3 marked") {
		t.Errorf("the marks are not shown:\n%s", h.View())
	}
	h.Press("p") // pause: k8s-node-3 is already paused
	deadline := time.Now().Add(10 * time.Second)
	for h.Dialog == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	view := h.View()
	for _, want := range []string{"Pause: 2 of 2 VMs paused, 1 skipped", "ok   k8s-node-1", "ok   k8s-node-2", "skip k8s-node-3: k8s-node-3 is paused"} {
		if !strings.Contains(view, want) {
			t.Errorf("summary lacks %q:\n%s", want, view)
		}
	}
	if len(m.marked()) != 1 {
		t.Errorf("VMs done are unmarked, the skipped one stays marked: %d marked", len(m.marked()))
	}
}

func TestReadOnlyAccessRefusesEveryActionWithTheFix(t *testing.T) {
	hv := uitest.DemoReadOnly(t)
	h, m := harness(t, hv)
	selectVM(t, h, m, "web-01")
	h.Press("x")
	view := h.View()
	if !strings.Contains(view, "Actions for web-01") {
		t.Fatalf("x should list the actions:\n%s", view)
	}
	h.Press("down", "down", "down") // onto an action
	if !strings.Contains(h.View(), "Unavailable: read-only access") {
		t.Errorf("the menu should say why:\n%s", h.View())
	}
	h.Press("esc", "s")
	if !strings.Contains(h.LastStatus(), "read-only access: hv was started with --read-only; start it without") {
		t.Errorf("status %q", h.LastStatus())
	}
}

// TestReadOnlyUserIsNotOfferedTheConsole: libvirt opens consoles for
// read-write connections only, so the outsider sees it unavailable, why,
// and c says so instead of opening a screen that fails.
func TestReadOnlyUserIsNotOfferedTheConsole(t *testing.T) {
	h, m := harness(t, uitest.DemoReadOnly(t))
	selectVM(t, h, m, "web-01")
	h.Press("x", "c") // c in the menu moves onto the console's line
	words := strings.Join(strings.Fields(strings.ReplaceAll(h.View(), "│", "")), " ")
	if !strings.Contains(words, "c Serial console (unavailable)") || !strings.Contains(words, "Unavailable: read-only access") {
		t.Errorf("the menu should show the console unavailable, and why:\n%s", h.View())
	}
	h.Press("esc", "c")
	if len(h.Navigated) != 0 || !strings.Contains(h.LastStatus(), "Cannot open the console of web-01: read-only access") {
		t.Errorf("c should refuse with the reason: navigated %v, status %q", h.Navigated, h.LastStatus())
	}
}

func TestShutdownTimeoutOffersForceOff(t *testing.T) {
	hv := uitest.Demo(t)
	h, m := harness(t, hv)
	selectVM(t, h, m, "dns-01")
	h.Press("d", "y")
	// The test driver shuts down at once; pretend the guest ignored it.
	if err := hv.Start(context.Background(), "dns-01"); err != nil {
		t.Fatal(err)
	}
	i := m.byRef[uuidOf(m, "dns-01")]
	m.rows[i].vm.State = vm.StateRunning
	h.Send(m.actions.ShutdownCheck(m.rows[i].vm))
	if !strings.Contains(h.View(), "Force off dns-01?") || !strings.Contains(h.View(), "ignore the ACPI power button") {
		t.Fatalf("a VM still running after the timeout should get the offer:\n%s", h.View())
	}
	h.Press("y")
	if got := stateOf(t, hv, "dns-01"); got != vm.StateShutOff {
		t.Errorf("dns-01 should be forced off: %v", got)
	}
}

// TestNoForceOffAfterTheVMStoppedAndStartedAgain: the shutdown did its
// work; the VM runs again because it was started since, so the timer's
// check must not offer to pull its plug.
func TestNoForceOffAfterTheVMStoppedAndStartedAgain(t *testing.T) {
	hv := uitest.Demo(t)
	h, m := harness(t, hv)
	selectVM(t, h, m, "dns-01")
	h.Press("d", "y")
	if !strings.Contains(h.LastStatus(), "dns-01 asked to shut down") {
		t.Errorf("status %q", h.LastStatus())
	}
	h.Send(ui.VMEventMsg{Event: nextEvent(t, hv, "dns-01", vm.EventStopped)})
	if !strings.Contains(h.LastStatus(), "dns-01 shut down") {
		t.Errorf("once off, the status should say so, not %q", h.LastStatus())
	}
	h.Press(vmaction.Keys.Start.Help().Key)
	h.Send(ui.VMEventMsg{Event: nextEvent(t, hv, "dns-01", vm.EventStarted)})
	i := m.byRef[uuidOf(m, "dns-01")]
	if m.rows[i].vm.State != vm.StateRunning {
		t.Fatalf("dns-01 should run again: %v", m.rows[i].vm.State)
	}
	h.Send(m.actions.ShutdownCheck(m.rows[i].vm))
	if h.Dialog != nil {
		t.Fatalf("force off offered for a VM that stopped and was started again:\n%s", h.View())
	}
}

// TestPendingStateFitsItsColumn: what is under way reads in full in the
// STATE column, on a Linux console too (issue 15: "shutting~").
func TestPendingStateFitsItsColumn(t *testing.T) {
	hv := uitest.Demo(t)
	c := uitest.Common(hv, 80, 24)
	c.Glyphs = ui.ASCIIGlyphs
	m := New(c, "")
	h := uitest.NewHarness(t, m)
	selectVM(t, h, m, "dns-01")
	h.Press("d", "y")
	if view := h.View(); !strings.Contains(view, "stopping~") || strings.Contains(view, "shutting") {
		t.Errorf("a shutdown under way should read stopping~:\n%s", view)
	}
	h.Send(ui.VMEventMsg{Event: nextEvent(t, hv, "dns-01", vm.EventStopped)})
	h.Press(vmaction.Keys.Start.Help().Key)
	h.Send(ui.VMEventMsg{Event: nextEvent(t, hv, "dns-01", vm.EventStarted)})
	h.Press("R", "y")
	if view := h.View(); !strings.Contains(view, "rebooting ") {
		t.Errorf("a reboot under way should read rebooting, uncut:\n%s", view)
	}
}

// TestRebootEventClearsRebooting: "rebooting" lasts until libvirt reports
// the reboot (its only event for one), not for good.
func TestRebootEventClearsRebooting(t *testing.T) {
	hv := uitest.Demo(t)
	h, m := harness(t, hv)
	selectVM(t, h, m, "dns-01")
	h.Press("R", "y")
	uuid := uuidOf(m, "dns-01")
	if m.actions.Pending(uuid) != "rebooting" {
		t.Fatalf("after R dns-01 should show rebooting: %q", m.actions.Pending(uuid))
	}
	h.Send(ui.VMEventMsg{Event: vm.Event{Kind: vm.EventRebooted, UUID: uuid, Name: "dns-01"}})
	if p := m.actions.Pending(uuid); p != "" {
		t.Errorf("after the reboot event dns-01 still shows %q", p)
	}
	if !strings.Contains(h.LastStatus(), "dns-01 rebooted") {
		t.Errorf("the status should say it rebooted, not %q", h.LastStatus())
	}
}

// TestHardenedPhaseRefusesWithTheReason: in the hardened phase, deleting a
// VM with its disks is shown disabled with the reason and the way around
// it, and a high-risk action on marked VMs is refused before anything
// runs; a medium-risk one still runs on all of them.
func TestHardenedPhaseRefusesWithTheReason(t *testing.T) {
	hv := uitest.Demo(t)
	c := uitest.Common(hv, 120, 37)
	c.Phase = phase.Hardened
	m := New(c, "")
	h := uitest.NewHarness(t, m)
	selectVM(t, h, m, "backup")
	h.Press("x")
	// The reason wraps in the dialog: compare words, not lines.
	words := func() string { return strings.Join(strings.Fields(strings.ReplaceAll(h.View(), "│", "")), " ") }
	for i := 0; i < 12 && !strings.Contains(words(), "in one step"); i++ {
		h.Press("down")
	}
	if view := words(); !strings.Contains(view, "Unavailable: the hardened phase does not delete a VM together with its disks in one step") {
		t.Errorf("the menu should say why delete with disks is refused:\n%s", view)
	}
	h.Press("esc")
	h.Send(uitest.Key("/"))
	h.Send(uitest.Type("k8s")...)
	h.Press("enter", "*", "F")
	if h.Dialog != nil || !strings.Contains(h.LastStatus(), "one VM at a time") {
		t.Errorf("force off of 3 VMs: dialog %v, status %q", h.Dialog != nil, h.LastStatus())
	}
	if got := stateOf(t, hv, "k8s-node-1"); got != vm.StateRunning {
		t.Errorf("nothing should have run: k8s-node-1 is %v", got)
	}
}

// A bulk question counts and names the VMs that will change, not every VM
// marked, and the summary counts them too.
func TestBulkQuestionNamesTheVMsThatChange(t *testing.T) {
	hv := uitest.Demo(t)
	h, m := harness(t, hv)
	h.Press("*", "F")
	v := uitest.Flat(h.View())
	if !strings.Contains(v, "Force off 11 VMs?") || !strings.Contains(v, "db-primary") || !strings.Contains(v, "3 marked VMs are skipped") {
		t.Errorf("force off of the 14 marked VMs should be asked of the 11 that run:\n%s", v)
	}
	h.Press("n", "D")
	v = uitest.Flat(h.View())
	if !strings.Contains(v, "Delete 3 VMs?") || !strings.Contains(v, "backup, ci-runner, win11-desk") || !strings.Contains(v, "Type delete 3 to confirm") {
		t.Fatalf("delete of the 14 marked VMs should be asked of the 3 shut off:\n%s", v)
	}
	h.Send(uitest.Type("delete 3")...)
	h.Press("enter")
	deadline := time.Now().Add(10 * time.Second)
	for h.Dialog == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if v := uitest.Flat(h.View()); !strings.Contains(v, "Delete: 3 of 3 VMs deleted, 11 skipped") {
		t.Errorf("the summary should count the VMs it changed:\n%s", v)
	}
	_ = m
}

// The TUI records an answer under the same name as the CLI and the change
// itself: confirm.vm.force-off.
func TestAnswersAreAuditedUnderTheChangesName(t *testing.T) {
	hv := uitest.Demo(t)
	c := uitest.Common(hv, 120, 37)
	var recorded []string
	c.RecordAnswer = func(action, target, answer string) error {
		recorded = append(recorded, action+" "+target+": "+answer)
		return nil
	}
	m := New(c, "")
	h := uitest.NewHarness(t, m)
	selectVM(t, h, m, "mail")
	h.Press("F", "n")
	if strings.Join(recorded, ",") != "confirm.vm.force-off mail: declined" {
		t.Errorf("recorded %q", recorded)
	}
}
