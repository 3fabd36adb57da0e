package networks

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Start, Stop, Autostart, New, Undefine, Reload, Actions, Search key.Binding
	actions                                                        ui.Actions // of the current selection
}

var keys = keyMap{
	ListKeys:  ui.DefaultListKeys,
	Start:     ui.Verbs.Start,
	Stop:      ui.Verbs.Stop,
	Autostart: ui.Verbs.Autostart,
	New:       ui.Bind(ui.Verbs.New, "define a network"),
	Undefine:  ui.Bind(ui.Verbs.Delete, "undefine"),
	Reload:    ui.Verbs.Reload,
	Actions:   ui.Verbs.Actions,
	Search:    ui.Verbs.Search,
}

func (k keyMap) ShortHelp() []key.Binding {
	return append(k.actions.Short(), k.Actions, k.Search)
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.Search, k.Reload},
		append(k.actions.Full(), k.Actions),
	}
}
