package vms

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Details, Actions, Mark, MarkAll      key.Binding
	Filter, Order, Reverse, Refresh      key.Binding
	Start, Shutdown, Reboot, Pause, Save key.Binding
	ForceOff, Delete, Autostart          key.Binding
	Console, Snapshots, New, Clone       key.Binding
	Apply, Clear                         key.Binding // in the filter field
}

var keys = keyMap{
	ListKeys:  ui.DefaultListKeys,
	Details:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
	Actions:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "actions")),
	Mark:      key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark")),
	MarkAll:   key.NewBinding(key.WithKeys("*"), key.WithHelp("*", "mark all shown")),
	Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
	Order:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "order by next column")),
	Reverse:   key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "reverse order")),
	Refresh:   key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "reload")),
	Start:     key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "start (up)")),
	Shutdown:  key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "shut down")),
	Reboot:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "reboot")),
	Pause:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause/resume")),
	Save:      key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "save to disk")),
	ForceOff:  key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "force off")),
	Delete:    key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "delete")),
	Autostart: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "autostart on/off")),
	Console:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "serial console")),
	Snapshots: key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "snapshots")),
	New:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new VM")),
	Clone:     key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "clone")),
	Apply:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
	Clear:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
}

func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Details, k.Actions, k.Mark, k.Filter, k.Order}
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Filter, k.Order, k.Reverse, k.Refresh, k.Mark, k.MarkAll},
		{k.Details, k.Actions, k.New, k.Clone, k.Console, k.Snapshots, k.Autostart},
		{k.Start, k.Shutdown, k.Reboot, k.Pause, k.Save, k.ForceOff, k.Delete},
	}
}

// filterKeys is the footer while typing a filter.
type filterKeys struct{ keyMap }

func (k filterKeys) ShortHelp() []key.Binding { return []key.Binding{k.Apply, k.Clear} }
