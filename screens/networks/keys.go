package networks

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Start, Stop, Autostart, New, Undefine, Reload, Actions, Search, Host key.Binding
	actions                                                              ui.Actions // of the current selection
	spans                                                                bool       // hv spans several hosts
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
	Host:      ui.Verbs.Host,
}

func (k keyMap) ShortHelp() []key.Binding {
	short := append(k.actions.Short(), k.Actions, k.Search)
	if k.spans {
		short = append(short, k.Host)
	}
	return short
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.Search, k.Reload, k.Host},
		append(k.actions.Full(), k.Actions),
	}
}
