package ui

import feat "github.com/hyper-nixos/hv/security/features"

// ChangeParts are a feature change as marks that read without colour:
// "phase setup→hardened", "+id" for each feature turned on, "-id" off.
func (c *Common) ChangeParts(ch *feat.Change) []string {
	var parts []string
	if ch.Before.Phase != ch.After.Phase {
		parts = append(parts, "phase "+ch.Before.Phase+c.RightArrow()+ch.After.Phase)
	}
	for _, id := range ch.TurnedOn {
		parts = append(parts, c.Styles.Success.Render("+"+id))
	}
	for _, id := range ch.TurnedOff {
		parts = append(parts, c.Styles.Danger.Render("-"+id))
	}
	return parts
}
