package ui_test

import (
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

var (
	stop  = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "stop"))
	start = key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "start"))
	del   = key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "delete"))
)

func ran() tea.Msg { return "ran" }

// answered is ran, for Confirm, which hands on the operator's answer.
func answered(vm.Confirmation) tea.Cmd { return ran }

// readOnly is a connection that only reads.
type readOnly struct{ vm.Hypervisor }

func (readOnly) Access() vm.Access { return vm.ReadOnly }

func TestConfirmAsksAccordingToRisk(t *testing.T) {
	c := uitest.Common(nil, 80, 24)
	if cmd := c.Confirm(ui.Action{Key: start, Risk: ops.Low, Kind: phase.StorageChange}, "t", "b", "x", answered); cmd() != "ran" {
		t.Error("a low-risk action should run without asking")
	}
	dialog := func(r ops.Risk) ui.Dialog {
		return c.Confirm(ui.Action{Key: stop, Risk: r, Kind: phase.StorageChange}, "Stop x?", "body", "x", answered)().(ui.OpenDialogMsg).Dialog
	}
	for risk, enterRuns := range map[ops.Risk]bool{ops.Medium: true, ops.High: false} {
		_, cmd := dialog(risk).Update(uitest.Key("enter"))
		if got := cmd != nil; got != enterRuns {
			t.Errorf("%v risk: enter runs the action = %v, want %v", risk, got, enterRuns)
		}
	}
	d, ok := dialog(ops.Critical).(*ui.TypeName)
	if !ok {
		t.Fatalf("a critical action should ask to type the name, got %T", dialog(ops.Critical))
	}
	if done, _ := d.Update(uitest.Key("enter")); done {
		t.Error("enter with nothing typed confirmed a critical action")
	}
	d.Update(uitest.Key("x"))
	if done, cmd := d.Update(uitest.Key("enter")); !done || cmd == nil || cmd() != "ran" {
		t.Error("typing the name should run the action")
	}
}

func TestTypeNameAcceptsTheShownFormOfAHostileName(t *testing.T) {
	c := uitest.Common(nil, 80, 24)
	name := "evil\u009b2J"
	d := ui.NewTypeName(c, "Delete?", "body", name, ran)
	for _, k := range uitest.Type(ui.Safe(name)) {
		d.Update(k)
	}
	if done, cmd := d.Update(uitest.Key("enter")); !done || cmd == nil {
		t.Error("the escaped form of a name with control characters should confirm")
	}
	if strings.ContainsRune(d.View(), '\u009b') {
		t.Error("the dialog draws the raw control character")
	}
}

func TestUnavailableActionsSayWhy(t *testing.T) {
	c := uitest.Common(nil, 80, 24)
	as := ui.Actions{
		{Key: start, Why: "it is active"},
		{Key: stop},
		{Key: del, Why: "it is active"},
	}
	if short := as.Short(); len(short) != 1 || short[0].Help().Key != "x" {
		t.Errorf("the footer should offer only x: %v", short)
	}
	if full := as.Full(); full[0].Help().Desc != "start" {
		t.Errorf("the keys read the same whatever is selected: %q", full[0].Help().Desc)
	}
	if v := uitest.Plain(c.NotNowView(as, 80)); strings.TrimSpace(v) != "Not now: s start, D delete (it is active)" {
		t.Errorf("NotNowView = %q", v)
	}
	refusal, ok := as.Handle(uitest.Key("s"), "lab")
	if !ok || refusal == nil || refusal().(ui.StatusMsg).Text != "Cannot start lab: it is active" {
		t.Error("pressing s should refuse with the reason")
	}
	as[1].Run = func() tea.Cmd { return ran }
	if cmd, ok := as.Handle(uitest.Key("x"), "lab"); !ok || cmd == nil || cmd() != "ran" {
		t.Error("x is available and runs its handler")
	}
	if a := (ui.Action{Key: stop}).Unless("first").Unless("second"); a.Why != "first" {
		t.Errorf("the first reason should stay: %q", a.Why)
	}
	ro := uitest.Common(readOnly{}, 80, 24)
	if ro.ReadOnlyWhy() == "" || c.ReadOnlyWhy() != "" {
		t.Error("ReadOnlyWhy should speak only for read-only connections")
	}
}

func TestFormChecksBeforeSubmitting(t *testing.T) {
	c := uitest.Common(nil, 80, 24)
	var got []string
	fields := []ui.Field{{Label: "Name"}, {Label: "Mode", Value: "nat", Choices: []string{"nat", "isolated"}}}
	f := ui.NewForm(c, "New", fields, func(v []string) tea.Cmd { got = v; return ran }).Check(func(v []string) error {
		if v[0] == "" {
			return &vm.Error{Op: "define", Kind: vm.ErrInvalidArg, Detail: "a name is required", Hint: "give it a name"}
		}
		return nil
	})
	if done, _ := f.Update(uitest.Key("enter")); done {
		t.Fatal("an empty name was submitted")
	}
	if v := uitest.Flat(f.View()); !strings.Contains(v, "Not yet: a name is required") || !strings.Contains(v, "give it a name") {
		t.Errorf("the form does not say why:\n%s", v)
	}
	for _, k := range append(uitest.Type("lab"), uitest.Key("tab"), uitest.Key("x"), uitest.Key("right")) {
		f.Update(k) // x is not typed into a choice
	}
	if v := uitest.Flat(f.View()); strings.Contains(v, "Not yet") || !strings.Contains(v, "[isolated]") {
		t.Errorf("the error should clear as the operator fixes it, and the choice move:\n%s", v)
	}
	if done, cmd := f.Update(uitest.Key("enter")); !done || cmd() != "ran" || strings.Join(got, ",") != "lab,isolated" {
		t.Errorf("submitted %v", got)
	}
	f = ui.NewForm(c, "New", []ui.Field{{Label: "Name"}}, func([]string) tea.Cmd { return ran })
	if done, cmd := f.Update(uitest.Key("esc")); !done || cmd != nil {
		t.Error("esc should cancel without running anything")
	}
}

func TestBar(t *testing.T) {
	ascii := uitest.Common(nil, 80, 24)
	ascii.Glyphs = ui.ASCIIGlyphs
	for frac, want := range map[float64]string{0: "[....]", 0.5: "[##..]", 1: "[####]", 2: "[####]", -1: "[....]"} {
		if got := ascii.Bar(frac, 6); got != want {
			t.Errorf("Bar(%v) = %q, want %q", frac, got, want)
		}
	}
}

// TestActionsObeyThePhase: an action the matrix refuses in the phase is
// unavailable with the matrix's reason; the others are left as they are.
func TestActionsObeyThePhase(t *testing.T) {
	as := ui.Actions{{Key: del, Risk: ops.Critical}, {Key: start, Risk: ops.Low}}
	got := slices.Clone(as).InPhase(phase.Hardened, phase.VMAction)
	if got[0].Available() || !strings.Contains(got[0].Why, "in one step") || !got[1].Available() {
		t.Errorf("hardened: %+v", got)
	}
	for _, p := range []phase.Phase{phase.Setup, phase.Hardened} {
		if got := slices.Clone(as).InPhase(p, phase.StorageChange); !got[0].Available() {
			t.Errorf("deleting a volume by name is allowed in %s: %s", p, got[0].Why)
		}
	}
}
