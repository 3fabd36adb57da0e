package snapshots

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

func (m *Model) View() string {
	st := m.c.Styles
	switch {
	case !m.loaded:
		return "Reading snapshots" + m.c.Glyphs.Ellipsis
	case m.err != nil && m.v.UUID == "":
		return st.Danger.Render("Could not read the snapshots: ") + ui.Safe(m.err.Error())
	}
	title := st.Title.Render("Snapshots of "+ui.Safe(m.v.Name)) + "  " + st.State(m.v.State).Render(m.v.State.String())
	if m.busy != "" {
		title += "  " + st.Warning.Render(m.busy+m.c.Glyphs.Ellipsis)
	}
	lines := []string{ansi.Truncate(title, m.c.Width, m.c.Glyphs.Ellipsis)}
	if line := m.search.View(m.c.Width); line != "" {
		lines = append(lines, line)
	}
	switch {
	case len(m.all) == 0:
		lines = append(lines, "", "No snapshots yet. Press "+keys.Take.Help().Key+" to take one.")
		return strings.Join(lines, "\n")
	case len(m.rows) == 0:
		lines = append(lines, "", "No snapshot matches the search. Esc clears it.")
		return strings.Join(lines, "\n")
	}
	lines = append(lines, st.Header.Render(fmt.Sprintf("  %-32s %-16s %-9s %-8s %s", "NAME", "TAKEN", "STATE", "KIND", "DESCRIPTION")))
	page := max(m.c.Height-len(lines)-2, 1)
	start := max(0, min(m.cursor-page+1, len(m.rows)-page))
	start = max(0, min(start, m.cursor))
	for i := start; i < min(start+page, len(m.rows)); i++ {
		r := m.rows[i]
		s := r.s
		name := r.prefix + ui.Safe(s.Name)
		if s.Current {
			name += " (current)"
		}
		kind := "disk"
		switch {
		case s.External:
			kind = "external"
		case s.Memory:
			kind = "memory"
		}
		state := s.State.String()
		if s.State == vm.StateUnknown {
			state = "-" // disk-only of a running VM: libvirt keeps no state
		}
		taken := "-"
		if !s.Created.IsZero() {
			taken = s.Created.Format("2006-01-02 15:04")
		}
		line := fmt.Sprintf("%-32s %-16s %-9s %-8s %s", ansi.Truncate(name, 32, m.c.Glyphs.Ellipsis), taken,
			state, kind, ui.Safe(s.Description))
		line = ansi.Truncate(line, m.c.Width-2, m.c.Glyphs.Ellipsis)
		switch {
		case i == m.cursor:
			lines = append(lines, st.Selected.Render(m.c.Glyphs.Cursor+" "+line))
		case s.Current:
			lines = append(lines, "  "+st.Bold.Render(line))
		default:
			lines = append(lines, "  "+line)
		}
	}
	return strings.Join(lines, "\n")
}
