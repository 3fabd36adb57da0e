package hosts

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Open, Networks, Storage, Reload, Search key.Binding
}

var keys = keyMap{
	ListKeys: ui.DefaultListKeys,
	Open:     ui.Bind(ui.Verbs.Open, "its VMs"),
	Networks: key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "its networks")),
	Storage:  key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "its storage")),
	Reload:   ui.Verbs.Reload,
	Search:   ui.Verbs.Search,
}

func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Networks, k.Storage, k.Search, k.Reload}
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom}, {k.Open, k.Networks, k.Storage, k.Search, k.Reload}}
}
