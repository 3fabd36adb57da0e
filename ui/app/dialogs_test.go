package app

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
)

// fits checks that the screen holds a whole dialog at its size: no line
// wider than the terminal, the dialog's bottom border drawn, and what must
// show to answer it (its buttons, its keys).
func fits(t *testing.T, m *Model, what string, want ...string) {
	t.Helper()
	s := screen(m)
	if m.dialog == nil {
		t.Fatalf("%s: no dialog is open:\n%s", what, s)
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > m.high {
		t.Errorf("%s: %d lines on a %d-line terminal", what, len(lines), m.high)
	}
	for _, l := range lines {
		if lipgloss.Width(l) > m.width {
			t.Errorf("%s: a line is %d wide on a %d-column terminal: %q", what, lipgloss.Width(l), m.width, l)
		}
	}
	if !strings.Contains(s, "╰") || !strings.Contains(s, "╯") {
		t.Errorf("%s: the dialog's bottom border is off screen:\n%s", what, s)
	}
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s: %q is off screen:\n%s", what, w, s)
		}
	}
}

// At 80x24 every dialog a newcomer meets fits, its buttons in view.
func TestDialogsFitAt80x24(t *testing.T) {
	m := start(t, 80, 24)
	press(t, m, "1", "*", "x")
	fits(t, m, "the action menu of 14 marked VMs", "esc closes")
	press(t, m, "esc", "esc", "x")
	// Details, console, snapshots, then the lifecycle actions: delete with
	// its disks is the twelfth item.
	for range 11 {
		press(t, m, "down")
	}
	press(t, m, "enter")
	fits(t, m, "delete with its disks", "Type backup to confirm", "esc cancels")
	press(t, m, "esc", "esc", "esc", "2", "p")
	fits(t, m, "the presets", "esc cancel")
	press(t, m, "down", "enter")
	fits(t, m, "a preset's confirmation", "Yes", "No")
	press(t, m, "y", "a")
	fits(t, m, "stage and apply", "Yes", "No")
}
