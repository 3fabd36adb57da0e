package wizard

import (
	"errors"
	"fmt"
	"os"
	"time"

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
	if m.opts.StartApply == nil {
		return tea.Batch(append(cmds, ui.Status(ui.LevelWarning, "staged in "+m.opts.Paths.Staged+"; the demo has no apply service"))...)
	}
	m.applyAfter = m.c.Now().UTC().Format(time.RFC3339)
	start, id := m.opts.StartApply, m.id
	return tea.Batch(append(cmds, func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		return applyStartedMsg{id: id, err: start(ctx)}
	})...)
}

func (m *Model) applyStarted(err error) tea.Cmd {
	if err != nil {
		m.writeErr = err
		return nil // the summary says it, with the command root can run
	}
	m.applying = true
	return tea.Batch(ui.Status(ui.LevelInfo, "staged; "+nix.ApplyUnit+" started"), m.poll())
}

func (m *Model) poll() tea.Cmd {
	id := m.id
	return m.c.Tick(PollInterval, func(time.Time) tea.Msg { return pollMsg{id: id} })
}

func (m *Model) readResult() tea.Cmd {
	path, id := m.opts.Paths.Result, m.id
	return func() tea.Msg {
		r, _ := nix.ReadApplyResult(path)
		return resultMsg{id: id, result: r}
	}
}

// resultRead ends the wait once the service has written a result newer
// than the start.
func (m *Model) resultRead(r *nix.ApplyResult) tea.Cmd {
	if r == nil || r.Finished < m.applyAfter {
		return m.poll()
	}
	m.applying, m.result = false, r
	if !r.OK() {
		m.writeErr = errors.New("apply " + r.Status + ": " + r.Message)
		return ui.Status(ui.LevelError, "apply "+r.Status+": "+r.Message)
	}
	return ui.Status(ui.LevelSuccess, "applied: the host runs the new host file")
}
