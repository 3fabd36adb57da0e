package hosts

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

func (m *Model) View() string {
	var b strings.Builder
	b.WriteString(m.titleLine())
	if line := m.search.View(m.c.Width); line != "" {
		b.WriteString("\n" + line)
	}
	switch {
	case m.loadErr != nil && !m.loaded:
		b.WriteString("\n" + m.c.LoadErrorView("hosts", m.loadErr))
	case !m.loaded:
		b.WriteString("\n\nAsking every host" + m.c.Glyphs.Ellipsis)
	case len(m.shown) == 0:
		b.WriteString("\n\nNo host matches the search. Esc clears it.")
	default:
		b.WriteString("\n" + m.table())
		b.WriteString("\n\n" + m.detail())
	}
	return b.String()
}

func (m *Model) titleLine() string {
	up := 0
	for _, h := range m.all {
		if h.State == vm.HostUp {
			up++
		}
	}
	sep := " " + m.c.Glyphs.Sep + " "
	counts := fmt.Sprintf("%s%s%d up", ui.Count(len(m.all), "host"), sep, up)
	if n := len(m.all) - up; n > 0 {
		counts += fmt.Sprintf("%s%d not answering", sep, n)
	}
	line := m.c.Styles.Title.Render(m.Title()) + "  " + m.c.Styles.Muted.Render(counts)
	return ansi.Truncate(line, m.c.Width, m.c.Glyphs.Ellipsis)
}

func (m *Model) table() string {
	st := m.c.Styles
	nameMax := 4
	for _, h := range m.shown {
		nameMax = max(nameMax, lipgloss.Width(name(h)))
	}
	cols := []ui.Column{
		{Title: "HOST", Max: nameMax},
		{Title: "STATE", Width: 10},
		{Title: "PHASE", Width: 8},
		{Title: "VMS", Width: 7, Right: true},
		{Title: "LOAD", Width: 19},
	}
	if m.c.Width >= 90 {
		cols = append(cols, ui.Column{Title: "VERSION", Width: 10})
	}
	return m.c.TableView(ui.Table{Columns: cols, N: len(m.shown), Offset: m.offset, Height: m.pageSize(), Cursor: m.cursor, Focused: true,
		Cell: func(r, c int) (string, lipgloss.Style) {
			h := m.shown[r]
			switch c {
			case 0:
				return name(h), lipgloss.Style{}
			case 1:
				return h.State.String(), m.c.HostStateStyle(h.State)
			case 2:
				return ui.OrDash(ui.Safe(h.Phase)), lipgloss.Style{}
			case 3:
				if h.State == vm.HostDown || h.State == vm.HostConnecting {
					return "-", st.Muted
				}
				return fmt.Sprintf("%d/%d", h.Running, h.VMs), lipgloss.Style{}
			case 4:
				return h.Load(), lipgloss.Style{}
			case 5:
				return ui.OrDash(ui.Safe(h.Version)), lipgloss.Style{}
			}
			return "", lipgloss.Style{}
		}}, m.c.Width)
}

// name is a host's name, the primary one marked as where hv runs.
func name(h vm.HostStatus) string {
	if h.Primary {
		return ui.Safe(h.Name) + " (here)"
	}
	return ui.Safe(h.Name)
}

// detail says how the host under the cursor is reached and, when it does
// not answer, since when and why.
func (m *Model) detail() string {
	h, ok := m.Selected()
	if !ok {
		return ""
	}
	st := m.c.Styles
	width := max(m.c.Width, 20)
	lines := []string{st.Muted.Render("reached through ") + ui.Safe(h.Where)}
	if h.Hostname != "" && h.Hostname != h.Name {
		lines[0] += st.Muted.Render(" (hostname " + ui.Safe(h.Hostname) + ")")
	}
	switch h.State {
	case vm.HostDown:
		lines = append(lines, st.Danger.Render("down (since "+h.Since.Format("15:04:05")+"): ")+ui.Safe(h.Err),
			st.Muted.Render("Its VMs are left out until it answers again; hv keeps trying, the other hosts carry on."))
	case vm.HostSlow:
		lines = append(lines, st.Warning.Render("slow: ")+ui.Safe(h.Err),
			st.Muted.Render("Its VMs are shown as last seen; actions on them wait for it."))
	case vm.HostConnecting:
		lines = append(lines, st.Muted.Render("Not reached yet."))
	default:
		what := "enter lists its VMs (the VM list's host:" + ui.Safe(h.Name) + " filter), N its networks, S its storage"
		if len(m.all) > 1 {
			what += "; M in the VM list moves a VM here"
		}
		lines = append(lines, st.Muted.Render(what+"."))
	}
	for i, l := range lines {
		lines[i] = lipgloss.NewStyle().Width(width).Render(l)
	}
	return strings.Join(lines, "\n")
}
