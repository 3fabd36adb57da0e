package ui

import "github.com/hyper-nixos/hv/vm"

// LoadErrorView is the body of a screen whose list could not be read: what
// failed, the fix, and the key that retries.
func (c *Common) LoadErrorView(what string, err error) string {
	s := "\n" + c.Styles.Danger.Render("Could not list the "+what+": ") + Safe(err.Error())
	if fix := vm.Fix(err); fix != "" {
		s += "\n" + c.Styles.Muted.Render(Safe(fix))
	}
	return s + "\n" + c.Styles.Muted.Render("Press "+c.KeyLabel(Verbs.Reload)+" to try again.")
}
