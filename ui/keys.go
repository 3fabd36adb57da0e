package ui

import "charm.land/bubbles/v2/key"

// GlobalKeys work on every screen unless a dialog or a text field has them.
type GlobalKeys struct {
	Help, Palette, Back, Quit, ForceQuit key.Binding
}

// DefaultGlobalKeys are the app-wide bindings.
var DefaultGlobalKeys = GlobalKeys{
	Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
	Palette:   key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command")),
	Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
	ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit now")),
}

func (k GlobalKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Palette, k.Back, k.Quit}
}

func (k GlobalKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Help, k.Palette, k.Back, k.Quit, k.ForceQuit}}
}

// Cursor movement shared by lists.
type ListKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
}

// DefaultListKeys move a cursor with arrows, vi keys and paging keys.
var DefaultListKeys = ListKeys{
	Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
	Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
	PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
	PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "space"), key.WithHelp("pgdn", "page down")),
	Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
	Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),
}

// Move applies a list key to a cursor over n items with a page of size page;
// it reports false when the key is not a movement.
func (k ListKeys) Move(msg interface{ String() string }, cursor, n, page int) (int, bool) {
	switch {
	case key.Matches(msg, k.Up):
		cursor--
	case key.Matches(msg, k.Down):
		cursor++
	case key.Matches(msg, k.PageUp):
		cursor -= max(page, 1)
	case key.Matches(msg, k.PageDown):
		cursor += max(page, 1)
	case key.Matches(msg, k.Top):
		cursor = 0
	case key.Matches(msg, k.Bottom):
		cursor = n - 1
	default:
		return cursor, false
	}
	return max(0, min(cursor, n-1)), true
}
