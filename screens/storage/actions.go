package storage

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// Indexes into actions().
const (
	actStart = iota
	actStop
	actAutostart
	actNewVolume
	actCopy
	actDelete
)

// actions are what can be done now to the selected pool and volume, each
// with the reason when it cannot, and what it does.
func (m *Model) actions() ui.Actions {
	p, havePool := m.SelectedPool()
	v, haveVol := m.SelectedVolume()
	autostart := "autostart on"
	if havePool && p.Autostart {
		autostart = "autostart off"
	}
	pool := p.Name
	hv, unreached := m.host.HV()
	job := func(busy, done string, fn func(context.Context) error) tea.Cmd {
		return m.c.Job(m.id, busy, done, "", fn)
	}
	as := ui.Actions{
		actStart: {Key: keys.Start, Risk: ops.Low, Audit: "pool.start", Run: func() tea.Cmd {
			return job("starting "+pool, "started pool "+pool, func(ctx context.Context) error { return hv.StartPool(ctx, pool) })
		}},
		actStop: {Key: keys.Stop, Risk: ops.Medium, Audit: "pool.stop"},
		actAutostart: {Key: ui.Bind(keys.Autostart, autostart), Risk: ops.Low, Audit: "pool.autostart", Run: func() tea.Cmd {
			on := !p.Autostart
			done := map[bool]string{true: "pool " + pool + " now starts with the host", false: "pool " + pool + " no longer starts with the host"}[on]
			return job("setting autostart of "+pool, done, func(ctx context.Context) error { return hv.SetPoolAutostart(ctx, pool, on) })
		}},
		actNewVolume: {Key: keys.NewVolume, Risk: ops.Low, Audit: "volume.create", Run: func() tea.Cmd { return m.createForm(p) }},
		actCopy:      {Key: keys.Copy, Risk: ops.Low, Audit: "volume.copy", Run: func() tea.Cmd { return m.copyForm(p, v) }},
		actDelete:    {Key: keys.Delete, Risk: ops.Critical, Audit: "volume.delete"},
	}
	as[actStop].Run = func() tea.Cmd {
		run := func(c vm.Confirmation) tea.Cmd {
			return job("stopping "+pool, "stopped pool "+pool, ui.Answered(c, func(ctx context.Context) error { return hv.StopPool(ctx, pool) }))
		}
		return m.c.Confirm(as[actStop], "Stop pool "+ui.Safe(pool)+"?", m.stopBody(p), pool, run)
	}
	as[actDelete].Run = func() tea.Cmd {
		name := v.Name
		run := func(c vm.Confirmation) tea.Cmd {
			return job("deleting "+name, "deleted volume "+name+" from "+pool, ui.Answered(c, func(ctx context.Context) error { return hv.DeleteVolume(ctx, pool, name) }))
		}
		body := fmt.Sprintf("%s (%s on disk, %s for the guest) is deleted from pool %s. Its data cannot be recovered.",
			ui.Safe(name), vm.FormatBytes(float64(v.AllocationBytes)), vm.FormatBytes(float64(v.CapacityBytes)), ui.Safe(pool))
		return m.c.Confirm(as[actDelete], "Delete volume "+ui.Safe(name)+"?", body, name, run)
	}
	for i := range as {
		if unreached != nil {
			as[i] = as[i].Unless(ui.Reason(unreached))
		}
		as[i] = as[i].Unless(m.c.ReadOnlyWhy())
		if m.busy != "" {
			as[i] = as[i].Unless("busy " + m.busy)
		}
		if !havePool {
			as[i] = as[i].Unless("no pool is selected")
		}
	}
	if !havePool {
		return as.InPhase(m.c.Phase, phase.StorageChange).Granted(hv) // hv nil: unreachable, and as say why
	}
	if p.Active {
		as[actStart] = as[actStart].Unless("the pool is active")
	} else {
		for _, i := range []int{actStop, actNewVolume, actCopy, actDelete} {
			as[i] = as[i].Unless("the pool is inactive")
		}
	}
	if !p.Persistent {
		as[actAutostart] = as[actAutostart].Unless("it is transient: only defined pools start with the host")
	}
	if cp := m.copying; cp != nil {
		as[actStop] = as[actStop].Unless("a copy is running in it")
		// c again stops the copy: one copy at a time, and the key that
		// started it is the one to look for.
		as[actCopy] = ui.Action{Key: ui.Bind(keys.Copy, "cancel copy"), Risk: ops.Low, Audit: "volume.copy",
			Run: func() tea.Cmd {
				cp.cancel()
				return ui.Status(ui.LevelInfo, "cancelling the copy of "+cp.src+m.c.Glyphs.Ellipsis)
			}}
	}
	running, _ := m.users(p.UsedBy)
	as[actStop].Risk = ops.StopRisk(len(running))
	for _, i := range []int{actCopy, actDelete} {
		switch {
		case i == actCopy && m.copying != nil: // cancelling needs no selection
		case !haveVol:
			as[i] = as[i].Unless("no volume is selected")
		case m.focus != volumesPane:
			as[i] = as[i].Unless("tab to the volumes first")
		}
	}
	if haveVol {
		if len(v.UsedBy) > 0 {
			as[actDelete] = as[actDelete].Unless("it is a disk of " + ui.NameList(v.UsedBy, 6))
		}
		if over := m.overlayOf(v); over != "" {
			as[actDelete] = as[actDelete].Unless("volume " + ui.Safe(over) + " is built on it")
		}
	}
	return as.InPhase(m.c.Phase, phase.StorageChange).Granted(hv)
}

// overlayOf names a volume of the pool that has v as its backing file.
func (m *Model) overlayOf(v vm.Volume) string {
	for _, o := range m.allVols {
		if o.BackingPath != "" && o.BackingPath == v.Path {
			return o.Name
		}
	}
	return ""
}

// users splits VM names into running and stopped ones.
func (m *Model) users(vms []string) (running, stopped []string) { return m.states.Split(vms) }

// act runs the action msg presses, or the 'x' menu, after the
// confirmation its risk asks for.
func (m *Model) act(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	p, _ := m.SelectedPool()
	v, _ := m.SelectedVolume()
	if key.Matches(msg, keys.Actions) {
		return m.actions().Menu(m.c, "Pool "+ui.Safe(p.Name)), true
	}
	target := p.Name
	switch {
	case key.Matches(msg, keys.NewVolume):
		target = "in " + p.Name
	case key.Matches(msg, keys.Copy, keys.Delete):
		target = v.Name
	}
	return m.actions().Handle(msg, target)
}

// stopBody says what stopping pool p breaks.
func (m *Model) stopBody(p vm.Pool) string {
	running, stopped := m.users(p.UsedBy)
	name := ui.Safe(p.Name)
	if len(p.UsedBy) == 0 {
		return "No VM has a disk in " + name + ". Its volumes cannot be listed or created until it starts again."
	}
	var b strings.Builder
	if len(running) > 0 {
		fmt.Fprintf(&b, "%s with disks in %s keep running on the disks they have open: %s. ", ui.Count(len(running), "running VM"), name, ui.NameList(running, 6))
	}
	fmt.Fprintf(&b, "No VM with a disk in it can start until it starts again")
	if len(stopped) > 0 {
		fmt.Fprintf(&b, " (%s now: %s)", ui.Count(len(stopped), "shut-off VM"), ui.NameList(stopped, 6))
	}
	b.WriteString(", and its volumes cannot be listed, created or deleted.")
	return b.String()
}
