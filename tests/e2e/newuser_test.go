package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// frameBottom is a dialog's bottom border on a Linux console.
var frameBottom = regexp.MustCompile(`\+-{20,}\+`)

// whole checks the screen a person sees: as many lines as the terminal,
// none wider, the status bar at the bottom (a line too wide would wrap
// and push it off), and, when a dialog is open, its bottom border and
// what answers it.
func (tm *terminal) whole(what string, w, h int, dialog bool, want ...string) string {
	tm.t.Helper()
	s := tm.screen()
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) != h {
		tm.t.Errorf("%s: %d lines on a %d-line terminal:\n%s", what, len(lines), h, s)
	}
	for _, l := range lines {
		if len([]rune(l)) > w {
			tm.t.Errorf("%s: a line is %d wide:\n%q", what, len([]rune(l)), l)
		}
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "demo host") {
		tm.t.Errorf("%s: the status bar is not on the last line:\n%s", what, s)
	}
	if dialog && !frameBottom.MatchString(s) {
		tm.t.Errorf("%s: the dialog's bottom border is off screen:\n%s", what, s)
	}
	for _, x := range want {
		if !strings.Contains(s, x) {
			tm.t.Errorf("%s: %q is not on screen:\n%s", what, x, s)
		}
	}
	return s
}

// TestNewUserFirstHour is a newcomer on a bare Linux console at 80x24:
// filters the VM list for backup, opens every item of the menu, opens
// every dialog of the Features screen and a bulk delete. Every screen
// fits, and every question shows how to answer it.
func TestNewUserFirstHour(t *testing.T) {
	const w, h = 80, 24
	tm := run(t, "linux", w, h, "--demo")
	tm.waitFor("14 VMs")
	tm.keys("1", "/", "backup")
	tm.waitFor("/ backup")
	tm.keys("Enter")
	tm.waitFor("filter: backup") // "1 of 14 shown" is there while typing already
	tm.whole("the VM list filtered for backup", w, h, false, "filter: backup", "backup", "shut off")
	tm.keys("Escape", "Escape")
	tm.waitFor("open by number")

	for _, item := range []struct{ key, title string }{
		{"1", "Virtual machines"}, {"2", "Features"}, {"3", "Threats"}, {"4", "Setup wizard"},
		{"5", "Help"}, {"6", "Host"}, {"7", "Networks"}, {"8", "Storage"}, {"9", "Hosts"},
	} {
		tm.keys(item.key)
		tm.waitFor("Home > " + item.title)
		tm.whole(item.title, w, h, false)
		tm.keys("Escape")
		tm.waitFor("open by number")
	}

	tm.keys("2")
	tm.waitFor("Features | phase setup")
	tm.keys("Enter")
	tm.waitFor("esc or enter closes")
	tm.whole("a feature's details", w, h, true, "esc or enter closes")
	tm.keys("Escape", "p")
	tm.waitFor("Presets by risk tolerance")
	tm.whole("the presets", w, h, true, "esc cancel")
	tm.keys("Down", "Enter")
	tm.waitFor("preset?")
	tm.whole("a preset's question", w, h, true, " Yes ", " No ")
	tm.keys("n", "h")
	tm.waitFor("phase?")
	tm.whole("the phase's question", w, h, true, " Yes ", " No ")
	tm.keys("n", "j", "j", " ")
	tm.waitFor("Turn on VFIO device assignment?")
	tm.whole("a feature that needs another", w, h, true, " Yes ", " No ")
	tm.keys("y", "a")
	tm.waitFor("Stage and apply?")
	tm.whole("stage and apply", w, h, true, " Yes ", " No ")
	tm.keys("n", "/", "console-network", "Enter", " ")
	tm.waitFor("Type console-network to confirm")
	tm.whole("a critical feature", w, h, true, "enter confirms", "esc cancels")
	tm.keys("Escape", "Escape", "Escape", "Escape")
	tm.waitFor("open by number")

	tm.keys("1", "*", "D")
	tm.waitFor("Delete 3 VMs?")
	tm.whole("a bulk delete", w, h, true, "backup, ci-runner, win11-desk", "Type delete 3 to confirm", "esc cancels")
	tm.keys("Escape", "Escape", "q")
	tm.waitFor("Quit hv?")
	tm.keys("y")
	tm.waitFor("hv-exited-0")
}
