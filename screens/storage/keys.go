package storage

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Pane, Start, Stop, Autostart, NewVolume, Copy, Delete, Reload, Actions, Search, Host key.Binding
	actions                                                                              ui.Actions // of the current selection
	spans                                                                                bool       // hv spans several hosts
}

var keys = keyMap{
	ListKeys:  ui.DefaultListKeys,
	Pane:      key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "pools/volumes")),
	Start:     ui.Bind(ui.Verbs.Start, "start pool"),
	Stop:      ui.Bind(ui.Verbs.Stop, "stop pool"),
	Autostart: ui.Verbs.Autostart,
	NewVolume: ui.Bind(ui.Verbs.New, "create volume"),
	Copy:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy volume")),
	Delete:    ui.Bind(ui.Verbs.Delete, "delete volume"),
	Reload:    ui.Verbs.Reload,
	Actions:   ui.Verbs.Actions,
	Search:    ui.Bind(ui.Verbs.Search, "search volumes"),
	Host:      ui.Verbs.Host,
}

func (k keyMap) ShortHelp() []key.Binding {
	short := append(k.actions.Short(), k.Pane, k.Actions, k.Search)
	if k.spans {
		short = append(short, k.Host)
	}
	return short
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.Pane, k.Search, k.Reload, k.Host},
		append(k.actions.Full(), k.Actions),
	}
}
