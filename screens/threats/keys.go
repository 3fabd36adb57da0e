package threats

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Details, Ack, Resolve, Reopen, Playbook, Undo, Refresh, Filter, Order, Search key.Binding
}

var keys = keyMap{
	ListKeys: ui.DefaultListKeys,
	Details:  ui.Bind(ui.Verbs.Open, "details"),
	Ack:      key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "acknowledge")),
	Resolve:  key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "resolve")),
	Reopen:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reopen")),
	Playbook: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "run playbook")),
	Undo:     ui.Bind(ui.Verbs.Undo, "undo its action"),
	Refresh:  ui.Bind(ui.Verbs.Reload, "refresh"),
	Filter:   key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "minimum severity")),
	Order:    ui.Bind(ui.Verbs.Order, "order: most severe / newest first"),
	Search:   ui.Verbs.Search,
}

func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Details, k.Filter, k.Ack, k.Resolve, k.Playbook}
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Details, k.Search, k.Filter, k.Order, k.Refresh},
		{k.Ack, k.Resolve, k.Reopen, k.Playbook, k.Undo},
	}
}

// pickKeys choose a playbook.
var pickKeys = struct{ Up, Down, Choose, Cancel key.Binding }{
	Up:     key.NewBinding(key.WithKeys("up", "k")),
	Down:   key.NewBinding(key.WithKeys("down", "j")),
	Choose: key.NewBinding(key.WithKeys("enter")),
	Cancel: key.NewBinding(key.WithKeys("esc", "q")),
}
