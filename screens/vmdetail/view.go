package vmdetail

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
	st := m.c.Styles
	switch {
	case m.gone() && !m.loaded:
		return st.Warning.Render("No VM is called "+ui.Safe(m.ref)+".") + "\n" +
			st.Muted.Render("Press esc to go back; the VM list (:vms) shows every VM of this host.")
	case m.gone():
		return st.Warning.Render("This VM no longer exists.") + "\n" + st.Muted.Render("It was deleted. Press esc to go back.")
	case !m.loaded && m.err != nil:
		return st.Danger.Render("Could not read the VM: ") + ui.Safe(m.err.Error())
	case !m.loaded:
		return "Reading the VM" + m.c.Glyphs.Ellipsis
	}
	w := m.c.Width
	lines := []string{m.header(), st.Muted.Render(ansi.Truncate(m.subtitle(), w, m.c.Glyphs.Ellipsis))}
	lines = append(append(lines, vmaction.Hint(m.c, m.d.VM, w)...), "")
	lines = append(lines, m.hardware()...)
	lines = append(lines, "", st.Header.Render(fmt.Sprintf("Activity, last %d min", ui.HistoryLength*int(ui.StatsInterval.Seconds())/60)))
	lines = append(lines, m.activity()...)
	if ev := m.c.Events.Of(m.d.UUID, 5); len(ev) > 0 {
		lines = append(lines, "", st.Header.Render("Recent events"))
		for _, e := range ev {
			line := e.At.Format("15:04:05") + "  " + e.Kind.String()
			if e.Detail != "" {
				line += " (" + ui.Safe(e.Detail) + ")"
			}
			lines = append(lines, line)
		}
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, m.c.Glyphs.Ellipsis)
	}
	return strings.Join(lines, "\n")
}

func (m *Model) header() string {
	st := m.c.Styles
	d := m.d
	state := st.State(d.State).Render(d.State.String())
	if p := m.actions.Pending(d.UUID); p != "" {
		state = st.Warning.Render(p + m.c.Glyphs.Ellipsis)
	}
	parts := []string{st.Title.Render(ui.Safe(d.Name)), state}
	if d.Autostart {
		parts = append(parts, "starts with the host")
	}
	if !d.Persistent {
		parts = append(parts, st.Warning.Render("transient"))
	}
	if d.Saved {
		parts = append(parts, st.Info.Render("saved: starting restores it"))
	}
	return strings.Join(parts, "  ")
}

func (m *Model) subtitle() string {
	d := m.d
	parts := []string{d.UUID, d.Arch}
	if d.Machine != "" {
		parts = append(parts, d.Machine)
	}
	fw := strings.ToUpper(d.Firmware)
	if d.SecureBoot {
		fw += " secure boot"
	}
	parts = append(parts, fw)
	if d.CPUMode != "" {
		parts = append(parts, "CPU "+d.CPUMode)
	}
	return strings.Join(parts, " "+m.c.Glyphs.Sep+" ")
}

// hardware lists resources, disks, NICs with their addresses, and displays.
func (m *Model) hardware() []string {
	st := m.c.Styles
	d := m.d
	label := func(s string) string { return st.Muted.Render(fmt.Sprintf("%-9s", s)) }
	cpu := fmt.Sprintf("%d vCPUs", d.VCPUs)
	if d.MaxVCPUs > d.VCPUs {
		cpu += fmt.Sprintf(" (up to %d)", d.MaxVCPUs)
	}
	mem := vm.FormatKiB(d.MemoryKiB)
	if d.MaxMemoryKiB > d.MemoryKiB {
		mem += " of " + vm.FormatKiB(d.MaxMemoryKiB)
	}
	lines := []string{label("CPU") + fmt.Sprintf("%-22s", cpu) + label("Memory") + mem}
	for i, disk := range d.Disks {
		src := ui.Safe(disk.Source)
		if src == "" {
			src = st.Muted.Render("(empty)")
		}
		l := label("")
		if i == 0 {
			l = label("Disks")
		}
		extra := disk.Format
		if disk.ReadOnly {
			extra += " read-only"
		}
		lines = append(lines, l+fmt.Sprintf("%-5s %-6s ", disk.Target, orDevice(disk))+src+" "+st.Muted.Render(strings.TrimSpace(extra)))
	}
	if len(d.Disks) == 0 {
		lines = append(lines, label("Disks")+st.Muted.Render("none"))
	}
	for i, n := range d.NICs {
		l := label("")
		if i == 0 {
			l = label("NICs")
		}
		src := n.Type
		if n.Source != "" {
			src += " " + ui.Safe(n.Source)
		}
		line := l + n.MAC + "  " + src
		if n.Model != "" {
			line += st.Muted.Render(" (" + n.Model + ")")
		}
		if n.LinkDown {
			line += " " + st.Warning.Render("link down: isolated")
		}
		lines = append(lines, line)
		// Each address on its own line, where its source is not cut off.
		for _, a := range m.addrs {
			if strings.EqualFold(a.MAC, n.MAC) {
				lines = append(lines, label("")+fmt.Sprintf("  %s/%d", a.IP, a.Prefix)+st.Muted.Render(" from "+a.Source))
			}
		}
	}
	if len(d.NICs) == 0 {
		lines = append(lines, label("NICs")+st.Muted.Render("none"))
	}
	if d.State.Active() && len(m.addrs) == 0 && len(d.NICs) > 0 {
		lines = append(lines, label("")+st.Muted.Render("no address known: no DHCP lease, guest agent or ARP entry yet"))
	}
	for i, g := range d.Graphics {
		l := label("")
		if i == 0 {
			l = label("Display")
		}
		where := "port chosen at start"
		if g.Port > 0 {
			where = fmt.Sprintf("port %d", g.Port)
		}
		if g.Listen != "" {
			where += " on " + g.Listen
		}
		lines = append(lines, l+g.Type+" "+where)
	}
	return lines
}

func orDevice(d vm.Disk) string {
	if d.Device == "cdrom" {
		return "cdrom"
	}
	return d.Bus
}

// activity draws the last minutes of CPU, memory, disk and network.
func (m *Model) activity() []string {
	st := m.c.Styles
	series := m.c.History.Series(m.d.UUID)
	metric := func(get func(vm.Point) float64, f vm.Fields) []float64 {
		out := make([]float64, len(series))
		for i, r := range series {
			out[i] = -1
			if r.Has&f != 0 {
				out[i] = get(r)
			}
		}
		return out
	}
	last := func(vals []float64, format func(float64) string) string {
		if len(vals) == 0 || vals[len(vals)-1] < 0 {
			return st.Muted.Render("-")
		}
		return format(vals[len(vals)-1])
	}
	rate := func(v float64) string { return vm.FormatBytes(v) + "/s" }
	rows := []struct {
		name  string
		vals  []float64
		top   float64
		value func(float64) string
	}{
		{"CPU", metric(func(p vm.Point) float64 { return float64(p.CPU) }, vm.HasCPU), 100, func(v float64) string { return fmt.Sprintf("%.1f%%", v) }},
		{"Memory", metric(func(p vm.Point) float64 { return float64(p.MemoryMiB) * 1024 }, vm.HasMemory), 0, func(v float64) string { return vm.FormatKiB(uint64(v)) }},
		{"Disk", metric(func(p vm.Point) float64 { return float64(p.Disk) }, vm.HasDisk), 0, rate},
		{"Network", metric(func(p vm.Point) float64 { return float64(p.Net) }, vm.HasNet), 0, rate},
	}
	if !m.d.State.Active() {
		return []string{st.Muted.Render(m.d.Name + " is not running.")}
	}
	if m.c.History.Reported()&(vm.HasCPU|vm.HasDisk|vm.HasNet) == 0 {
		return []string{st.Muted.Render("This libvirt driver reports no live statistics.")}
	}
	width := max(m.c.Width-9-10, 10)
	twoCols := m.c.Width >= 100
	if twoCols {
		width = max((m.c.Width-2*(9+10))/2-2, 10)
	}
	var cells []string
	for _, r := range rows {
		cells = append(cells, st.Muted.Render(fmt.Sprintf("%-8s ", r.name))+st.Primary.Render(m.c.Sparkline(r.vals, width, r.top))+" "+
			lipgloss.NewStyle().Width(9).Render(last(r.vals, r.value)))
	}
	if !twoCols {
		return cells
	}
	return []string{cells[0] + "  " + cells[2], cells[1] + "  " + cells[3]}
}
