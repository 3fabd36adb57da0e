package features

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Toggle, Details, NextCat, PrevCat, Phase, Presets, Apply, Undo, Reload key.Binding
}

// keys: the shared list keys, except that space toggles here instead of
// paging, as it marks items in most list UIs.
var keys = func() keyMap {
	list := ui.DefaultListKeys
	list.PageDown = key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down"))
	return keyMap{
		ListKeys: list,
		Toggle:   key.NewBinding(key.WithKeys("space", "enter", "x"), key.WithHelp("space", "turn on/off")),
		Details:  key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "all details")),
		NextCat:  key.NewBinding(key.WithKeys("tab", "]"), key.WithHelp("tab", "next category")),
		PrevCat:  key.NewBinding(key.WithKeys("shift+tab", "["), key.WithHelp("shift+tab", "previous category")),
		Phase:    key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "switch phase")),
		Presets:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "presets")),
		Apply:    key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "stage & apply")),
		Undo:     key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo unsaved")),
		Reload:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload")),
	}
}()

func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Toggle, k.Apply, k.Presets, k.Phase, k.Undo}
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.NextCat, k.PrevCat, k.Toggle, k.Details, k.Phase, k.Presets},
		{k.Apply, k.Undo, k.Reload},
	}
}
