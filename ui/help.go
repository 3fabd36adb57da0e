package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
)

// ShortHelpView renders bindings on one line, as many as fit in width.
func (c *Common) ShortHelpView(bindings []key.Binding, width int) string {
	var parts []string
	used := 0
	for _, b := range bindings {
		if !b.Enabled() || b.Help().Key == "" {
			continue
		}
		item := c.Styles.Key.Render(c.keyLabel(b)) + " " + c.Styles.Muted.Render(b.Help().Desc)
		w := lipgloss.Width(item)
		if used > 0 {
			w += 2
		}
		if used+w > width {
			break
		}
		parts = append(parts, item)
		used += w
	}
	return strings.Join(parts, "  ")
}

// FullHelpView renders groups of bindings as columns of "key  description",
// as many columns side by side as fit in width, the rest in rows below.
func (c *Common) FullHelpView(groups [][]key.Binding, width int) string {
	var cols []string
	for _, g := range groups {
		var keys, descs []string
		for _, b := range g {
			if !b.Enabled() || b.Help().Key == "" {
				continue
			}
			keys = append(keys, c.Styles.Key.Render(c.keyLabel(b)))
			descs = append(descs, b.Help().Desc)
		}
		if len(keys) > 0 {
			cols = append(cols, lipgloss.JoinHorizontal(lipgloss.Top,
				strings.Join(keys, "\n"), "  ", strings.Join(descs, "\n")))
		}
	}
	const gap = "    "
	var rows []string
	var row []string
	used := 0
	for _, col := range cols {
		w := lipgloss.Width(col)
		if len(row) > 0 && used+len(gap)+w > width {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, used = nil, 0
		}
		if len(row) > 0 {
			row = append(row, gap)
			used += len(gap)
		}
		row = append(row, col)
		used += w
	}
	if len(row) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	}
	return strings.Join(rows, "\n\n")
}

// KeyLabel is the key as shown in help; arrows become words on consoles
// without the glyphs.
func (c *Common) KeyLabel(b key.Binding) string { return c.keyLabel(b) }

func (c *Common) keyLabel(b key.Binding) string {
	k := b.Help().Key
	if c.Glyphs.Arrow == ASCIIGlyphs.Arrow {
		k = strings.NewReplacer("↑", "up", "↓", "down", "←", "left", "→", "right").Replace(k)
	}
	return k
}
