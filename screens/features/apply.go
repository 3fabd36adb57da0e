package features

import (
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// confirmApply asks before staging the draft and starting the apply
// service, with everything that will change against what the host runs,
// and the question the change asks (hostchange.Question): the feature's
// id typed for a critical one, else yes or no.
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
	if !m.opts.Applies {
		b.WriteString("\n\nThis demo has no apply service: the changes are only staged.")
	}
	rule, name := hostchange.Question(m.cat, m.running(), m.draft, m.opts.Who)
	stage := m.stage(vm.Confirmation{How: "dialog", Name: name})
	if rule.Ask == phase.TypeName {
		return dialog(ui.NewTypeName(m.c, "Stage and apply?", b.String()+"\n\n"+m.criticalWarning(name), name, stage).Audited("features.apply", ch.Summary()))
	}
	return dialog(ui.NewConfirm(m.c, "Stage and apply?", b.String(), rule.Ask != phase.NoQuestion, stage).Audited("features.apply", ch.Summary()))
}

// stage has the draft staged (by the hv daemon for operators), if nobody
// staged something else since the screen read it, and the apply started.
func (m *Model) stage(answer vm.Confirmation) tea.Cmd {
	stage, id, c := m.opts.Stage, m.id, m.c
	req := hostchange.Request{Next: m.draft, Action: "features.stage", Apply: true,
		Summary: m.cat.Diff(m.cat.Resolve(m.base.Features, m.base.Phase), m.current).Summary()}
	if m.state != nil {
		req.Expected = m.state.StagedRaw
	}
	return func() tea.Msg {
		since := c.Now()
		ctx, cancel := c.Context()
		defer cancel()
		res, err := stage(vm.WithConfirmation(ctx, answer), req)
		return stagedMsg{id: id, summary: req.Summary, res: res, since: since, err: err}
	}
}

func (m *Model) staged(msg stagedMsg) tea.Cmd {
	switch {
	case msg.err != nil && (errors.Is(msg.err, nix.ErrChanged) || errors.Is(msg.err, vm.ErrInvalidState)):
		return tea.Batch(ui.Fail(msg.err), m.load())
	case msg.err != nil:
		return ui.Fail(msg.err)
	}
	signal := ui.Signal("features-staged", msg.summary)
	switch {
	case msg.res.ApplyErr != nil && !m.opts.Applies:
		return tea.Batch(m.load(), signal, ui.Status(ui.LevelWarning, "staged in "+m.opts.Paths.Staged+"; the demo has no apply service"))
	case msg.res.ApplyErr != nil:
		return tea.Batch(m.load(), signal, ui.Status(ui.LevelWarning, "staged, not applied: "+ui.Safe(msg.res.ApplyErr.Error())))
	}
	return tea.Batch(m.load(), signal, m.watch.Follow(msg.since))
}

// applyDone ends the wait with the result; the screen reloads what the
// host now runs.
func (m *Model) applyDone(o *ui.ApplyOutcome) tea.Cmd {
	result := "failed"
	if o.Result != nil && o.Result.OK() {
		result = "ok"
	}
	return tea.Batch(m.load(), ui.OutcomeStatus(o), ui.Signal("features-applied", result))
}
