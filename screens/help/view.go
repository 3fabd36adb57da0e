package help

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

func (m *Model) View() string {
	if m.reading != nil {
		st := m.c.Styles
		info := st.Muted.Render(fmt.Sprintf("level: %s (L changes)", m.c.Level))
		if len(m.history) > 0 || m.showIndex {
			info += st.Muted.Render("  " + m.c.Glyphs.Sep + "  backspace: back")
		}
		body := m.reading.View(m.c.Width-3, m.c.Height-1)
		return ansi.Truncate(info, m.c.Width, m.c.Glyphs.Ellipsis) + "\n" +
			lipgloss.NewStyle().PaddingLeft(1).Render(body)
	}
	return m.indexView()
}

// listHeight is how many index lines fit under the title and search.
func (m *Model) listHeight() int {
	n := m.c.Height - 1
	if m.search.Active() {
		n--
	}
	return max(n, 1)
}

func (m *Model) indexView() string {
	st := m.c.Styles
	w := m.c.Width
	sep := " " + m.c.Glyphs.Sep + " "
	count := fmt.Sprintf("%d topics", len(m.c.Help.Topics.All()))
	if m.search.Query() != "" {
		count = fmt.Sprintf("%d found", len(m.entries))
	}
	lines := []string{ansi.Truncate(st.Title.Render("Help")+"  "+
		st.Muted.Render(count+sep+"level: "+m.c.Level.String()+" (L changes)"+sep+"t tutorials"), w, m.c.Glyphs.Ellipsis)}
	if line := m.search.View(w); line != "" {
		lines = append(lines, line)
	}
	if len(m.entries) == 0 {
		lines = append(lines, "", st.Muted.Render("No topic holds all these words. Fewer or other words may find one; esc clears."))
		return strings.Join(lines, "\n")
	}
	titleW := 0
	for _, e := range m.entries {
		if e.topic != nil {
			titleW = max(titleW, lipgloss.Width(e.topic.Title))
		}
	}
	titleW = min(titleW, w/2)
	end := min(m.offset+m.listHeight(), len(m.entries))
	for i := m.offset; i < end; i++ {
		e := m.entries[i]
		if e.topic == nil {
			lines = append(lines, st.Header.Render(e.group))
			continue
		}
		title := ansi.Truncate(e.topic.Title, titleW, m.c.Glyphs.Ellipsis)
		title += strings.Repeat(" ", titleW-lipgloss.Width(title))
		about := e.topic.Summary
		if e.snippet != "" {
			about = e.snippet
		}
		if i == m.cursor {
			line := ansi.Truncate(m.c.Glyphs.Cursor+" "+title+"  "+about, w, m.c.Glyphs.Ellipsis)
			lines = append(lines, st.Selected.Render(line+strings.Repeat(" ", max(0, w-lipgloss.Width(line)))))
			continue
		}
		lines = append(lines, ansi.Truncate("  "+title+"  "+st.Muted.Render(about), w, m.c.Glyphs.Ellipsis))
	}
	return strings.Join(lines, "\n")
}
