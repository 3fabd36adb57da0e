package ui

import (
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/nix"
)

// ApplyPollInterval is how often an ApplyWatch looks for the result.
const ApplyPollInterval = 2 * time.Second

// ApplyWatch follows the apply service, started by staging a host file
// (hostchange), until it leaves a result newer than the stage: the
// Features screen and the setup wizard share it.
type ApplyWatch struct {
	c      *Common
	id     int64
	result string // the apply result's path
	after  string // the stage's time, as the result's times are written
	// Running: the service was started and its result is awaited.
	Running bool
}

// ApplyOutcome is the apply's result.
type ApplyOutcome struct {
	Result *nix.ApplyResult
}

type (
	applyPollMsg   struct{ id int64 }
	applyResultMsg struct {
		id int64
		r  *nix.ApplyResult
	}
)

var lastWatch atomic.Int64

// NewApplyWatch follows the results written at resultPath.
func NewApplyWatch(c *Common, resultPath string) *ApplyWatch {
	return &ApplyWatch{c: c, id: lastWatch.Add(1), result: resultPath}
}

// Follow waits for the result of an apply started by a stage at since.
func (w *ApplyWatch) Follow(since time.Time) tea.Cmd {
	w.after, w.Running = since.UTC().Format(time.RFC3339), true
	return tea.Batch(Status(LevelInfo, "staged; "+nix.ApplyUnit+" started"), w.poll())
}

// Update follows the watch's messages; it returns the outcome once the
// wait is over, and nil meanwhile.
func (w *ApplyWatch) Update(msg tea.Msg) (tea.Cmd, *ApplyOutcome) {
	switch msg := msg.(type) {
	case applyPollMsg:
		if msg.id == w.id && w.Running {
			path, id := w.result, w.id
			return func() tea.Msg {
				r, _ := nix.ReadApplyResult(path)
				return applyResultMsg{id: id, r: r}
			}, nil
		}
	case applyResultMsg:
		if msg.id != w.id {
			return nil, nil
		}
		if msg.r == nil || msg.r.Finished < w.after {
			return w.poll(), nil
		}
		w.Running = false
		return nil, &ApplyOutcome{Result: msg.r}
	}
	return nil, nil
}

func (w *ApplyWatch) poll() tea.Cmd {
	id := w.id
	return w.c.Tick(ApplyPollInterval, func(time.Time) tea.Msg { return applyPollMsg{id: id} })
}

// OutcomeStatus is the status line of an outcome.
func OutcomeStatus(o *ApplyOutcome) tea.Cmd {
	switch {
	case o.Result.OK():
		return tea.Batch(Status(LevelSuccess, "apply "+o.Result.Status+": "+o.Result.Message),
			func() tea.Msg { return HostAppliedMsg{} })
	}
	return Status(LevelError, "apply "+o.Result.Status+": "+o.Result.Message)
}

// Poll is the message the next poll sends, for tests that drive time.
func (w *ApplyWatch) Poll() tea.Msg { return applyPollMsg{id: w.id} }
