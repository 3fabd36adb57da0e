package vmaction

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// Keys are the keys of what can be done to a VM, declared once for every
// screen that shows one (the VM list, a VM's details): the lifecycle
// actions, from the vocabulary where it has the verb, and the screens a
// VM opens.
var Keys = struct {
	Start, Shutdown, Reboot, Pause, Save, ForceOff, Delete, Autostart key.Binding
	Actions, Console, Snapshots, Clone                                key.Binding
}{
	Start:     ui.Bind(ui.Verbs.Start, "start"),
	Shutdown:  ui.Bind(ui.Verbs.Stop, "shut down"),
	Reboot:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "reboot")),
	Pause:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause/resume")),
	Save:      key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "save to disk")),
	ForceOff:  key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "force off")),
	Delete:    ui.Bind(ui.Verbs.Delete, "delete"),
	Autostart: ui.Verbs.Autostart,
	Actions:   ui.Verbs.Actions,
	Console:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "serial console")),
	Snapshots: key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "snapshots")),
	Clone:     key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "clone")),
}

// Lifecycle are the bindings of the lifecycle actions, for help.
func Lifecycle() []key.Binding {
	k := Keys
	return []key.Binding{k.Start, k.Shutdown, k.Reboot, k.Pause, k.Save, k.ForceOff, k.Delete, k.Autostart}
}

// binding is the key of a lifecycle action; p is pause and resume, a
// autostart on and off. Deleting with the disks has no key: it is asked
// for in the menu, on purpose.
func binding(a *ops.Action) (key.Binding, bool) {
	switch a {
	case ops.Start:
		return Keys.Start, true
	case ops.Shutdown:
		return Keys.Shutdown, true
	case ops.Reboot:
		return Keys.Reboot, true
	case ops.Pause, ops.Resume:
		return Keys.Pause, true
	case ops.Save:
		return Keys.Save, true
	case ops.ForceOff:
		return Keys.ForceOff, true
	case ops.Delete:
		return Keys.Delete, true
	case ops.AutostartOn, ops.AutostartOff:
		return Keys.Autostart, true
	}
	return key.Binding{}, false
}

// KeyOf is the key of a, as shown in menus and hints, or "".
func KeyOf(a *ops.Action) string {
	if b, ok := binding(a); ok {
		return b.Help().Key
	}
	return ""
}

// ForKey returns the action msg stands for on v, if any: p resumes a
// paused VM and pauses another, a flips autostart.
func ForKey(msg tea.KeyPressMsg, v vm.VM) (*ops.Action, bool) {
	switch {
	case key.Matches(msg, Keys.Pause):
		if v.State == vm.StatePaused {
			return ops.Resume, true
		}
		return ops.Pause, true
	case key.Matches(msg, Keys.Autostart):
		return ops.Autostart(v), true
	}
	for _, a := range ops.Lifecycle {
		if b, ok := binding(a); ok && key.Matches(msg, b) {
			return a, true
		}
	}
	return nil, false
}
