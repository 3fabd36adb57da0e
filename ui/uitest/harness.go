package uitest

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
)

// Harness runs one screen the way the root app would, minus the chrome:
// keys go to an open dialog first, and what the screen asks of the root
// (dialogs, status messages, errors, navigation) is recorded.
type Harness struct {
	t      testing.TB
	Screen ui.Screen
	Dialog ui.Dialog

	Status    []ui.StatusMsg
	Errors    []error
	Navigated []ui.NavigateMsg
	Backs     int // how many times the screen asked to go back
}

// NewHarness starts s and runs its Init.
func NewHarness(t testing.TB, s ui.Screen) *Harness {
	h := &Harness{t: t, Screen: s}
	Drain(t, h.route, s.Init())
	return h
}

func (h *Harness) route(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ui.OpenDialogMsg:
		h.Dialog = msg.Dialog
		return nil
	case ui.StatusMsg:
		h.Status = append(h.Status, msg)
		return nil
	case ui.ErrorMsg:
		h.Errors = append(h.Errors, msg.Err)
		return nil
	case ui.NavigateMsg:
		h.Navigated = append(h.Navigated, msg)
		return nil
	case ui.BackMsg:
		h.Backs++
		return nil
	case tea.KeyPressMsg:
		if h.Dialog != nil {
			done, cmd := h.Dialog.Update(msg)
			if done {
				h.Dialog = nil
			}
			return cmd
		}
	}
	return h.Screen.Update(msg)
}

// Send hands messages over one by one, running what each one starts.
func (h *Harness) Send(msgs ...tea.Msg) {
	h.t.Helper()
	for _, msg := range msgs {
		Drain(h.t, h.route, h.route(msg))
	}
}

// Run runs a command the screen built, as the app would.
func (h *Harness) Run(cmd tea.Cmd) {
	h.t.Helper()
	Drain(h.t, h.route, cmd)
}

// Press sends keys by name (see Key).
func (h *Harness) Press(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.Send(Key(k))
	}
}

// LastStatus is the latest status message text, or "".
func (h *Harness) LastStatus() string {
	if len(h.Status) == 0 {
		return ""
	}
	return h.Status[len(h.Status)-1].Text
}

// View is the screen, with the dialog's text below it when one is open.
func (h *Harness) View() string {
	v := Plain(h.Screen.View())
	if h.Dialog != nil {
		v += "--- dialog ---\n" + Plain(h.Dialog.View())
	}
	return v
}
