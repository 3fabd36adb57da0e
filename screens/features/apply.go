package features

import (
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security"
	"github.com/hyper-nixos/hv/ui"
)

// confirmApply asks before staging the draft and starting the apply
// service, with everything that will change against what the host runs.
func (m *Model) confirmApply() tea.Cmd {
	if len(m.check.Problems) > 0 {
		return ui.Fail(&refusal{problems: m.check.Problems})
	}
	ch := m.cat.Diff(m.applied, m.current)
	if ch.Empty() && !m.dirty() && !m.state.HasStaged() {
		return ui.Status(ui.LevelInfo, "nothing to apply: the host runs this selection")
	}
	var b strings.Builder
	b.WriteString(m.changeBody(ch))
	b.WriteString("\n\nHow it is applied: hv stages the host file; " + nix.ApplyUnit +
		" (root) checks it with the same rules, installs it and rebuilds the system; the result shows here.")
	if m.opts.StartApply == nil {
		b.WriteString("\n\nThis demo has no apply service: the changes are only staged.")
	}
	danger := riskiestTurnedOn(m.cat, ch) >= security.High || m.phaseRank(m.draft.Phase) < m.phaseRank(m.applied.Phase)
	return dialog(ui.NewConfirm(m.c, "Stage and apply?", b.String(), danger, m.stage()).Audited("features.apply", ch.Summary()))
}

func (m *Model) phaseRank(id string) int {
	p, _ := m.cat.Phase(id)
	return p.Rank
}

// stage writes the draft as the staged host file, if nobody staged
// something else since the screen read it.
func (m *Model) stage() tea.Cmd {
	path, h, id, user, now, rec := m.opts.Paths.Staged, m.draft, m.id, m.c.User, m.c.Now(), m.opts.Record
	summary := m.cat.Diff(m.cat.Resolve(m.base.Features, m.base.Phase), m.current).Summary()
	var expected []byte
	if m.state != nil {
		expected = m.state.StagedRaw
	}
	return func() tea.Msg {
		_, data, err := nix.Stage(path, h, expected, user, now)
		msg := stagedMsg{id: id, data: data, err: err}
		if err == nil && rec != nil {
			msg.auditErr = rec("features.stage", summary, nil)
		}
		return msg
	}
}

func (m *Model) staged(msg stagedMsg) tea.Cmd {
	if msg.err != nil {
		if errors.Is(msg.err, nix.ErrChanged) {
			return tea.Batch(ui.Fail(msg.err), m.load())
		}
		return ui.Fail(msg.err)
	}
	if msg.auditErr != nil {
		return tea.Batch(m.load(), ui.Fail(fmt.Errorf("staged, but the audit trail could not be written: %w", msg.auditErr)))
	}
	if !m.watch.Available() {
		return tea.Batch(m.load(), ui.Status(ui.LevelWarning, "staged in "+m.opts.Paths.Staged+"; the demo has no apply service"))
	}
	return tea.Batch(m.load(), m.watch.Start())
}

// applyDone ends the wait: the result, or why the service did not start;
// the screen reloads what the host now runs.
func (m *Model) applyDone(o *ui.ApplyOutcome) tea.Cmd {
	if o.StartErr != nil {
		return ui.OutcomeStatus(o)
	}
	return tea.Batch(m.load(), ui.OutcomeStatus(o))
}
