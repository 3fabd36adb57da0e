package ui

import (
	"math"
	"strings"
)

// Bar draws frac (0 to 1) as a gauge width cells wide, brackets included:
// "[####......]" on consoles without block glyphs, "▕████░░░░░░▏" elsewhere.
// Callers print the figure next to it: the bar is for the eye only.
func (c *Common) Bar(frac float64, width int) string {
	inner := max(width-2, 1)
	if math.IsNaN(frac) {
		frac = 0
	}
	full := int(math.Round(min(max(frac, 0), 1) * float64(inner)))
	left, right, on, off := "▕", "▏", "█", "░"
	if c.Glyphs.Ellipsis == ASCIIGlyphs.Ellipsis {
		left, right, on, off = "[", "]", "#", "."
	}
	return left + strings.Repeat(on, full) + strings.Repeat(off, inner-full) + right
}
