package ui

import (
	"strings"

	"github.com/hyper-nixos/hv/security"
)

// RiskBadgeWidth is the width of the widest badge, "[CRITICAL]", for
// lists that align them.
const RiskBadgeWidth = len("[CRITICAL]")

// PaddedRiskBadge is RiskBadge padded to RiskBadgeWidth.
func (c *Common) PaddedRiskBadge(r security.Risk) string {
	return c.RiskBadge(r) + strings.Repeat(" ", RiskBadgeWidth-len(r.Label())-2)
}

// RiskLabel is the badge's text without style, padded to RiskBadgeWidth,
// for rows drawn in one style (the selected row).
func RiskLabel(r security.Risk) string {
	label := "[" + r.Label() + "]"
	return label + strings.Repeat(" ", RiskBadgeWidth-len(label))
}

// RightArrow is → where the terminal draws it, else ->.
func (c *Common) RightArrow() string {
	if c.Glyphs.Arrow == ASCIIGlyphs.Arrow {
		return "->"
	}
	return "→"
}
