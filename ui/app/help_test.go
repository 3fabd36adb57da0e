package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

// startAt runs the app at a level, with its settings and progress saved
// under a temporary directory.
func startAt(t *testing.T, l help.Level, w, h int) *Model {
	t.Helper()
	dir := t.TempDir()
	return startWith(t, w, h, Options{User: "operator", Term: "xterm-256color",
		Settings:     help.Settings{Level: l},
		SettingsPath: filepath.Join(dir, "settings.toml"),
		ProgressPath: filepath.Join(dir, "tutorials.toml"),
	})
}

// The '?' help of the VM list at each level: beginners get the topic in
// full after the keys, intermediates its intermediate text, experts the
// keys and a one-line summary.
func TestGoldenHelpDialogAtEachLevel(t *testing.T) {
	for _, l := range help.Levels {
		t.Run(l.String(), func(t *testing.T) {
			m := startAt(t, l, 80, 24)
			press(t, m, "1", "?")
			golden.RequireEqual(t, screen(m))
		})
	}
	t.Run("beginner-120x40", func(t *testing.T) {
		m := startAt(t, help.Beginner, 120, 40)
		press(t, m, "1", "?")
		golden.RequireEqual(t, screen(m))
	})
}

// The help browser on a topic at each level, and at 120x40.
func TestGoldenHelpBrowserAtEachLevel(t *testing.T) {
	for _, l := range help.Levels {
		t.Run(l.String(), func(t *testing.T) {
			m := startAt(t, l, 80, 24)
			press(t, m, ":")
			for _, k := range uitest.Type("help vm-states") {
				send(t, m, k)
			}
			press(t, m, "enter")
			golden.RequireEqual(t, screen(m))
		})
	}
	t.Run("index-120x40", func(t *testing.T) {
		m := startAt(t, help.Intermediate, 120, 40)
		press(t, m, "5")
		golden.RequireEqual(t, screen(m))
	})
}

func TestHelpBrowserSearchesAndFollowsLinks(t *testing.T) {
	m := startAt(t, help.Beginner, 100, 30)
	press(t, m, "5", "/")
	for _, k := range uitest.Type("hibernating") {
		send(t, m, k)
	}
	press(t, m, "enter")
	if s := screen(m); !strings.Contains(s, "1 found") || !strings.Contains(s, "The VM lifecycle") {
		t.Fatalf("a word of the body only should find the lifecycle topic:\n%s", s)
	}
	press(t, m, "enter")
	if got := m.top().Title(); got != "Help: The VM lifecycle" {
		t.Fatalf("enter should open it, got %q", got)
	}
	press(t, m, "tab", "enter")
	if got := m.top().Title(); got != "Help: Risk levels and confirmations" {
		t.Fatalf("tab, enter should follow the first link, got %q", got)
	}
	press(t, m, "backspace")
	if got := m.top().Title(); got != "Help: The VM lifecycle" {
		t.Fatalf("backspace should come back, got %q", got)
	}
	press(t, m, "esc")
	if s := screen(m); !strings.Contains(s, "1 found") {
		t.Errorf("esc should return to the results:\n%s", s)
	}
}

func TestLevelChangesEverywhereAndIsSaved(t *testing.T) {
	m := startAt(t, help.Beginner, 100, 30)
	press(t, m, "1")
	if !strings.Contains(screen(m), "you can:") {
		t.Fatalf("beginners see what they can do:\n%s", screen(m))
	}
	press(t, m, ":")
	for _, k := range uitest.Type("level expert") {
		send(t, m, k)
	}
	press(t, m, "enter")
	if m.c.Level != help.Expert || strings.Contains(screen(m), "you can:") || strings.Contains(screen(m), "is shut off") {
		t.Fatalf("experts get the compact list:\n%s", screen(m))
	}
	s, err := help.LoadSettings(m.opts.SettingsPath)
	if err != nil || s.Level != help.Expert {
		t.Errorf("the level should be saved: %v %v", s, err)
	}
}

func TestFooterErrorOffersItsTopic(t *testing.T) {
	m := startAt(t, help.Beginner, 120, 30)
	send(t, m, ui.ErrorMsg{Err: &vm.Error{Op: "start", Target: "web-01", Kind: vm.ErrDenied}})
	if s := screen(m); !strings.Contains(s, "? explains") {
		t.Fatalf("the footer should offer the explanation:\n%s", s)
	}
	press(t, m, "?", "enter")
	if got := m.top().Title(); got != "Help: Permission denied" {
		t.Errorf("? then enter after an error should open its topic, got %q", got)
	}
}

func TestRefusalOffersItsTopic(t *testing.T) {
	m := startAt(t, help.Beginner, 120, 30)
	press(t, m, "1", "d") // the first VM, backup, is shut off
	if s := screen(m); !strings.Contains(s, "Cannot shut down backup") || !strings.Contains(s, "(? why)") {
		t.Fatalf("the refusal should say why and offer help:\n%s", s)
	}
	press(t, m, "?", "enter")
	if got := m.top().Title(); got != "Help: Why an action is unavailable" {
		t.Errorf("got %q", got)
	}
}

func TestCannotReachLibvirtExplainsItsError(t *testing.T) {
	m := New(Options{
		Connect: func(context.Context) (vm.Hypervisor, error) {
			return nil, &vm.ConnectError{URI: "qemu:///system", Cause: vm.CauseDenied}
		},
		Where: "qemu:///system", User: "operator", Term: "linux",
	})
	send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	uitest.Drain(t, update(m), m.Init())
	press(t, m, "?")
	if s := screen(m); !strings.Contains(s, "Not allowed to use the libvirt socket") || !strings.Contains(s, "log out") {
		t.Fatalf("? should explain the error:\n%s", s)
	}
	press(t, m, "esc")
	if s := screen(m); !strings.Contains(s, "Cannot reach libvirt") {
		t.Errorf("esc should come back to the error:\n%s", s)
	}
}

// The VM lifecycle tutorial advances on the demo host's real events and
// its progress is saved as it goes.
func TestTutorialAdvancesOnRealEvents(t *testing.T) {
	m := startAt(t, help.Beginner, 100, 30)
	send(t, m, ui.TutorialMsg{Do: ui.TutorialStart, ID: "vm-lifecycle"})
	if s := screen(m); !strings.Contains(s, "tutorial 1/5") || !strings.Contains(s, "Open the VM list") || !strings.Contains(s, "hint:") {
		t.Fatalf("the strip should show the first step with its hint:\n%s", s)
	}
	press(t, m, "1")
	if s := screen(m); !strings.Contains(s, "tutorial 2/5") || !strings.Contains(s, "Start ci-runner") {
		t.Fatalf("opening the list completes step 1:\n%s", s)
	}
	// The app tests do not read libvirt's event stream: deliver the event
	// the demo host sent for a real start.
	hv := m.Hypervisor()
	v, err := hv.Lookup(context.Background(), "ci-runner")
	if err != nil || hv.Start(context.Background(), v.UUID) != nil {
		t.Fatal(err)
	}
	send(t, m, ui.VMEventMsg{Event: <-hv.Events()})
	if s := screen(m); !strings.Contains(s, "tutorial 3/5") {
		t.Fatalf("the started event should complete step 2:\n%s", s)
	}
	p, err := help.LoadProgress(m.opts.ProgressPath)
	if err != nil || p.Active != "vm-lifecycle" || fmt.Sprint(p.Tutorials["vm-lifecycle"].Done) != "[open-list start]" {
		t.Errorf("progress should be saved: %+v %v", p, err)
	}
}

// An error or a message too long for the footer or the status bar is cut
// there, and '?' shows it whole, with its fix.
func TestCutTextIsReadWithQuestionMark(t *testing.T) {
	m := startAt(t, help.Expert, 80, 24)
	long := &vm.Error{Op: "start", Target: "web-01", Kind: vm.ErrInvalidState,
		Detail: "the guest's firmware refused to boot from the disk given as the first of its boot devices; the end"}
	send(t, m, ui.ErrorMsg{Err: long})
	if s := screen(m); strings.Contains(s, "the end") || !strings.Contains(s, "? explains") {
		t.Fatalf("the footer should cut the error and offer '?':\n%s", s)
	}
	press(t, m, "?")
	if m.dialog == nil || !strings.Contains(uitest.Flat(m.dialog.View()), "of its boot devices; the end") || !strings.Contains(screen(m), "How to fix it") {
		t.Errorf("? should show the whole error and its fix:\n%s", screen(m))
	}
	press(t, m, "esc")
	send(t, m, ui.StatusMsg{Text: "copied web-01.qcow2 to web-01-copy.qcow2 in pool fast-ssd after checking its space: 20G of 33G"})
	if s := screen(m); strings.Contains(s, "20G of 33G") || !strings.Contains(s, "(? more)") {
		t.Fatalf("the status bar should cut the message and offer '?':\n%s", s)
	}
	press(t, m, "?")
	if m.dialog == nil || !strings.Contains(uitest.Flat(m.dialog.View()), "after checking its space: 20G of 33G") {
		t.Errorf("? should show the whole message:\n%s", screen(m))
	}
}
