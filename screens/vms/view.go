package vms

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/vmaction"
	"github.com/hyper-nixos/hv/vm"
)

func (m *Model) View() string {
	var b strings.Builder
	b.WriteString(m.titleLine())
	if line := m.search.View(m.c.Width); line != "" {
		b.WriteString("\n" + line)
	}
	if note := m.hostsNote(); note != "" {
		b.WriteString("\n" + ansi.Truncate(m.c.Styles.Warning.Render(note), m.c.Width, m.c.Glyphs.Ellipsis))
	}
	if line := m.mover.View(); line != "" {
		b.WriteString("\n" + ansi.Truncate(line, m.c.Width, m.c.Glyphs.Ellipsis))
	}
	if n := len(m.marked()); n > 0 {
		b.WriteString("\n" + ansi.Truncate(m.c.Styles.Warning.Render(fmt.Sprintf("%d marked", n))+
			m.c.Styles.Muted.Render(": actions apply to them (x lists them; esc unmarks)"), m.c.Width, m.c.Glyphs.Ellipsis))
	}
	switch {
	case m.loadErr != nil && !m.loaded:
		b.WriteString("\n" + m.c.LoadErrorView("VMs", m.loadErr))
	case !m.loaded:
		b.WriteString("\n\nLoading the VM list" + m.c.Glyphs.Ellipsis)
	case len(m.rows) == 0:
		b.WriteString("\n\nNo virtual machines are defined on " + ui.Safe(m.c.HV.URI()) + ".")
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

// hostsNote names the hosts whose VMs the list cannot show as they are
// now, or "" when every host answers.
func (m *Model) hostsNote() string {
	var parts []string
	for _, h := range vm.HostsOf(m.c.HV) {
		switch h.State {
		case vm.HostDown:
			parts = append(parts, ui.Safe(h.Name)+" is down (its VMs are left out)")
		case vm.HostSlow:
			parts = append(parts, ui.Safe(h.Name)+" is slow (its VMs as last seen)")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "Host " + strings.Join(parts, ", ") + "; the Hosts screen says more."
}

// statsNote explains missing live figures instead of leaving blank columns.
func (m *Model) statsNote() string {
	switch {
	case m.statsErr != nil:
		return "Live statistics unavailable: " + ui.Safe(m.statsErr.Error())
	case m.c.History.Read() && m.loaded && m.sawStats&(vm.HasCPU|vm.HasDisk|vm.HasNet) == 0 && m.anyActive():
		return "No CPU, disk or network rates: this libvirt driver reports no live statistics."
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

// table draws the shared table over the visible rows, with the sort
// column's arrow, marks and what is under way on each VM.
func (m *Model) table() string {
	st := m.c.Styles
	cols := columns(m.c.Width, m.sawStats, m.nameMax, m.hostMax)
	ucols := make([]ui.Column, len(cols))
	arrowed := false
	for i, c := range cols {
		title := c.title
		if c.sort == m.sort && !arrowed {
			arrowed = true
			title += map[bool]string{false: m.c.Glyphs.SortAsc, true: m.c.Glyphs.SortDesc}[m.desc]
		}
		ucols[i] = ui.Column{Title: title, Width: c.width, Right: c.right}
		if c.width == 0 {
			ucols[i].Max = max(m.nameMax, 12)
		}
	}
	return m.c.TableView(ui.Table{Columns: ucols, N: len(m.visible), Offset: m.offset, Height: m.pageSize(), Cursor: m.cursor, Focused: true,
		Marked: func(r int) bool { return m.rows[m.visible[r]].marked },
		Cell: func(r, c int) (string, lipgloss.Style) {
			row := &m.rows[m.visible[r]]
			switch cols[c].sort {
			case byName:
				return row.name, lipgloss.Style{}
			case byState:
				if p := m.actions.Pending(row.vm.UUID); p != "" {
					text := pendingLabel(p)
					if lipgloss.Width(text+m.c.Glyphs.Ellipsis) <= cols[c].width {
						text += m.c.Glyphs.Ellipsis
					}
					return text, st.Warning
				}
				return stateLabel(row.vm.State), st.State(row.vm.State)
			}
			return cols[c].cell(row), lipgloss.Style{}
		}}, m.c.Width)
}
