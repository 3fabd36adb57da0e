package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Column is one column of a table drawn by TableView.
type Column struct {
	Title string
	Width int  // cells; 0 for the one flexible column, which takes what is left
	Max   int  // the flexible column's widest content, so it takes no more
	Right bool // align right (numbers)
}

// Table is what TableView draws: n rows, of which the ones from Offset that
// fit in Height (header excluded) are shown, with the Cursor row marked.
type Table struct {
	Columns []Column
	N       int
	Offset  int
	Height  int
	Cursor  int
	// Focused marks the cursor row in reverse video; an unfocused table
	// (another pane has the keys) marks it with the cursor glyph only.
	Focused bool
	// Cell returns row r's text in column c, already safe to draw, and the
	// style for it on a row that is not under the cursor.
	Cell func(r, c int) (string, lipgloss.Style)
	// Marked, when set, reports rows marked for an action on several: a
	// '*' in the margin says so.
	Marked func(r int) bool
}

// TableView draws t in width cells. Only the visible rows are rendered, so
// its cost does not grow with the number of rows.
func (c *Common) TableView(t Table, width int) string {
	flex := width - 2 // cursor margin
	for _, col := range t.Columns {
		if col.Width > 0 {
			flex -= col.Width + 1
		}
	}
	for i, col := range t.Columns {
		if col.Width == 0 {
			t.Columns[i].Width = max(min(flex, max(col.Max, lipgloss.Width(col.Title))), 4)
		}
	}
	var b strings.Builder
	header := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		header[i] = Cell(col.Title, col.Width, col.Right, c.Glyphs.Ellipsis)
	}
	b.WriteString(c.Styles.Header.Render("  " + strings.Join(header, " ")))
	end := min(t.Offset+max(t.Height, 1), t.N)
	cells := make([]string, len(t.Columns))
	for r := t.Offset; r < end; r++ {
		selected := r == t.Cursor
		for i, col := range t.Columns {
			text, style := t.Cell(r, i)
			text = Cell(text, col.Width, col.Right, c.Glyphs.Ellipsis)
			if !selected || !t.Focused {
				text = style.Render(text)
			}
			cells[i] = text
		}
		line := strings.Join(cells, " ")
		mark, shown := " ", " "
		if t.Marked != nil && t.Marked(r) {
			mark, shown = "*", c.Styles.Warning.Render("*")
		}
		b.WriteString("\n")
		switch {
		case selected && t.Focused:
			b.WriteString(c.Styles.Selected.Render(c.Glyphs.Cursor + mark + line))
		case selected:
			b.WriteString(c.Styles.Muted.Render(c.Glyphs.Cursor) + shown + line)
		default:
			b.WriteString(" " + shown + line)
		}
	}
	return b.String()
}

// Cell fits text into exactly w cells, cutting it with ellipsis.
func Cell(text string, w int, right bool, ellipsis string) string {
	if lipgloss.Width(text) > w {
		text = ansi.Truncate(text, w, ellipsis)
	}
	pad := strings.Repeat(" ", max(0, w-lipgloss.Width(text)))
	if right {
		return pad + text
	}
	return text + pad
}

// Scroll returns the offset that keeps cursor within a window of page rows
// over n rows, moving as little as possible from offset.
func Scroll(offset, cursor, n, page int) int {
	page = max(page, 1)
	if cursor < offset {
		offset = cursor
	}
	if cursor >= offset+page {
		offset = cursor - page + 1
	}
	return max(0, min(offset, n-page))
}
