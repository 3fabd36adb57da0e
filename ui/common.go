package ui

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
)

// Common is what every screen and dialog shares, handed to them at creation.
// The root model keeps it current (size, connection).
type Common struct {
	// Width and Height are the size of the screen area, without the app's
	// header, footer and status bar.
	Width, Height int

	Styles *Styles
	Glyphs Glyphs

	HV   vm.Hypervisor
	User string

	// History holds recent statistics of every VM, fed by the app's one
	// stats tick; Events the recent hypervisor events.
	History *vm.History
	Events  *vm.EventLog

	// Timeout bounds every call to the hypervisor from the UI.
	Timeout time.Duration
	// Tick schedules a message after d. Tests replace it to drive time.
	Tick func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd
	// Now is the clock; tests fix it.
	Now func() time.Time

	// Level is the operator's experience level: screens say more to a
	// beginner and less to an expert (see package help for the
	// convention). Only the root app changes it, on a SetLevelMsg.
	Level help.Level
	// Help is the built-in documentation, explanations and tutorials.
	Help *help.Library
	// Tutorials is the operator's tutorial progress. Screens read it; they
	// change it by sending a TutorialMsg to the root app, which saves it.
	Tutorials *help.Tracker
	// RecordAnswer writes the answer to a dangerous question (confirmed,
	// declined, wrong name) to the audit trail; nil records nothing.
	RecordAnswer func(action, target, answer string) error

	// Phase is the security phase of the host file the system runs
	// (setup when there is none): actions the phase refuses are shown
	// disabled with the reason (security/phase).
	Phase phase.Phase

	markdown markdownCache
}

// StatsInterval is how often the app reads statistics; HistoryLength
// readings make the window of the sparklines (five minutes).
const (
	StatsInterval = 2 * time.Second
	HistoryLength = 150
)

// NewCommon returns a Common with production defaults.
func NewCommon(hv vm.Hypervisor, user, term string) *Common {
	g := GlyphsFor(term)
	lib := help.Builtin()
	return &Common{
		Help:      lib,
		Tutorials: help.NewTracker(lib.Tutorials, help.Progress{}),
		Styles:    NewStyles(DefaultPalette, g),
		Glyphs:    g,
		HV:        hv,
		User:      user,
		History:   vm.NewHistory(HistoryLength),
		Events:    vm.NewEventLog(500),
		Timeout:   15 * time.Second,
		Tick:      tea.Tick,
		Now:       time.Now,
		Phase:     phase.Setup,
	}
}

// Context returns a context bounded by the UI's call timeout.
func (c *Common) Context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.Timeout)
}

// markdownCache keeps one glamour renderer per width: building one parses
// its style, which costs more than rendering a page.
type markdownCache struct {
	mu        sync.Mutex
	renderers map[int]*glamourRenderer
}

// Access is what the connection lets the operator do (read-write before
// there is one).
func (c *Common) Access() vm.Access {
	if c.HV == nil {
		return vm.ReadWrite
	}
	return c.HV.Access()
}

// ReadOnly reports whether the connection allows only reading.
func (c *Common) ReadOnly() bool { return !c.Access().Writable() }
