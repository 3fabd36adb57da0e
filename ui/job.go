package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"
)

// A job is one change a screen runs in the background: a start, a stop, a
// delete. The screen shows what runs (Busy) until it ends, then what
// happened. Owner is the screen's id, so two screens never take each
// other's jobs.
type (
	// JobStartMsg begins a job: the owner marks itself busy and returns Run.
	JobStartMsg struct {
		Owner int
		Busy  string
		Run   tea.Cmd
	}
	// JobDoneMsg ends it: Done says what happened when Err is nil; Select
	// names what the owner should put its cursor on, if anything.
	JobDoneMsg struct {
		Owner  int
		Done   string
		Select string
		Err    error
	}
)

// Job returns the command for a job of owner; confirmation dialogs run it
// on yes. fn runs with the UI's call timeout.
func (c *Common) Job(owner int, busy, done, sel string, fn func(context.Context) error) tea.Cmd {
	run := func() tea.Msg {
		ctx, cancel := c.Context()
		defer cancel()
		return JobDoneMsg{Owner: owner, Done: done, Select: sel, Err: fn(ctx)}
	}
	return func() tea.Msg { return JobStartMsg{Owner: owner, Busy: busy, Run: run} }
}

// Outcome is what the owner returns when a job ends: the error in the
// footer, or what happened in the status bar; then reload.
func (msg JobDoneMsg) Outcome(reload tea.Cmd) tea.Cmd {
	if msg.Err != nil {
		return tea.Batch(Fail(msg.Err), reload)
	}
	return tea.Batch(Status(LevelSuccess, msg.Done), reload)
}
