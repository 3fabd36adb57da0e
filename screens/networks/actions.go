package networks

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

// actions are what can be done to the selected network now, each with the
// reason when it cannot, and what it does.
func (m *Model) actions() ui.Actions {
	ro := m.c.ReadOnlyWhy()
	n, ok := m.Selected()
	autostart := "autostart on"
	if ok && n.Autostart {
		autostart = "autostart off"
	}
	name := n.Name
	hv, unreached := m.host.HV()
	job := func(busy, done string, fn func(context.Context) error) tea.Cmd {
		return m.c.Job(m.id, busy, done, "", fn)
	}
	as := ui.Actions{
		actStart: {Key: keys.Start, Risk: ops.Low, Audit: "net.start", Run: func() tea.Cmd {
			return job("starting "+name, "started network "+name, func(ctx context.Context) error { return hv.StartNetwork(ctx, name) })
		}},
		actStop: {Key: keys.Stop, Risk: ops.Medium, Audit: "net.stop"},
		actAutostart: {Key: ui.Bind(keys.Autostart, autostart), Risk: ops.Low, Audit: "net.autostart", Run: func() tea.Cmd {
			on := !n.Autostart
			done := map[bool]string{true: "network " + name + " now starts with the host", false: "network " + name + " no longer starts with the host"}[on]
			return job("setting autostart of "+name, done, func(ctx context.Context) error { return hv.SetNetworkAutostart(ctx, name, on) })
		}},
		actNew:      {Key: keys.New, Risk: ops.Low, Audit: "net.define", Run: m.defineForm},
		actUndefine: {Key: keys.Undefine, Risk: ops.High, Audit: "net.undefine"},
	}
	as[actStop].Run = func() tea.Cmd {
		run := func(c vm.Confirmation) tea.Cmd {
			return job("stopping "+name, "stopped network "+name, ui.Answered(c, func(ctx context.Context) error { return hv.StopNetwork(ctx, name) }))
		}
		return m.c.Confirm(as[actStop], "Stop network "+ui.Safe(name)+"?", m.stopBody(n), name, run)
	}
	as[actUndefine].Run = func() tea.Cmd {
		run := func(c vm.Confirmation) tea.Cmd {
			return job("undefining "+name, "undefined network "+name, ui.Answered(c, func(ctx context.Context) error { return hv.UndefineNetwork(ctx, name) }))
		}
		return m.c.Confirm(as[actUndefine], "Undefine network "+ui.Safe(name)+"?", m.undefineBody(n), name, run)
	}
	for i := range as {
		if unreached != nil {
			as[i] = as[i].Unless(ui.Reason(unreached))
		}
		as[i] = as[i].Unless(ro)
		if m.busy != "" {
			as[i] = as[i].Unless("busy " + m.busy)
		}
	}
	if !ok {
		for _, i := range []int{actStart, actStop, actAutostart, actUndefine} {
			as[i] = as[i].Unless("no network is selected")
		}
		return as.InPhase(m.c.Phase, phase.NetworkChange).Granted(hv) // hv nil: unreachable, and as say why
	}
	if n.Active {
		as[actStart] = as[actStart].Unless("it is active")
		as[actUndefine] = as[actUndefine].Unless("stop it first")
	} else {
		as[actStop] = as[actStop].Unless("it is inactive")
	}
	if !n.Persistent {
		as[actAutostart] = as[actAutostart].Unless("it is transient: only defined networks start with the host")
		as[actUndefine] = as[actUndefine].Unless("it is transient: stopping it removes it")
	}
	running, _ := m.users(n)
	as[actStop].Risk = ops.StopRisk(len(running))
	return as.InPhase(m.c.Phase, phase.NetworkChange).Granted(hv)
}

// Indexes into actions().
const (
	actStart = iota
	actStop
	actAutostart
	actNew
	actUndefine
)

// users splits the VMs on network n into running and stopped ones.
func (m *Model) users(n vm.Network) (running, stopped []string) { return m.states.Split(n.UsedBy) }

// act runs the action msg presses, or its 'x' menu, after the
// confirmation its risk asks for.
func (m *Model) act(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	n, _ := m.Selected()
	if key.Matches(msg, keys.Actions) {
		return m.actions().Menu(m.c, "Network "+ui.Safe(n.Name)), true
	}
	target := n.Name
	if key.Matches(msg, keys.New) {
		target = ""
	}
	return m.actions().Handle(msg, target)
}

// stopBody says what stopping n breaks.
func (m *Model) stopBody(n vm.Network) string {
	running, stopped := m.users(n)
	name := ui.Safe(n.Name)
	if len(running)+len(stopped) == 0 {
		return "No VM has an interface on " + name + ". It stops routing and serving addresses until it is started again."
	}
	var b strings.Builder
	if len(running) > 0 {
		fmt.Fprintf(&b, "%s lose their link at once: %s. They keep running without network, and do not get it back when %s starts again: restart them then.",
			ui.Count(len(running), "running VM"), ui.NameList(running, 6), name)
	}
	if len(stopped) > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s cannot start while it is stopped: %s.", ui.Count(len(stopped), "shut-off VM"), ui.NameList(stopped, 6))
	}
	return b.String()
}

func (m *Model) undefineBody(n vm.Network) string {
	body := "The definition of " + ui.Safe(n.Name) + " is removed; nothing on disk changes."
	if len(n.UsedBy) > 0 {
		body += " " + ui.Count(len(n.UsedBy), "VM") + " with an interface on it will not start until a network of that name exists again: " + ui.NameList(n.UsedBy, 6) + "."
	}
	return body
}
