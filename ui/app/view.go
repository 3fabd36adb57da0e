package app

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "hv"
	return v
}

// Render draws the whole terminal as a string.
func (m *Model) Render() string {
	if m.width == 0 {
		return ""
	}
	switch m.phase {
	case connecting:
		return m.full(m.c.Styles.Title.Render("hv") + "\n\nConnecting to " + m.opts.Where + m.c.Glyphs.Ellipsis)
	case unreachable:
		if m.errTopic != nil {
			return m.full(m.errTopic.View(min(m.width-4, 100), m.high-2))
		}
		return m.full(m.unreachableView())
	}
	top := m.top()
	body := fit(top.View(), m.c.Width, m.c.Height)
	if m.dialog != nil {
		body = ui.Overlay(body, m.dialog.View(), m.c.Width, m.c.Height)
	}
	parts := []string{m.header(), body}
	if strip := m.stripView(); strip != "" {
		parts = append(parts, strip)
	}
	return strings.Join(append(parts, m.footer(), m.statusBar()), "\n")
}

// full draws a whole-terminal state (connecting, unreachable).
func (m *Model) full(content string) string {
	return fit(lipgloss.NewStyle().Padding(1, 2).Render(content), m.width, m.high)
}

func (m *Model) unreachableView() string {
	st := m.c.Styles
	para := lipgloss.NewStyle().Width(min(m.width-4, 76))
	reason, fix, detail := m.connErr.Error(), vm.Fix(m.connErr), ""
	if ce, ok := connectError(m.connErr); ok {
		reason, fix, detail = ce.Reason(), ce.Fix(), ce.Detail
	}
	lines := []string{
		st.Danger.Render("Cannot reach libvirt"),
		"",
		para.Render("hv could not connect to " + m.opts.Where + "."),
		"",
		st.Header.Render("Why"),
		para.Render(reason),
		"",
		st.Header.Render("How to fix it"),
		para.Render(fix),
	}
	if detail != "" {
		lines = append(lines, "", st.Muted.Render(para.Render("libvirt said: "+ui.Safe(detail))))
	}
	lines = append(lines, "", st.Key.Render("r")+" try again   "+st.Key.Render("?")+" explain this error   "+st.Key.Render("q")+" quit")
	return strings.Join(lines, "\n")
}

func (m *Model) header() string {
	st := m.c.Styles
	parts := make([]string, 0, len(m.stack))
	for _, s := range m.stack {
		parts = append(parts, s.Title())
	}
	crumbs := st.Title.Render(" hv ") + st.Muted.Render(" "+strings.Join(parts, " "+m.c.Glyphs.Arrow+" "))
	return ansi.Truncate(crumbs, m.width, m.c.Glyphs.Ellipsis)
}

// footer shows the error of the last action until a key is pressed, else
// the current screen's keys.
func (m *Model) footer() string {
	st := m.c.Styles
	if m.footerErr != nil {
		line := st.Danger.Render("Error: ") + ui.Safe(m.footerErr.Error())
		if fix := vm.Fix(m.footerErr); fix != "" {
			line += st.Muted.Render(" " + m.c.Glyphs.Arrow + " " + ui.Safe(fix))
		}
		// The way to the whole of it must stay visible: it is cut last.
		more := "  " + st.Key.Render("?") + st.Muted.Render(" explains")
		return ansi.Truncate(" "+line, m.width-lipgloss.Width(more), m.c.Glyphs.Ellipsis) + more
	}
	var keys []string
	if d := m.dialog; d == nil {
		keys = append(keys, m.c.ShortHelpView(m.top().Keys().ShortHelp(), m.width-20))
		// A raw screen (an open console) sends the global keys on too.
		if r, ok := m.top().(ui.Raw); !ok || !r.Raw() {
			keys = append(keys, m.c.ShortHelpView(m.keys.ShortHelp(), m.width-lipgloss.Width(keys[0])-3))
		}
	}
	return ansi.Truncate(" "+strings.Join(keys, "   "), m.width, m.c.Glyphs.Ellipsis)
}

// statusBar: where, who and with what rights, the security phase, and the
// latest transient message.
func (m *Model) statusBar() string {
	st := m.c.Styles
	sep := " " + m.c.Glyphs.Sep + " "
	left := " " + m.opts.Where + sep + ui.Safe(m.c.User) + " (" + m.c.HV.Access().String() + ")" + sep + "phase: " + m.securityPhase()
	right := ""
	failure := auditFailure(m.c.HV)
	switch {
	case m.lost != "":
		right = "reconnecting: " + m.lost + " "
	case failure != nil:
		right = "audit trail not written: " + ui.Safe(failure.Error()) + " "
	case m.status.Text != "":
		more := " "
		if m.status.Topic != "" {
			more = " (? why) "
		}
		// A message too long for the bar is cut, and '?' reads it all.
		text := ui.Safe(m.status.Text)
		if m.statusCut() {
			text, more = ansi.Truncate(text, m.statusRoom()-8, m.c.Glyphs.Ellipsis), " (? more) "
		}
		right = text + more
	}
	// A message outranks the fixed part, which the operator already knows.
	if room := m.width - lipgloss.Width(right) - 1; right != "" && lipgloss.Width(left) > room {
		left = ansi.Truncate(left, max(room, 0), m.c.Glyphs.Ellipsis)
	}
	gap := m.width - lipgloss.Width(left) - lipgloss.Width(right)
	line := left + strings.Repeat(" ", max(gap, 1)) + right
	line = ansi.Truncate(line, m.width, m.c.Glyphs.Ellipsis)
	line += strings.Repeat(" ", max(0, m.width-lipgloss.Width(line)))
	bar := st.StatusBar.Render(line)
	if m.lost != "" || failure != nil {
		bar = st.StatusBar.Foreground(st.Warning.GetForeground()).Render(line)
	} else if m.status.Text != "" && m.status.Level == ui.LevelError {
		bar = st.StatusBar.Foreground(st.Danger.GetForeground()).Render(line)
	}
	return bar
}

// statusRoom is the room for a message in the status bar, beside what
// says where and who (kept short, not gone).
func (m *Model) statusRoom() int { return m.width - 22 }

// statusCut reports whether the status message is too long for the bar.
func (m *Model) statusCut() bool {
	return m.status.Text != "" && lipgloss.Width(ui.Safe(m.status.Text)) > m.statusRoom()
}

func (m *Model) securityPhase() string {
	if m.opts.Phase == "" {
		return "not set"
	}
	return m.opts.Phase
}

// fit cuts or pads s to exactly w×h cells, so the chrome never moves.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			l = ansi.Truncate(l, w, "")
		}
		lines[i] = l + strings.Repeat(" ", max(0, w-lipgloss.Width(l)))
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines, "\n")
}

// auditFailure is why the audit trail could not be written, if the
// connection is audited and that happened.
func auditFailure(hv vm.Hypervisor) error {
	if a, ok := hv.(interface{ AuditFailure() error }); ok {
		return a.AuditFailure()
	}
	return nil
}
