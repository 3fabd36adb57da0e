package host

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/security/access"
	"github.com/hyper-nixos/hv/security/hostcheck"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
)

// line is one line of the screen; item is the list item it belongs to,
// or -1, so that scrolling keeps the focused item in view.
type line struct {
	text string
	item int
}

func (m *Model) View() string {
	width := m.c.Width
	lines := m.lines(width)
	// Keep the focused item, with its details, on screen.
	first, last := -1, -1
	for i, l := range lines {
		if l.item == m.cursor {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	h := max(m.c.Height, 1)
	if first >= 0 {
		if last >= m.offset+h {
			m.offset = last - h + 1
		}
		if first < m.offset {
			m.offset = first
		}
	}
	m.offset = max(0, min(m.offset, len(lines)-h))
	var out []string
	for _, l := range lines[m.offset:min(len(lines), m.offset+h)] {
		out = append(out, l.text)
	}
	return strings.Join(out, "\n")
}

func (m *Model) lines(width int) []line {
	st := m.c.Styles
	sep := st.Muted.Render(" " + m.c.Glyphs.Sep + " ")
	var out []line
	add := func(text string) { out = append(out, line{ansi.Truncate(text, width, m.c.Glyphs.Ellipsis), -1}) }
	para := lipgloss.NewStyle().Width(max(width, 20))
	h := m.host
	switch {
	case !m.loaded:
		add(st.Title.Render("Host") + "  reading" + m.c.Glyphs.Ellipsis)
	case m.hostErr != nil:
		add(st.Title.Render("Host") + "  " + st.Danger.Render("cannot read it: ") + ui.Safe(m.hostErr.Error()))
	default:
		add(st.Title.Render("Host") + "  " + st.Bold.Render(termsafe.String(h.Hostname)) + sep +
			fmt.Sprintf("%s %s", h.Hypervisor, h.HypervisorVer) + sep + "libvirt " + h.LibvirtVersion)
		add("      " + fmt.Sprintf("%d CPUs, %s", h.CPUs, termsafe.String(h.CPUModel)) + sep +
			vm.FormatKiB(h.MemoryKiB) + " memory" + sep + "new VMs: " + accel(h))
	}
	you := st.Muted.Render("You   ") + termsafe.String(m.c.User) + " via " + m.where + ": " + m.c.HV.Access().String()
	if m.report != nil {
		you += sep + "groups " + termsafe.String(strings.Join(m.report.Facts.Groups, ", "))
	}
	add(you)
	if m.report != nil {
		add(st.Muted.Render("Daemon ") + daemon(m.report.Facts.Daemon, sep))
	}
	if m.c.Level == help.Beginner {
		add("")
		for _, l := range strings.Split(para.Render(st.Muted.Render(
			"hv never uses sudo: operators act through the hv daemon, which asks polkit for each action and checks the phase; "+
				"root's hv talks to libvirt directly. Below is what you may do; for what you may not, "+
				"the command that fixes it and why root must run it. Move to a line for the details.")), "\n") {
			out = append(out, line{l, -1})
		}
	}
	switch {
	case m.diagnose == nil:
		add("")
		add(st.Muted.Render("hv cannot check your access from here."))
		return out
	case m.report == nil && m.reportErr != nil:
		add("")
		add(st.Danger.Render("Could not check your access: ") + ui.Safe(m.reportErr.Error()))
		return out
	case m.report == nil:
		add("")
		add("Checking your access and the host" + m.c.Glyphs.Ellipsis)
		return out
	}
	add("")
	add(st.Header.Render("WHAT YOU MAY DO") + st.Muted.Render("  (hv doctor prints the same)"))
	for i, it := range m.items() {
		if i == len(m.report.Capabilities) {
			add("")
			add(st.Header.Render("THIS HOST"))
		}
		out = append(out, m.itemLines(i, it, width)...)
	}
	return out
}

// daemon is the hv daemon's answer in one line: the phase it enforces and
// what polkit grants, or why it did not answer.
func daemon(d access.Daemon, sep string) string {
	if !d.Answers() {
		return ui.Safe(d.Problem())
	}
	granted := access.Words(d.Allowed)
	if access.GrantsAll(d) {
		granted = "all of hv's actions"
	}
	return termsafe.String(d.Socket) + sep + "phase " + termsafe.String(d.Phase) + sep + "polkit grants you " + granted
}

func accel(h vm.Host) string {
	switch h.Accel {
	case "kvm":
		return "KVM"
	case "qemu":
		return "software emulation (no KVM)"
	case "":
		return "unknown"
	}
	return h.Accel
}

// itemLines is an item's line, and under the focused one its details.
func (m *Model) itemLines(i int, it item, width int) []line {
	st := m.c.Styles
	focused := i == m.cursor
	var mark, text string
	var details [][2]string
	if c := it.capability; c != nil {
		mark, text = st.Success.Render("yes "), c.What
		if !c.Can {
			mark = st.Danger.Render("no  ")
		}
		details = [][2]string{{"", c.Why}}
		if !c.Can {
			details = append(details, [2]string{"fix", c.Fix}, [2]string{"root", c.Root})
		}
	} else {
		ch := m.report.Host[it.check]
		style := map[hostcheck.Status]lipgloss.Style{hostcheck.OK: st.Success, hostcheck.Warn: st.Warning, hostcheck.Fail: st.Danger, hostcheck.Unknown: st.Muted}[ch.Status]
		mark, text = style.Render(fmt.Sprintf("%-8s", ch.State)), ch.Title+": "+ch.Found
		details = [][2]string{{"", ch.Means}, {"fix", ch.Fix}}
	}
	cursor := " "
	if focused {
		cursor = m.c.Glyphs.Cursor
	}
	head := ansi.Truncate(cursor+mark+" "+ui.Safe(text), width, m.c.Glyphs.Ellipsis)
	if focused {
		head = st.Selected.Render(ansi.Strip(head) + strings.Repeat(" ", max(0, width-lipgloss.Width(head))))
	}
	out := []line{{head, i}}
	if !focused {
		return out
	}
	indent := "      "
	para := lipgloss.NewStyle().Width(max(width-len(indent), 20))
	for _, d := range details {
		if d[1] == "" {
			continue
		}
		text := ui.Safe(d[1])
		switch d[0] {
		case "fix":
			text = st.Key.Render("fix: ") + text
		case "root":
			text = st.Muted.Render("root is needed: " + text)
		}
		for _, l := range strings.Split(para.Render(text), "\n") {
			out = append(out, line{indent + l, i})
		}
	}
	return out
}
