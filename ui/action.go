package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm/ops"
)

// Action is one thing a screen offers for what is selected: a key, the
// risk that decides how the UI asks before running it, and why it cannot
// run now. A screen rebuilds its actions from the selection, so Why is
// always current. (VM actions have their own richer kind, vm/ops.)
type Action struct {
	Key  key.Binding
	Risk ops.Risk
	// Why is the reason the action cannot run now ("it is inactive",
	// "read-only access: ..."), or "" when it can.
	Why string
}

// Available reports whether the action can run now.
func (a Action) Available() bool { return a.Why == "" }

// Refuse is the command for a key press on an unavailable action on
// target: it says why at once, instead of failing after a call to libvirt.
func (a Action) Refuse(target string) tea.Cmd {
	what := a.Key.Help().Desc
	if target != "" {
		what += " " + Safe(target)
	}
	return Status(LevelWarning, "Cannot "+what+": "+Safe(a.Why))
}

// Unless returns the action unavailable for why, unless it already is for
// an earlier reason; an empty why changes nothing.
func (a Action) Unless(why string) Action {
	if a.Why == "" {
		a.Why = why
	}
	return a
}

// Actions are a screen's actions for the current selection.
type Actions []Action

// Match returns the action msg presses.
func (as Actions) Match(msg tea.KeyPressMsg) (Action, bool) {
	for _, a := range as {
		if key.Matches(msg, a.Key) {
			return a, true
		}
	}
	return Action{}, false
}

// Short are the bindings of the available actions, for the footer.
func (as Actions) Short() []key.Binding {
	var out []key.Binding
	for _, a := range as {
		if a.Available() {
			out = append(out, a.Key)
		}
	}
	return out
}

// Full are all bindings for the help dialog; unavailable ones say why.
func (as Actions) Full() []key.Binding {
	out := make([]key.Binding, 0, len(as))
	for _, a := range as {
		b := a.Key
		if !a.Available() {
			h := b.Help()
			b = key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(h.Key, h.Desc+" (not now: "+a.Why+")"))
		}
		out = append(out, b)
	}
	return out
}

// NotNowView lists the unavailable actions with their reasons, wrapped to
// width, or "" when everything is available: the operator sees why before
// pressing anything. Actions refused for the same reason share it:
// "Not now: x stop, D undefine (your access is read-only)".
func (c *Common) NotNowView(as Actions, width int) string {
	var reasons []string
	keysFor := map[string][]string{}
	for _, a := range as {
		if a.Available() {
			continue
		}
		if _, seen := keysFor[a.Why]; !seen {
			reasons = append(reasons, a.Why)
		}
		keysFor[a.Why] = append(keysFor[a.Why], c.Styles.Key.Render(c.keyLabel(a.Key))+" "+a.Key.Help().Desc)
	}
	if len(reasons) == 0 {
		return ""
	}
	parts := make([]string, len(reasons))
	for i, why := range reasons {
		parts[i] = strings.Join(keysFor[why], ", ") + " " + c.Styles.Muted.Render("("+why+")")
	}
	line := c.Styles.Muted.Render("Not now: ") + strings.Join(parts, c.Styles.Muted.Render(" "+c.Glyphs.Sep+" "))
	return lipgloss.NewStyle().Width(width).Render(line)
}

// ReadOnlyWhy is the reason every change is refused on a read-only
// connection (worded as for VM actions), or "".
func (c *Common) ReadOnlyWhy() string {
	if c.ReadOnly() {
		return "read-only access: ask an administrator to add you to the operators group"
	}
	return ""
}

// Confirm wraps run in the question a's risk asks for, as VM actions do:
// none below medium, yes or no from medium (no focused from high), the
// object's name typed when critical. body says what happens.
func (c *Common) Confirm(a Action, title, body, name string, run tea.Cmd) tea.Cmd {
	body += "\n\nRisk: " + c.RiskBadge(a.Risk)
	var d Dialog
	switch {
	case a.Risk < ops.Medium:
		return run
	case a.Risk >= ops.Critical:
		d = NewTypeName(c, title, body, name, run).Audited(actionID(a), name)
	default:
		d = NewConfirm(c, title, body, a.Risk >= ops.High, run).Audited(actionID(a), name)
	}
	return func() tea.Msg { return OpenDialogMsg{Dialog: d} }
}

// actionID names a in the audit trail: its key's words, "vol-delete".
func actionID(a Action) string {
	return strings.ReplaceAll(strings.ToLower(a.Key.Help().Desc), " ", "-")
}

// Pressed finds the action msg presses. When it is unavailable on target,
// refusal is the command saying why, and the caller returns it instead of
// acting.
func (as Actions) Pressed(msg tea.KeyPressMsg, target string) (a Action, refusal tea.Cmd, ok bool) {
	a, ok = as.Match(msg)
	if ok && !a.Available() {
		refusal = a.Refuse(target)
	}
	return a, refusal, ok
}

// InPhase makes unavailable, with the reason, the actions the security
// phase p refuses for operations of kind at their risk (the permission
// matrix of security/phase, as VM actions have it through vm/ops).
func (as Actions) InPhase(p phase.Phase, kind phase.Kind) Actions {
	for i, a := range as {
		if r := phase.Decide(p, phase.Op{Kind: kind, Risk: a.Risk}, phase.Operator); r.Refused() {
			as[i] = a.Unless(r.Reason())
		}
	}
	return as
}
