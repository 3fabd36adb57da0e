package vms

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/vmaction"
)

type keyMap struct {
	ui.ListKeys
	Details, Mark, MarkAll, Filter, Order, Reverse, Reload, New, MoveTo key.Binding
}

// keys: the vocabulary's, and the VM keys every screen showing a VM shares
// (vmaction.Keys).
var keys = keyMap{
	ListKeys: ui.DefaultListKeys,
	Details:  ui.Bind(ui.Verbs.Open, "details"),
	Mark:     ui.Verbs.Mark,
	MarkAll:  key.NewBinding(key.WithKeys("*"), key.WithHelp("*", "mark all shown")),
	Filter:   ui.Bind(ui.Verbs.Search, "filter"),
	Order:    ui.Verbs.Order,
	Reverse:  ui.Verbs.Reverse,
	Reload:   ui.Verbs.Reload,
	New:      ui.Bind(ui.Verbs.New, "new VM"),
	MoveTo:   vmaction.MoveKey,
}

func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Details, vmaction.Keys.Actions, k.Mark, k.Filter, k.Order}
}

func (k keyMap) FullHelp() [][]key.Binding {
	v := vmaction.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Filter, k.Order, k.Reverse, k.Reload, k.Mark, k.MarkAll},
		{k.Details, v.Actions, k.New, v.Clone, v.Console, v.Snapshots, k.MoveTo},
		vmaction.Lifecycle(),
	}
}
