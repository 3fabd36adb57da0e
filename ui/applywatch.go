package ui

import (
	"context"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/nix"
)

// ApplyPollInterval is how often an ApplyWatch looks for the result.
const ApplyPollInterval = 2 * time.Second

// ApplyWatch starts the apply service once a screen has staged a host
// file, and follows it until it leaves a result newer than the start: the
// Features screen and the setup wizard share it.
type ApplyWatch struct {
	c      *Common
	id     int64
	start  func(ctx context.Context) error
	result string // the apply result's path
	after  string // the start, as the result's times are written
	// Running: the service was started and its result is awaited.
	Running bool
}

// ApplyOutcome is how a watch ended: the service could not be started,
// or its result.
type ApplyOutcome struct {
	StartErr error
	Result   *nix.ApplyResult
}

type (
	applyStartedMsg struct {
		id  int64
		err error
	}
	applyPollMsg   struct{ id int64 }
	applyResultMsg struct {
		id int64
		r  *nix.ApplyResult
	}
)

var lastWatch atomic.Int64

// NewApplyWatch follows the service that start starts, whose result is
// written at resultPath. A nil start (the demo) starts nothing.
func NewApplyWatch(c *Common, start func(ctx context.Context) error, resultPath string) *ApplyWatch {
	return &ApplyWatch{c: c, id: lastWatch.Add(1), start: start, result: resultPath}
}

// Available reports whether there is a service to start.
func (w *ApplyWatch) Available() bool { return w.start != nil }

// Start starts the service; Update then reports how it went.
func (w *ApplyWatch) Start() tea.Cmd {
	if w.start == nil {
		return nil
	}
	w.after = w.c.Now().UTC().Format(time.RFC3339)
	start, id, c := w.start, w.id, w.c
	return func() tea.Msg {
		ctx, cancel := c.Context()
		defer cancel()
		return applyStartedMsg{id: id, err: start(ctx)}
	}
}

// Update follows the watch's messages; it returns the outcome once the
// wait is over, and nil meanwhile.
func (w *ApplyWatch) Update(msg tea.Msg) (tea.Cmd, *ApplyOutcome) {
	switch msg := msg.(type) {
	case applyStartedMsg:
		if msg.id != w.id {
			return nil, nil
		}
		if msg.err != nil {
			return nil, &ApplyOutcome{StartErr: msg.err}
		}
		w.Running = true
		return tea.Batch(Status(LevelInfo, "staged; "+nix.ApplyUnit+" started"), w.poll()), nil
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

// OutcomeStatus is the status line of an outcome: the result's, or why
// the service did not start.
func OutcomeStatus(o *ApplyOutcome) tea.Cmd {
	switch {
	case o.StartErr != nil:
		return Fail(o.StartErr)
	case o.Result.OK():
		return tea.Batch(Status(LevelSuccess, "apply "+o.Result.Status+": "+o.Result.Message),
			func() tea.Msg { return HostAppliedMsg{} })
	}
	return Status(LevelError, "apply "+o.Result.Status+": "+o.Result.Message)
}

// Poll is the message the next poll sends, for tests that drive time.
func (w *ApplyWatch) Poll() tea.Msg { return applyPollMsg{id: w.id} }
