package networks

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Start, Stop, Autostart, New, Undefine, Reload key.Binding
	actions                                       ui.Actions // of the current selection
}

var keys = keyMap{
	ListKeys:  ui.DefaultListKeys,
	Start:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "start")),
	Stop:      key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "stop")),
	Autostart: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "autostart")),
	New:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "define a network")),
	Undefine:  key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "undefine")),
	Reload:    key.NewBinding(key.WithKeys("r", "ctrl+r"), key.WithHelp("r", "reload")),
}

func (k keyMap) ShortHelp() []key.Binding {
	return append(k.actions.Short(), k.Reload)
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.Reload},
		k.actions.Full(),
	}
}
