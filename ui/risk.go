package ui

import (
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/vm/ops"
)

// RiskBadge is a risk level as a word in brackets, coloured: the word
// carries the meaning on consoles without colour, the colour helps the eye.
func (c *Common) RiskBadge(r ops.Risk) string {
	label := "[" + strings.ToUpper(r.String()) + "]"
	return c.riskStyle(r).Render(label)
}

func (c *Common) riskStyle(r ops.Risk) lipgloss.Style {
	switch r {
	case ops.Critical:
		return c.Styles.Danger.Reverse(true)
	case ops.High:
		return c.Styles.Danger
	case ops.Medium:
		return c.Styles.Warning
	case ops.Low:
		return c.Styles.Info
	}
	return c.Styles.Muted
}
