package storage

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// maxPoolRows bounds the pools table, leaving the room to volumes.
const maxPoolRows = 5

func (m *Model) poolPage() int { return max(min(len(m.pools), maxPoolRows), 1) }

// volPage is the number of volume rows that fit under the pools: the
// screen less the title, the pools table, a gap, the volumes' title,
// header and copy line, and two lines of unavailable actions.
func (m *Model) volPage() int {
	used := 1 + 1 + m.poolPage() + 1 + 1 + 1 + 2
	if m.copying != nil {
		used++
	}
	if m.search.Active() {
		used++
	}
	return max(m.c.Height-used, 1)
}

func (m *Model) View() string {
	var b strings.Builder
	b.WriteString(m.titleLine())
	switch {
	case m.loadErr != nil && !m.loaded:
		return b.String() + "\n" + m.host.LoadErrorView("storage pools", m.loadErr)
	case !m.loaded:
		b.WriteString("\n\nLoading the storage pools" + m.c.Glyphs.Ellipsis)
		return b.String()
	case len(m.pools) == 0:
		b.WriteString("\n\nNo storage pools are defined here. Define one with 'hv pool define NAME --path DIR'.")
		return b.String()
	}
	b.WriteString("\n" + m.poolTable() + "\n\n" + m.volumesTitle())
	if line := m.search.View(m.c.Width); line != "" {
		b.WriteString("\n" + line)
	}
	if cp := m.copyLine(); cp != "" {
		b.WriteString("\n" + cp)
	}
	b.WriteString("\n" + m.volumesBody())
	if notNow := m.c.NotNowView(m.actions(), m.c.Width); notNow != "" {
		b.WriteString("\n" + notNow)
	}
	return b.String()
}

func (m *Model) titleLine() string {
	active := 0
	var free, size uint64
	counted := map[string]bool{} // filesystems: pools on one share its space
	for _, p := range m.pools {
		if !p.Active {
			continue
		}
		active++
		if p.Filesystem != "" && counted[p.Filesystem] {
			continue
		}
		counted[p.Filesystem] = true
		free += p.AvailableBytes
		size += p.CapacityBytes
	}
	sep := " " + m.c.Glyphs.Sep + " "
	counts := fmt.Sprintf("%s%s%d active%s%s free of %s", ui.Count(len(m.pools), "pool"), sep, active, sep,
		vm.FormatBytes(float64(free)), vm.FormatBytes(float64(size)))
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

func (m *Model) poolTable() string {
	st := m.c.Styles
	nameMax := 0
	for _, p := range m.pools {
		nameMax = max(nameMax, lipgloss.Width(ui.Safe(p.Name)))
	}
	cols := []ui.Column{
		{Title: "POOL", Max: nameMax},
		{Title: "STATE", Width: 8},
		{Title: "AUTO", Width: 4},
		{Title: "SIZE", Width: 5, Right: true},
		{Title: "USED", Width: 5, Right: true},
		{Title: "FREE", Width: 5, Right: true},
		{Title: "USE", Width: 17},
		{Title: "VMS", Width: 3, Right: true},
	}
	if m.c.Width >= 110 {
		cols = append(cols[:3], append([]ui.Column{{Title: "TYPE", Width: 7}}, cols[3:]...)...)
		cols[len(cols)-2].Width = 27
	}
	cell := func(r, c int) (string, lipgloss.Style) {
		p := m.pools[r]
		plain := lipgloss.Style{}
		switch cols[c].Title {
		case "POOL":
			return ui.Safe(p.Name), plain
		case "STATE":
			if p.Active {
				return "active", st.Success
			}
			return "inactive", st.Muted
		case "AUTO":
			return ui.YesNo(p.Autostart), plain
		case "TYPE":
			return ui.Safe(p.Type), plain
		case "SIZE", "USED", "FREE":
			if !p.Active {
				return "-", st.Muted
			}
			v := map[string]uint64{"SIZE": p.CapacityBytes, "USED": p.AllocationBytes, "FREE": p.AvailableBytes}[cols[c].Title]
			return vm.FormatBytes(float64(v)), plain
		case "USE":
			if !p.Active || p.CapacityBytes == 0 {
				return "", plain
			}
			frac := float64(p.AllocationBytes) / float64(p.CapacityBytes)
			style := plain
			if frac >= 0.85 {
				style = st.Warning
			}
			return m.c.Bar(frac, cols[c].Width-5) + fmt.Sprintf(" %3.0f%%", frac*100), style
		case "VMS":
			return fmt.Sprint(len(p.UsedBy)), plain
		}
		return "", plain
	}
	return m.c.TableView(ui.Table{Columns: cols, N: len(m.pools), Offset: m.poolOffset, Height: m.poolPage(),
		Cursor: m.poolCursor, Focused: m.focus == poolsPane, Cell: cell}, m.c.Width)
}

func (m *Model) volumesTitle() string {
	st := m.c.Styles
	p, _ := m.SelectedPool()
	sep := " " + m.c.Glyphs.Sep + " "
	line := st.Header.Render("Volumes of "+ui.Safe(p.Name)) + "  " + st.Muted.Render(ui.Safe(p.Path))
	if m.volsFor == p.Name && m.volsErr == nil && p.Active {
		count := ui.Count(len(m.allVols), "volume")
		if m.search.Query() != "" {
			count = fmt.Sprintf("%d of %s shown", len(m.vols), count)
		}
		line += st.Muted.Render(sep + count)
	}
	return ansi.Truncate(line, m.c.Width, m.c.Glyphs.Ellipsis)
}

func (m *Model) copyLine() string {
	cp := m.copying
	if cp == nil {
		return ""
	}
	frac := 0.0
	if cp.total > 0 {
		frac = float64(cp.done) / float64(cp.total)
	}
	text := fmt.Sprintf("copying %s %s %s  %s %3.0f%%  %s of %s", ui.Safe(cp.src), m.c.Glyphs.Arrow, ui.Safe(cp.dst),
		m.c.Bar(frac, 22), frac*100, vm.FormatBytes(float64(cp.done)), vm.FormatBytes(float64(cp.total))) +
		"  " + keys.Copy.Help().Key + " cancels"
	return ansi.Truncate(m.c.Styles.Info.Render(text), m.c.Width, m.c.Glyphs.Ellipsis)
}

func (m *Model) volumesBody() string {
	st := m.c.Styles
	p, _ := m.SelectedPool()
	switch {
	case !p.Active:
		return st.Muted.Render("The pool is inactive: its volumes are not listed. " + keys.Start.Help().Key + " starts it.")
	case m.volsFor != p.Name:
		return "Reading the volumes" + m.c.Glyphs.Ellipsis
	case m.volsErr != nil:
		return st.Danger.Render("Could not list the volumes: ") + ui.Safe(ui.Reason(m.volsErr))
	case len(m.allVols) == 0:
		return st.Muted.Render("No volumes yet. " + keys.NewVolume.Help().Key + " creates one.")
	case len(m.vols) == 0:
		return st.Muted.Render("No volume matches the search. Esc clears it.")
	}
	nameMax := 0
	for _, v := range m.vols {
		nameMax = max(nameMax, lipgloss.Width(ui.Safe(v.Name)))
	}
	usedBy := 18
	if m.c.Width >= 110 {
		usedBy = 34
	}
	cols := []ui.Column{
		{Title: "NAME", Max: nameMax},
		{Title: "FORMAT", Width: 6},
		{Title: "SIZE", Width: 5, Right: true},
		{Title: "ON DISK", Width: 7, Right: true},
		{Title: "USED BY", Width: usedBy},
	}
	cell := func(r, c int) (string, lipgloss.Style) {
		v := m.vols[r]
		plain := lipgloss.Style{}
		switch c {
		case 0:
			return ui.Safe(v.Name), plain
		case 1:
			return ui.OrDash(ui.Safe(v.Format)), plain
		case 2:
			return vm.FormatBytes(float64(v.CapacityBytes)), plain
		case 3:
			return vm.FormatBytes(float64(v.AllocationBytes)), plain
		}
		if over := m.overlayOf(v); over != "" && len(v.UsedBy) == 0 {
			return "backs " + ui.Safe(over), st.Muted
		}
		if len(v.UsedBy) == 0 {
			return "-", st.Muted
		}
		return ui.NameList(v.UsedBy, 3), plain
	}
	return m.c.TableView(ui.Table{Columns: cols, N: len(m.vols), Offset: m.volOffset, Height: m.volPage(),
		Cursor: m.volCursor, Focused: m.focus == volumesPane, Cell: cell}, m.c.Width)
}
