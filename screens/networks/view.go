package networks

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
		b.WriteString("\n" + m.host.LoadErrorView("networks", m.loadErr))
	case !m.loaded:
		b.WriteString("\n\nLoading the networks" + m.c.Glyphs.Ellipsis)
	case len(m.all) == 0:
		b.WriteString("\n\nNo virtual networks are defined here. Press " + keys.New.Help().Key + " to define one.")
	case len(m.nets) == 0:
		b.WriteString("\n\nNo network matches the search. Esc clears it.")
	default:
		b.WriteString("\n" + m.table())
		b.WriteString("\n\n" + m.detail())
	}
	if notNow := m.c.NotNowView(m.actions(), m.c.Width); notNow != "" && m.loaded {
		b.WriteString("\n" + notNow)
	}
	return b.String()
}

func (m *Model) titleLine() string {
	active := 0
	for _, n := range m.all {
		if n.Active {
			active++
		}
	}
	sep := " " + m.c.Glyphs.Sep + " "
	counts := fmt.Sprintf("%s%s%d active", ui.Count(len(m.all), "network"), sep, active)
	if m.search.Query() != "" {
		counts = fmt.Sprintf("%d of %d shown%s", len(m.nets), len(m.all), sep) + counts
	}
	if m.busy != "" {
		counts += sep + m.busy + m.c.Glyphs.Ellipsis
	}
	if hint := m.host.Hint(); hint != "" {
		counts += sep + hint
	}
	line := m.c.Styles.Title.Render(m.Title()) + "  " + m.c.Styles.Muted.Render(counts)
	if m.loadErr != nil && m.loaded {
		line += m.c.Styles.Warning.Render(sep + "as last read: " + ui.Safe(ui.Reason(m.loadErr)))
	}
	return ansi.Truncate(line, m.c.Width, m.c.Glyphs.Ellipsis)
}

// detailLines is the height of the detail pane below the table.
const detailLines = 7

// pageSize is the number of table rows that fit above the detail pane.
func (m *Model) pageSize() int {
	n := m.c.Height - 2 - 1 - detailLines - 2
	if m.search.Active() {
		n--
	}
	return max(n, 1)
}

func (m *Model) table() string {
	st := m.c.Styles
	wide := m.c.Width >= 110
	nameMax := 0
	for _, n := range m.nets {
		nameMax = max(nameMax, lipgloss.Width(ui.Safe(n.Name)))
	}
	cols := []ui.Column{
		{Title: "NAME", Max: nameMax},
		{Title: "STATE", Width: 8},
		{Title: "AUTO", Width: 4},
		{Title: "MODE", Width: 8},
		{Title: "IPV4", Width: 18},
		{Title: "VMS", Width: 3, Right: true},
	}
	if wide {
		cols = append(cols[:4], append([]ui.Column{{Title: "BRIDGE", Width: 8}}, cols[4:]...)...)
		cols = append(cols[:6], append([]ui.Column{{Title: "DHCP", Width: 25}}, cols[6:]...)...)
	}
	cell := func(r, c int) (string, lipgloss.Style) {
		n := m.nets[r]
		title := cols[c].Title
		switch title {
		case "NAME":
			return ui.Safe(n.Name), lipgloss.Style{}
		case "STATE":
			if n.Active {
				return "active", st.Success
			}
			return "inactive", st.Muted
		case "AUTO":
			return ui.YesNo(n.Autostart), lipgloss.Style{}
		case "MODE":
			return ui.Safe(n.Mode), lipgloss.Style{}
		case "BRIDGE":
			return ui.OrDash(ui.Safe(n.Bridge)), lipgloss.Style{}
		case "IPV4":
			return ui.OrDash(n.IPv4), lipgloss.Style{}
		case "DHCP":
			if !n.DHCP() {
				return "off", st.Muted
			}
			return dhcpRange(n.DHCPStart, n.DHCPEnd), lipgloss.Style{}
		case "VMS":
			return fmt.Sprint(len(n.UsedBy)), lipgloss.Style{}
		}
		return "", lipgloss.Style{}
	}
	return m.c.TableView(ui.Table{Columns: cols, N: len(m.nets), Offset: m.offset, Height: m.pageSize(),
		Cursor: m.cursor, Focused: true, Cell: cell}, m.c.Width)
}

var modeWords = map[string]string{
	"nat":      "NAT: guests reach outside through the host's address",
	"isolated": "isolated: guests reach each other and the host only",
	"route":    "routed: guests are reachable from the host's LAN, no NAT",
	"open":     "open: routed, with no firewall rules from libvirt",
	"bridge":   "bridged onto a host bridge",
}

// detail describes the selected network: addresses, users, leases.
func (m *Model) detail() string {
	st := m.c.Styles
	n, ok := m.Selected()
	if !ok {
		return ""
	}
	row := func(k, v string) string {
		return ansi.Truncate(st.Muted.Render(fmt.Sprintf("  %-8s ", k))+v, m.c.Width, m.c.Glyphs.Ellipsis)
	}
	state := "inactive"
	if n.Active {
		state = st.Success.Render("active")
	}
	sep := " " + m.c.Glyphs.Sep + " "
	flags := state + sep + map[bool]string{true: "starts with the host", false: "manual start"}[n.Autostart]
	if !n.Persistent {
		flags += sep + st.Warning.Render("transient")
	}
	mode := modeWords[n.Mode]
	if mode == "" {
		mode = ui.Safe(n.Mode)
	}
	addr := "none"
	if n.IPv4 != "" {
		addr = n.IPv4 + "   bridge " + ui.OrDash(ui.Safe(n.Bridge))
	}
	dhcp := "off"
	if n.DHCP() {
		dhcp = n.DHCPStart + " - " + n.DHCPEnd
	}
	lines := []string{
		ansi.Truncate(st.Bold.Render(ui.Safe(n.Name))+"  "+flags, m.c.Width, m.c.Glyphs.Ellipsis),
		row("Mode", mode),
		row("Address", addr),
		row("DHCP", dhcp),
		row("VMs", m.usersLine(n)),
		row("Leases", m.leasesLine(n)),
	}
	return strings.Join(lines, "\n")
}

func (m *Model) usersLine(n vm.Network) string {
	if len(n.UsedBy) == 0 {
		return "none"
	}
	running, stopped := m.users(n)
	return fmt.Sprintf("%d on, %d off: %s", len(running), len(stopped), ui.NameList(n.UsedBy, 6))
}

func (m *Model) leasesLine(n vm.Network) string {
	switch {
	case !n.Active:
		return "none while inactive"
	case m.leasesFor != n.Name && m.leasesErr == nil:
		return "reading" + m.c.Glyphs.Ellipsis
	case isUnsupported(m.leasesErr):
		return "this libvirt driver reports no DHCP leases"
	case m.leasesErr != nil:
		return "unavailable: " + ui.Safe(ui.Reason(m.leasesErr))
	case len(m.leases) == 0:
		return "none"
	}
	parts := make([]string, 0, len(m.leases))
	for _, l := range m.leases {
		who := ui.Safe(l.Hostname)
		if who == "" {
			who = l.MAC
		}
		parts = append(parts, l.IP+" "+who)
	}
	return fmt.Sprintf("%d: %s", len(m.leases), strings.Join(parts, ", "))
}

// dhcpRange writes a range within one /24 the short way:
// 192.168.122.100-254.
func dhcpRange(start, end string) string {
	if i := strings.LastIndexByte(start, '.'); i > 0 && strings.HasPrefix(end, start[:i+1]) {
		return start + "-" + end[i+1:]
	}
	return start + " - " + end
}
