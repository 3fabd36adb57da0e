package uitest

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// Outcome is what a screen asked of the app while commands ran: the
// dialog it opened, status messages, footer errors and refusals.
type Outcome struct {
	Dialog ui.Dialog
	Status []ui.StatusMsg
	Errors []error
	NotNow []string // why an action could not run
}

// Collect is Drain for a screen on its own: messages meant for the app
// (dialogs, status, errors) are collected instead of reaching the screen.
func Collect(t testing.TB, update func(tea.Msg) tea.Cmd, cmd tea.Cmd) Outcome {
	t.Helper()
	var out Outcome
	Drain(t, func(msg tea.Msg) tea.Cmd {
		switch msg := msg.(type) {
		case ui.OpenDialogMsg:
			out.Dialog = msg.Dialog
			return nil
		case ui.StatusMsg:
			out.Status = append(out.Status, msg)
			return nil
		case ui.ErrorMsg:
			out.Errors = append(out.Errors, msg.Err)
			return nil
		case ui.NotNowMsg:
			out.NotNow = append(out.NotNow, msg.Text)
			return nil
		}
		return update(msg)
	}, cmd)
	return out
}

// Answer sends keys to a dialog, then runs the command it returns when it
// closes, as the app would; it reports whether the dialog closed.
func Answer(t testing.TB, d ui.Dialog, update func(tea.Msg) tea.Cmd, keys ...tea.Msg) (bool, Outcome) {
	t.Helper()
	for _, k := range keys {
		done, cmd := d.Update(k)
		if done {
			return true, Collect(t, update, cmd)
		}
		if cmd != nil {
			Collect(t, update, cmd)
		}
	}
	return false, Outcome{}
}

// ReadOnly is a hypervisor whose connection allows only reading, as for a
// user outside the operators group; calls still reach the real one.
type ReadOnly struct{ vm.Hypervisor }

func (ReadOnly) Access() vm.Access { return vm.ReadOnly }

// Flat is a dialog's text as one line: borders gone, wrapped lines joined
// (a line wrapped after a hyphen joins without a space), so tests can look
// for sentences wherever the dialog broke them.
func Flat(view string) string {
	var b strings.Builder
	for _, line := range strings.Split(Plain(view), "\n") {
		line = strings.TrimSpace(strings.Trim(strings.TrimSpace(line), "│|╭╮╰╯─+-"))
		if line == "" {
			continue
		}
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteString(" ")
		}
		b.WriteString(line)
	}
	return b.String()
}

// Press sends key presses to a screen's update, one after the other, and
// returns what the last one asked of the app.
func Press(t testing.TB, update func(tea.Msg) tea.Cmd, keys ...string) Outcome {
	t.Helper()
	var out Outcome
	for _, k := range keys {
		out = Collect(t, update, update(Key(k)))
	}
	return out
}
