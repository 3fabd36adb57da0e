package storage

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Pane, Start, Stop, Autostart, NewVolume, Copy, Delete, Reload key.Binding
	actions                                                       ui.Actions // of the current selection
}

var keys = keyMap{
	ListKeys:  ui.DefaultListKeys,
	Pane:      key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "pools/volumes")),
	Start:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "start pool")),
	Stop:      key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "stop pool")),
	Autostart: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "autostart")),
	NewVolume: key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "create volume")),
	Copy:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy volume")),
	Delete:    key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "delete volume")),
	Reload:    key.NewBinding(key.WithKeys("r", "ctrl+r"), key.WithHelp("r", "reload")),
}

func (k keyMap) ShortHelp() []key.Binding {
	return append(k.actions.Short(), k.Pane, k.Reload)
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.Pane, k.Reload},
		k.actions.Full(),
	}
}
