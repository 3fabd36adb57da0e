package vmdetail

import (
	"charm.land/bubbles/v2/key"
)

type keyMap struct {
	Actions, Console, Snapshots, Edit, Reload key.Binding
	Start, Shutdown, Reboot, Pause, Save      key.Binding
	ForceOff, Delete, Autostart               key.Binding
}

var keys = keyMap{
	Actions:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "actions")),
	Console:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "serial console")),
	Snapshots: key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "snapshots")),
	Edit:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit vCPUs and memory")),
	Reload:    key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "reload")),
	Start:     key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "start (up)")),
	Shutdown:  key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "shut down")),
	Reboot:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "reboot")),
	Pause:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause/resume")),
	Save:      key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "save to disk")),
	ForceOff:  key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "force off")),
	Delete:    key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "delete")),
	Autostart: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "autostart on/off")),
}

func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Actions, k.Console, k.Snapshots, k.Edit}
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Actions, k.Console, k.Snapshots, k.Edit, k.Reload},
		{k.Start, k.Shutdown, k.Reboot, k.Pause, k.Save, k.ForceOff, k.Delete, k.Autostart},
	}
}

// lifecycle are the keys of direct actions.
var lifecycle = []key.Binding{keys.Start, keys.Shutdown, keys.Reboot, keys.Pause, keys.Save, keys.ForceOff, keys.Delete, keys.Autostart}
