package help

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Open, Search, Level, Tutorials, Back key.Binding
}

var keys = keyMap{
	ListKeys:  ui.DefaultListKeys,
	Open:      ui.Bind(ui.Verbs.Open, "read"),
	Search:    ui.Verbs.Search,
	Level:     key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "change level")),
	Tutorials: key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tutorials")),
	Back:      key.NewBinding(key.WithKeys("backspace"), key.WithHelp("backspace", "previous topic")),
}

func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Search, k.Level, k.Tutorials}
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Open, k.Search, k.Level, k.Tutorials}}
}

// readingKeys are the keys while a topic is shown.
type readingKeys struct{ keyMap }

func (k readingKeys) ShortHelp() []key.Binding {
	t := ui.DefaultTopicKeys
	return []key.Binding{t.NextLink, t.Follow, k.Back, k.Level, k.Search}
}

func (k readingKeys) FullHelp() [][]key.Binding {
	t := ui.DefaultTopicKeys
	return [][]key.Binding{
		{t.Up, t.Down, t.PageUp, t.PageDown, t.Top, t.Bottom},
		{t.NextLink, t.PrevLink, t.Follow, t.Jump, k.Back},
		{k.Search, k.Level, k.Tutorials},
	}
}
