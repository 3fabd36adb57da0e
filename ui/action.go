package ui

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// Action is one thing a screen offers for what is selected: a key, the
// risk that decides how the UI asks before running it, why it cannot run
// now, and what it does. A screen declares its actions in one list and
// rebuilds it from the selection, so Why is always current. (VM actions
// have their own richer kind, vm/ops.)
type Action struct {
	Key  key.Binding
	Risk ops.Risk
	// Kind is the action's kind of operation for the permission matrix
	// (set by InPhase): with Risk, it decides what Confirm asks.
	Kind phase.Kind
	// Why is the reason the action cannot run now ("it is inactive",
	// "read-only access: ..."), or "" when it can.
	Why string
	// Audit names the change in the audit trail ("net.stop"), as the
	// hypervisor's wrapper records it; the answer to its question is
	// recorded as "confirm." and the same name.
	Audit string
	// Run does the action (asking first, through Confirm, when it must).
	Run func() tea.Cmd
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

// Granted makes unavailable, with the reason, the actions the backend h
// does not grant this user (the hv daemon's polkit grants, by Audit name).
func (as Actions) Granted(h vm.Hypervisor) Actions {
	for i, a := range as {
		as[i] = a.Unless(vm.Permitted(h, a.Audit))
	}
	return as
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

// Full are all bindings, for the help dialog and the cheatsheet; why one
// is unavailable now is said apart (NotNowView), so that keys read the
// same whatever is selected.
func (as Actions) Full() []key.Binding {
	out := make([]key.Binding, 0, len(as))
	for _, a := range as {
		out = append(out, a.Key)
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
	return c.Access().Why()
}

// Confirm wraps run in the question the permission matrix asks for a, as
// VM actions do: none, yes or no (no focused from high risk), or the
// object's name typed. body says what happens. run gets the answer, to
// send with the change (the hv daemon checks it).
func (c *Common) Confirm(a Action, title, body, name string, run func(vm.Confirmation) tea.Cmd) tea.Cmd {
	rule := phase.Decide(c.Phase, phase.Op{Kind: a.Kind, Risk: a.Risk}, phase.Operator)
	if rule.Ask == phase.NoQuestion {
		return run(vm.Confirmation{})
	}
	body += "\n\nRisk: " + c.RiskBadge(a.Risk)
	answered := run(vm.Confirmation{How: "dialog", Name: name})
	var d Dialog = NewConfirm(c, title, body, a.Risk >= ops.High, answered).Audited(actionID(a), name)
	if rule.Ask == phase.TypeName {
		d = NewTypeName(c, title, body, name, answered).Audited(actionID(a), name)
	}
	return func() tea.Msg { return OpenDialogMsg{Dialog: d} }
}

// Answered makes fn's calls carry the operator's answer c, if one was
// asked for.
func Answered(c vm.Confirmation, fn func(context.Context) error) func(context.Context) error {
	if c.How == "" {
		return fn
	}
	return func(ctx context.Context) error { return fn(vm.WithConfirmation(ctx, c)) }
}

// actionID names a in the audit trail: its Audit name, else its key's
// words ("vol-delete").
func actionID(a Action) string {
	if a.Audit != "" {
		return a.Audit
	}
	return strings.ReplaceAll(strings.ToLower(a.Key.Help().Desc), " ", "-")
}

// Handle runs the action msg presses, or says why it cannot run now on
// target (named in the refusal); ok is false when msg is no action's key.
func (as Actions) Handle(msg tea.KeyPressMsg, target string) (tea.Cmd, bool) {
	a, ok := as.Match(msg)
	switch {
	case !ok:
		return nil, false
	case !a.Available():
		return a.Refuse(target), true
	case a.Run == nil:
		return nil, true
	}
	return a.Run(), true
}

// Menu is the 'x' dialog of a screen's actions: each with its key, its
// risk and, when unavailable, why.
func (as Actions) Menu(c *Common, title string) tea.Cmd {
	items := make([]MenuItem, 0, len(as))
	for _, a := range as {
		it := MenuItem{Key: a.Key.Help().Key, Label: Capitalise(a.Key.Help().Desc), Badge: c.RiskBadge(a.Risk), Disabled: a.Why}
		if a.Available() && a.Run != nil {
			it.Do = a.Run // when chosen, not when the menu opens
		}
		items = append(items, it)
	}
	return func() tea.Msg { return OpenDialogMsg{Dialog: NewMenu(c, title, items)} }
}

// Capitalise is s with its first letter upper case ("Stop pool").
func Capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// InPhase makes unavailable, with the reason, the actions the security
// phase p refuses for operations of kind at their risk (the permission
// matrix of security/phase, as VM actions have it through vm/ops).
func (as Actions) InPhase(p phase.Phase, kind phase.Kind) Actions {
	for i, a := range as {
		a.Kind = kind
		as[i] = a
		if r := phase.Decide(p, phase.Op{Kind: kind, Risk: a.Risk}, phase.Operator); r.Refused() {
			as[i] = a.Unless(r.Reason())
		}
	}
	return as
}
