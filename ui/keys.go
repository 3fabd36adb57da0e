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

// Verbs is hv's key vocabulary: each verb has one key on every screen
// that offers it, so what works on the VM list works on Networks and
// Storage too. Screens take these bindings, described for what they do
// there (Bind), instead of picking keys of their own; a test checks that
// no screen binds a verb to another key, nor a key twice.
var Verbs = struct {
	Open, Start, Stop, Delete, New, Reload, Actions, Autostart, Search, Undo, Mark, Order, Reverse, Host key.Binding
}{
	Open:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
	Start:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "start")),
	Stop:      key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "stop")),
	Delete:    key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "delete")),
	New:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new")),
	Reload:    key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "reload")),
	Actions:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "actions")),
	Autostart: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "autostart on/off")),
	Search:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
	Undo:      key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo")),
	Mark:      key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark")),
	Order:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "order by next column")),
	Reverse:   key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "reverse order")),
	Host:      key.NewBinding(key.WithKeys("H"), key.WithHelp("H", "switch host")),
}

// VerbWords are the words a binding's description starts with when it
// does a verb of the vocabulary: the key-conflict test holds every such
// binding to the verb's key.
var VerbWords = map[string][]string{
	"Start":     {"start"},
	"Stop":      {"stop", "shut down"},
	"Delete":    {"delete", "undefine"},
	"New":       {"new", "create", "define", "take"},
	"Reload":    {"reload", "refresh", "check again"},
	"Actions":   {"actions", "all actions"},
	"Autostart": {"autostart"},
	"Search":    {"search", "filter"},
	"Undo":      {"undo"},
	"Order":     {"order", "sort"},
	"Host":      {"switch host"},
}

// Bind is verb's binding described for what it does on a screen ("start
// pool"); its key is the vocabulary's.
func Bind(verb key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(verb.Keys()...), key.WithHelp(verb.Help().Key, desc))
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
	PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
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
