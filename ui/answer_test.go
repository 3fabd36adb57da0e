package ui_test

import (
	"slices"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
)

// answers records what a dialog sends to the audit trail, and runs what
// the dialog returns as the app would.
type answers struct {
	t        *testing.T
	recorded []string
	ran      []string
}

func newAnswers(t *testing.T) (*answers, *ui.Common) {
	a := &answers{t: t}
	c := uitest.Common(nil, 80, 24)
	c.RecordAnswer = func(action, target, answer string) error {
		a.recorded = append(a.recorded, action+" "+target+": "+answer)
		return nil
	}
	return a, c
}

func (a *answers) press(d ui.Dialog, keys ...string) {
	for _, k := range keys {
		_, cmd := d.Update(uitest.Key(k))
		uitest.Drain(a.t, func(msg tea.Msg) tea.Cmd {
			if s, ok := msg.(string); ok {
				a.ran = append(a.ran, s)
			}
			return nil
		}, cmd)
	}
}

func TestDangerousAnswersGoToTheAuditTrail(t *testing.T) {
	a, c := newAnswers(t)
	forceOff := func() ui.Dialog {
		return ui.NewConfirm(c, "Force off web?", "b", true, ran).Audited("vm.destroy", "web")
	}
	a.press(forceOff(), "n")
	a.press(forceOff(), "y")
	a.press(ui.NewConfirm(c, "Revert?", "b", true, ran), "esc") // not named: its title
	del := ui.NewTypeName(c, "Delete db?", "b", "db", ran).Audited("vm.delete", "db")
	a.press(del, "d", "enter")
	a.press(del, "b", "enter")
	a.press(ui.NewTypeName(c, "Delete db?", "b", "db", ran).Audited("vm.delete", "db"), "esc")
	want := []string{
		"confirm.vm.destroy web: declined",
		"confirm.vm.destroy web: confirmed",
		"confirm Revert?: declined",
		"confirm.vm.delete db: wrong name",
		"confirm.vm.delete db: confirmed",
		"confirm.vm.delete db: declined",
	}
	if !slices.Equal(a.recorded, want) {
		t.Errorf("recorded\n%q\nwant\n%q", a.recorded, want)
	}
	if !slices.Equal(a.ran, []string{"ran", "ran"}) {
		t.Errorf("the actions ran %v times, want twice (after the confirmations)", a.ran)
	}
}

func TestHarmlessAnswersAreNotRecorded(t *testing.T) {
	a, c := newAnswers(t)
	a.press(ui.NewConfirm(c, "Reboot web?", "b", false, ran).Audited("vm.reboot", "web"), "y")
	a.press(ui.NewConfirm(c, "Quit hv?", "b", false, nil), "y")
	if len(a.recorded) != 0 || len(a.ran) != 1 {
		t.Errorf("recorded %q, ran %v", a.recorded, a.ran)
	}
}
