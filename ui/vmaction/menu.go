package vmaction

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// Menu lists every action for v (or for targets when several are marked),
// with its risk and why it is unavailable, after the extra items given.
func (r *Runner) Menu(v vm.VM, targets []vm.VM, extra []ui.MenuItem) tea.Cmd {
	access := r.c.HV.Access()
	title := "Actions for " + ui.Safe(v.Name)
	if len(targets) > 1 {
		title = fmt.Sprintf("Actions for %d marked VMs", len(targets))
	}
	items := extra
	for _, a := range append(ops.Lifecycle, ops.Autostart(v)) {
		x := r.c.Help.Action(a)
		item := ui.MenuItem{Key: KeyOf(a), Label: a.Label, Badge: r.c.RiskBadge(a.Risk), Run: r.Act(a, targets),
			Tip: x.Tip, Why: why(r.c, a, x.Why(r.c.Level))}
		can := Can(a, targets, access)
		switch {
		case len(targets) == 1:
			item.Disabled = a.UnavailableOn(v, r.c.HV)
		case vm.Permitted(r.c.HV, a.Audit) != "":
			item.Disabled = vm.Permitted(r.c.HV, a.Audit)
		case len(can) == 0:
			item.Disabled = "none of the marked VMs can " + strings.ToLower(a.Label)
		case len(can) < len(targets):
			item.Label += fmt.Sprintf(" (%d of %d)", len(can), len(targets))
		}
		if item.Disabled == "" {
			item.Disabled = a.RefusedIn(r.c.Phase, max(len(can), 1))
		}
		items = append(items, item)
	}
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: ui.NewMenu(r.c, title, items)} }
}

// why is the longer explanation of a in the menu: what it does at the
// operator's level, then its risk in words.
func why(c *ui.Common, a *ops.Action, text string) string {
	line := "Risk: " + c.RiskBadge(a.Risk)
	if risk, _ := c.Help.Explain(help.Risks, a.Risk.String()); c.Level != help.Expert {
		line += " " + risk.Why(c.Level)
	}
	return text + "\n\n" + line
}
