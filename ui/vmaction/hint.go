package vmaction

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// Hint is what a screen showing v says under it, by the operator's level:
// beginners read what v's state means and the keys that work on it now,
// intermediates the state's one-line tip, experts nothing. Each line fits
// width.
func Hint(c *ui.Common, v vm.VM, width int) []string {
	if c.Level == help.Expert || v.UUID == "" {
		return nil
	}
	st := c.Styles
	x := c.Help.State(v.State)
	lines := []string{st.Info.Render(ui.Safe(v.Name)+" is "+v.State.String()+": ") + x.Tip}
	if c.Level == help.Beginner {
		access := c.Access()
		var can []string
		for _, a := range append(ops.Lifecycle, ops.Autostart(v)) {
			if KeyOf(a) != "" && a.Unavailable(v, access) == "" && a.RefusedIn(c.Phase, 1) == "" && !(a == ops.Pause && v.State == vm.StatePaused) {
				can = append(can, st.Key.Render(KeyOf(a))+" "+strings.ToLower(a.Label))
			}
		}
		if !access.Writable() {
			lines = append(lines, st.Muted.Render("read-only access: you can watch this VM, not change it"))
		} else {
			lines = append(lines, youCan(c, can, width))
		}
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, width, c.Glyphs.Ellipsis)
	}
	return lines
}

// youCan lists the keys that work now in width: whole items only, as many
// as fit, and always the actions menu last, which lists the rest.
func youCan(c *ui.Common, can []string, width int) string {
	st := c.Styles
	menu := st.Key.Render(Keys.Actions.Help().Key) + " all actions"
	for n := len(can); ; n-- {
		line := st.Muted.Render("you can: ") + strings.Join(append(can[:n:n], menu), st.Muted.Render(", "))
		if n == 0 || ansi.StringWidth(line) <= width {
			return line
		}
	}
}
