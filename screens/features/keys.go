package features

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Toggle, Details, NextCat, PrevCat, Phase, Presets, Apply, Undo, Reload, Search key.Binding
}

// keys: the shared list keys and vocabulary. Enter opens a feature's
// details; turning one on or off is space, never enter.
var keys = keyMap{
	ListKeys: ui.DefaultListKeys,
	Toggle:   key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "turn on/off")),
	Details:  key.NewBinding(key.WithKeys("enter", "i"), key.WithHelp("enter", "all details")),
	NextCat:  key.NewBinding(key.WithKeys("tab", "]"), key.WithHelp("tab", "next category")),
	PrevCat:  key.NewBinding(key.WithKeys("shift+tab", "["), key.WithHelp("shift+tab", "previous category")),
	Phase:    key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "switch phase")),
	Presets:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "presets")),
	Apply:    key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "stage & apply")),
	Undo:     ui.Bind(ui.Verbs.Undo, "undo unsaved"),
	Reload:   ui.Verbs.Reload,
	Search:   ui.Verbs.Search,
}

func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Toggle, k.Apply, k.Presets, k.Phase, k.Undo, k.Search}
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Search},
		{k.NextCat, k.PrevCat, k.Toggle, k.Details, k.Phase, k.Presets},
		{k.Apply, k.Undo, k.Reload},
	}
}
