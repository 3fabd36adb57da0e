package vms

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/ui/vmaction"
	"github.com/hyper-nixos/hv/vm"
)

func (m *Model) View() string {
	var b strings.Builder
	b.WriteString(m.titleLine())
	if m.typing || m.input.Value() != "" {
		b.WriteString("\n" + m.filterLine())
	}
	if n := len(m.marked()); n > 0 {
		b.WriteString("\n" + m.c.Styles.Warning.Render(fmt.Sprintf("%d marked", n)) +
			m.c.Styles.Muted.Render(": actions apply to them (x lists them; esc unmarks)"))
	}
	switch {
	case m.loadErr != nil && !m.loaded:
		b.WriteString("\n\n" + m.c.Styles.Danger.Render("Could not list the VMs: ") + m.loadErr.Error())
		if fix := vm.Fix(m.loadErr); fix != "" {
			b.WriteString("\n" + m.c.Styles.Muted.Render(fix))
		}
		b.WriteString("\n" + m.c.Styles.Muted.Render("Press r to try again."))
	case !m.loaded:
		b.WriteString("\n\nLoading the VM list" + m.c.Glyphs.Ellipsis)
	case len(m.rows) == 0:
		b.WriteString("\n\nNo virtual machines are defined on " + m.c.HV.URI() + ".")
	default:
		b.WriteString("\n" + m.table())
		if len(m.visible) == 0 {
			b.WriteString("\n" + m.c.Styles.Muted.Render("No VM matches this filter. Esc clears it."))
		}
		if note := m.statsNote(); note != "" {
			b.WriteString("\n" + ansi.Truncate(m.c.Styles.Muted.Render(note), m.c.Width, m.c.Glyphs.Ellipsis))
		}
		if v, ok := m.Selected(); ok {
			if hint := vmaction.Hint(m.c, v, m.c.Width); len(hint) > 0 {
				b.WriteString("\n\n" + strings.Join(hint, "\n"))
			}
		}
	}
	return b.String()
}

func (m *Model) titleLine() string {
	st := m.c.Styles
	var n vm.Tally
	for i := range m.rows {
		n.Add(m.rows[i].vm.State)
	}
	sep := " " + m.c.Glyphs.Sep + " "
	title := st.Title.Render(m.Title())
	counts := fmt.Sprintf("%d VMs%s%d running%s%d paused%s%d off", n.Total, sep, n.Running, sep, n.Paused, sep, n.Off)
	if !m.filter.Empty() {
		counts = fmt.Sprintf("%d of %d shown%s", len(m.visible), len(m.rows), sep) + counts
	}
	line := title + "  " + st.Muted.Render(counts)
	return ansi.Truncate(line, m.c.Width, m.c.Glyphs.Ellipsis)
}

// statsNote explains missing live figures instead of leaving blank columns.
func (m *Model) statsNote() string {
	switch {
	case m.statsErr != nil:
		return "Live statistics unavailable: " + m.statsErr.Error()
	case m.loaded && m.sawStats&(vm.HasCPU|vm.HasDisk|vm.HasNet) == 0 && m.anyActive():
		return "CPU%, DISK and NET show - : this libvirt driver reports no live statistics."
	}
	return ""
}

func (m *Model) anyActive() bool {
	for i := range m.rows {
		if m.rows[i].vm.State.Active() {
			return true
		}
	}
	return false
}

func (m *Model) filterLine() string {
	st := m.c.Styles
	if m.typing {
		line := m.input.View()
		if m.inputErr != nil {
			line += "  " + st.Danger.Render(m.inputErr.Error())
		}
		return ansi.Truncate(line, m.c.Width, m.c.Glyphs.Ellipsis)
	}
	return ansi.Truncate(st.Muted.Render("filter: ")+st.Input.Render(m.input.Value())+
		st.Muted.Render("  (/ edits, esc clears)"), m.c.Width, m.c.Glyphs.Ellipsis)
}

// table renders the header and only the rows that fit on screen.
func (m *Model) table() string {
	st := m.c.Styles
	cols := columns(m.c.Width)
	nameW := m.c.Width - 2 // cursor margin
	for _, c := range cols[1:] {
		nameW -= c.width + 1
	}
	nameW = max(min(nameW, max(m.nameMax, 12)), 8)

	var b strings.Builder
	header := make([]string, len(cols))
	shownSort := false
	for i, c := range cols {
		title := c.title
		if c.sort == m.sort && !shownSort {
			shownSort = true
			arrow := m.c.Glyphs.SortAsc
			if m.desc {
				arrow = m.c.Glyphs.SortDesc
			}
			title += arrow
		}
		header[i] = cell(title, width(c, nameW), c.right, m.c.Glyphs.Ellipsis)
	}
	b.WriteString(st.Header.Render("  " + strings.Join(header, " ")))

	end := min(m.offset+m.pageSize(), len(m.visible))
	for pos := m.offset; pos < end; pos++ {
		r := &m.rows[m.visible[pos]]
		selected := pos == m.cursor
		cells := make([]string, len(cols))
		for i, c := range cols {
			var text string
			switch c.sort {
			case byName:
				text = r.name
			case byState:
				text = stateLabel(r.vm.State)
				if p := m.actions.Pending(r.vm.UUID); p != "" {
					text = p + m.c.Glyphs.Ellipsis
				}
			default:
				text = c.cell(r)
			}
			text = cell(text, width(c, nameW), c.right, m.c.Glyphs.Ellipsis)
			if !selected && c.sort == byState {
				if m.actions.Pending(r.vm.UUID) != "" {
					text = st.Warning.Render(text)
				} else {
					text = st.State(r.vm.State).Render(text)
				}
			}
			cells[i] = text
		}
		line := strings.Join(cells, " ")
		mark := " "
		if r.marked {
			mark = "*"
		}
		b.WriteString("\n")
		if selected {
			b.WriteString(st.Selected.Render(m.c.Glyphs.Cursor + mark + line))
		} else if r.marked {
			b.WriteString(" " + st.Warning.Render(mark) + line)
		} else {
			b.WriteString("  " + line)
		}
	}
	return b.String()
}

func width(c column, nameW int) int {
	if c.width == 0 {
		return nameW
	}
	return c.width
}

// cell fits text into exactly w columns.
func cell(text string, w int, right bool, ellipsis string) string {
	if lipgloss.Width(text) > w {
		text = ansi.Truncate(text, w, ellipsis)
	}
	pad := strings.Repeat(" ", max(0, w-lipgloss.Width(text)))
	if right {
		return pad + text
	}
	return text + pad
}
