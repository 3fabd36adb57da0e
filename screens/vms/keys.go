package vms

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Filter, Sort, Reverse, Refresh key.Binding
	// While the filter field has focus.
	Apply, Clear key.Binding
}

var keys = keyMap{
	ListKeys: ui.DefaultListKeys,
	Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
	Sort:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort by next column")),
	Reverse:  key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse sort")),
	Refresh:  key.NewBinding(key.WithKeys("r", "ctrl+r"), key.WithHelp("r", "reload")),
	Apply:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
	Clear:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
}

func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Filter, k.Sort, k.Reverse, k.Refresh}
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Filter, k.Apply, k.Clear, k.Sort, k.Reverse, k.Refresh},
	}
}

// filterKeys is the footer while typing a filter.
type filterKeys struct{ keyMap }

func (k filterKeys) ShortHelp() []key.Binding { return []key.Binding{k.Apply, k.Clear} }
