package ui

import "strings"

// Sparkline draws values as one line of width cells, the newest on the
// right, scaled so that top fills a cell (top <= 0 scales to the largest
// value). Missing values (negative) are blank. The Linux console's fonts
// lack the block elements, so ASCII glyphs draw it there.
func (c *Common) Sparkline(values []float64, width int, top float64) string {
	levels := []rune(" ▁▂▃▄▅▆▇█")
	if c.Glyphs.Arrow == ASCIIGlyphs.Arrow {
		levels = []rune(" ._-=+*#%")
	}
	if len(values) > width {
		values = values[len(values)-width:]
	}
	if top <= 0 {
		for _, v := range values {
			top = max(top, v)
		}
	}
	var b strings.Builder
	b.Grow(width * 3)
	b.WriteString(strings.Repeat(" ", width-len(values)))
	for _, v := range values {
		switch {
		case v < 0:
			b.WriteRune(' ')
		case top <= 0 || v == 0:
			b.WriteRune(levels[1])
		default:
			i := 1 + int(v/top*float64(len(levels)-2)+0.5)
			b.WriteRune(levels[min(max(i, 1), len(levels)-1)])
		}
	}
	return b.String()
}
