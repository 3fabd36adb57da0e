package ui

import (
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/vm"
)

// Screen is one page of the app. Screens are pointers and change in place;
// Update returns only commands. No I/O happens in Update: it runs in the
// returned commands, which come back as messages.
type Screen interface {
	Init() tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	View() string
	// Title names the screen in the header and in help.
	Title() string
	// Keys are the screen's own bindings, for the footer and for '?'.
	Keys() KeyMap
}

// KeyMap is a screen's key bindings: ShortHelp for the footer, FullHelp for
// the help dialog, grouped in columns.
type KeyMap interface {
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// Capturer is a screen that is reading text, so that single-letter global
// keys (q, ?, :) are typed rather than acted on.
type Capturer interface {
	Capturing() bool
}

// Raw is a screen that takes every key, ctrl+c included (a serial console,
// where ctrl+c interrupts a program in the guest).
type Raw interface {
	Raw() bool
}

// Escaper is a screen with something to undo on esc (a filter, a mark)
// before esc means back. Esc reports whether it used the key.
type Escaper interface {
	Esc() bool
}

// Closer is a screen holding resources (an open console) to release when
// it leaves the stack.
type Closer interface {
	Close()
}

// Actioner is a screen whose actions are declared as Actions: help says
// which are unavailable now and why, and tests check their keys.
type Actioner interface {
	Actions() Actions
}

// Helper is a screen with a paragraph of help shown above its keys.
type Helper interface {
	Help() string
}

// Messages screens send to the root.
type (
	// NavigateMsg opens the screen registered as To, with an optional argument.
	NavigateMsg struct {
		To  string
		Arg string
	}
	// BackMsg closes the current screen.
	BackMsg struct{}
	// StatusMsg shows a message in the status bar until TTL passes. A
	// message with a Topic (a refusal, a warning) offers '?' to read it.
	StatusMsg struct {
		Text  string
		Level Level
		TTL   time.Duration
		Topic string
	}
	// ErrorMsg shows an error in the footer until the next key press.
	ErrorMsg struct{ Err error }
	// HostAppliedMsg says a new host file was applied: the root re-reads
	// what it shows of it (the security phase).
	HostAppliedMsg struct{}
	// OpenDialogMsg puts a dialog over the screen.
	OpenDialogMsg struct{ Dialog Dialog }
	// SignalMsg tells the root something the operator did on a screen
	// that no hypervisor event shows, for the tutorials (see help.Signals).
	SignalMsg struct{ Name, Arg string }
	// SetLevelMsg asks the root to change and save the experience level.
	SetLevelMsg struct{ Level help.Level }
	// TutorialMsg asks the root to start, stop or reset a tutorial and
	// save the progress.
	TutorialMsg struct {
		Do TutorialAction
		ID string
	}
)

// TutorialAction is what a TutorialMsg asks.
type TutorialAction int

const (
	TutorialStart TutorialAction = iota
	TutorialStop
	TutorialRestart
)

// Messages the root sends to every screen on the stack.
type (
	// VMEventMsg carries a hypervisor event, connection events included.
	VMEventMsg struct{ Event vm.Event }
	// StatsMsg says Common.History has a new reading (or why it has not).
	StatsMsg struct{ Err error }
)

// Navigate returns a command that opens screen to.
func Navigate(to, arg string) tea.Cmd {
	return func() tea.Msg { return NavigateMsg{To: to, Arg: arg} }
}

// Status returns a command that shows a transient status message.
func Status(level Level, text string) tea.Cmd {
	return func() tea.Msg { return StatusMsg{Text: text, Level: level, TTL: 5 * time.Second} }
}

// Refuse returns a command that says why an action cannot run, with the
// help topic that explains it.
func Refuse(text, topic string) tea.Cmd {
	return func() tea.Msg { return StatusMsg{Text: text, Level: LevelWarning, TTL: 8 * time.Second, Topic: topic} }
}

// Signal returns a command that reports something the operator did; send
// it once it has really happened (after the write succeeded).
func Signal(name, arg string) tea.Cmd {
	return func() tea.Msg { return SignalMsg{Name: name, Arg: arg} }
}

// Fail returns a command that shows err in the footer.
func Fail(err error) tea.Cmd {
	return func() tea.Msg { return ErrorMsg{Err: err} }
}
