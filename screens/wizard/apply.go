package wizard

import (
	"errors"
	"os"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// write has the host file the answers make staged (by the hv daemon for
// operators), as the Features screen does, only if nobody staged
// something else since the wizard read it; and the apply started.
func (m *Model) write() tea.Cmd {
	m.writing, m.writeErr = true, nil
	h, id, c, stage, progress := m.draft(), m.id, m.c, m.opts.Stage, m.opts.Progress
	req := hostchange.Request{Next: h, Action: "wizard.stage", Apply: true,
		Summary: m.cat.Diff(m.cat.Resolve(m.running().Features, m.running().Phase), m.cat.Resolve(h.Features, h.Phase)).Summary()}
	if m.state != nil {
		req.Expected = m.state.StagedRaw
	}
	// The summary step was the review: enter on it is the answer.
	_, name := hostchange.Question(m.cat, m.running(), h, m.opts.Who)
	answer := vm.Confirmation{How: "dialog", Name: name}
	return func() tea.Msg {
		since := c.Now()
		ctx, cancel := c.Context()
		defer cancel()
		res, err := stage(vm.WithConfirmation(ctx, answer), req)
		if err == nil && progress != "" {
			os.Remove(progress) // done: nothing to resume
		}
		return stagedMsg{id: id, res: res, since: since, err: err}
	}
}

func (m *Model) stagedDone(msg stagedMsg) tea.Cmd {
	m.writing = false
	if msg.err != nil {
		m.writeErr = msg.err
		return ui.Fail(msg.err)
	}
	m.staged, m.scroll = true, 0
	cmds := []tea.Cmd{ui.Signal("wizard-step", stepSummary), ui.Signal("phase-set", m.draft().Phase)}
	if msg.res.ApplyErr != nil {
		if m.opts.Applies {
			m.writeErr = msg.res.ApplyErr // the summary says it, with the command root can run
		}
		return tea.Batch(cmds...)
	}
	return tea.Batch(append(cmds, m.watch.Follow(msg.since))...)
}

// applyDone ends the wait with the result and its problems.
func (m *Model) applyDone(o *ui.ApplyOutcome) tea.Cmd {
	m.result = o.Result
	if !o.Result.OK() {
		m.writeErr = errors.New("apply " + o.Result.Status + ": " + o.Result.Message)
	}
	return ui.OutcomeStatus(o)
}
