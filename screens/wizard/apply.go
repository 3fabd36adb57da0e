package wizard

import (
	"errors"
	"fmt"
	"os"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/ui"
)

// write stages the host file the answers make, as the Features screen
// does: under the staged file's lock, only if nobody staged something else
// since the wizard read it; then starts the apply service.
func (m *Model) write() tea.Cmd {
	m.writing, m.writeErr = true, nil
	h, path, id, user, now, rec := m.draft(), m.opts.Paths.Staged, m.id, m.c.User, m.c.Now(), m.opts.Record
	summary := m.cat.Diff(m.cat.Resolve(m.running().Features, m.running().Phase), m.cat.Resolve(h.Features, h.Phase)).Summary()
	var expected []byte
	if m.state != nil {
		expected = m.state.StagedRaw
	}
	progress := m.opts.Progress
	return func() tea.Msg {
		_, _, err := nix.Stage(path, h, expected, user, now)
		msg := stagedMsg{id: id, err: err}
		if err == nil {
			if rec != nil {
				msg.auditErr = rec("wizard.stage", summary, nil)
			}
			if progress != "" {
				os.Remove(progress) // done: nothing to resume
			}
		}
		return msg
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
	if msg.auditErr != nil {
		cmds = append(cmds, ui.Fail(fmt.Errorf("staged, but the audit trail could not be written: %w", msg.auditErr)))
	}
	if !m.watch.Available() {
		return tea.Batch(append(cmds, ui.Status(ui.LevelWarning, "staged in "+m.opts.Paths.Staged+"; the demo has no apply service"))...)
	}
	return tea.Batch(append(cmds, m.watch.Start())...)
}

// applyDone ends the wait: a service that did not start is said with the
// command root can run instead, a result with its problems.
func (m *Model) applyDone(o *ui.ApplyOutcome) tea.Cmd {
	if o.StartErr != nil {
		m.writeErr = o.StartErr
		return nil // the summary says it, with the command root can run
	}
	m.result = o.Result
	if !o.Result.OK() {
		m.writeErr = errors.New("apply " + o.Result.Status + ": " + o.Result.Message)
	}
	return ui.OutcomeStatus(o)
}
