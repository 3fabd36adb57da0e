package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// SearchKeys are the keys of an open search field; every other key is
// text, j and k included. Only the arrows move in the list meanwhile.
var SearchKeys = struct{ Keep, Clear, Up, Down key.Binding }{
	Keep:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep search")),
	Clear: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear search")),
	Up:    key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "up")),
	Down:  key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "down")),
}

// Search is the '/' field of a list screen: what is typed narrows the
// list at once; enter keeps it, esc clears it. A query that does not parse
// (Parse) is shown with the reason and cannot be kept: a kept query that
// filters nothing would be a silent lie.
type Search struct {
	c     *Common
	in    textinput.Model
	label string // "search", or "filter" for a query language
	// Parse checks a query; nil accepts any text.
	Parse func(string) error
	// Err is why the query does not parse, or nil.
	Err    error
	typing bool
}

// NewSearch returns a closed search field called label ("search",
// "filter"); placeholder says what it finds.
func NewSearch(c *Common, label, placeholder string) *Search {
	return &Search{c: c, label: label, in: c.NewInput("/ ", placeholder)}
}

// Typing reports whether the field is open: the screen captures keys.
func (s *Search) Typing() bool { return s.typing }

// Query is the text of the search, trimmed.
func (s *Search) Query() string { return strings.TrimSpace(s.in.Value()) }

// Active reports whether the search is open or narrows the list.
func (s *Search) Active() bool { return s.typing || s.Query() != "" }

// Open starts typing.
func (s *Search) Open() tea.Cmd {
	s.typing = true
	return s.in.Focus()
}

// Set puts a query in the field, opening it when the query does not
// parse so that the reason shows.
func (s *Search) Set(q string) {
	s.in.SetValue(q)
	s.in.CursorEnd()
	s.check()
	if s.Err != nil {
		s.typing = true
		s.in.Focus()
	}
}

// Clear empties and closes the field; it reports whether there was
// anything to clear (esc means back otherwise).
func (s *Search) Clear() bool {
	had := s.Active()
	s.typing = false
	s.in.Blur()
	s.in.SetValue("")
	s.Err = nil
	return had
}

func (s *Search) check() {
	s.Err = nil
	if s.Parse != nil {
		s.Err = s.Parse(s.in.Value())
	}
}

// SearchResult says what a key did to an open search field.
type SearchResult int

const (
	SearchTyped   SearchResult = iota // the query changed: narrow the list again
	SearchKept                        // enter kept the query
	SearchCleared                     // esc cleared it
	SearchMove                        // an arrow: move in the list
	SearchRefused                     // enter on a query that does not parse
)

// Update handles a key or a paste while the field is open.
func (s *Search) Update(msg tea.Msg) (tea.Cmd, SearchResult) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, SearchKeys.Keep):
			if s.Err != nil {
				return Status(LevelWarning, "Fix the "+s.label+" first, or esc to clear it: "+Safe(s.Err.Error())), SearchRefused
			}
			s.typing = false
			s.in.Blur()
			return nil, SearchKept
		case key.Matches(k, SearchKeys.Clear):
			s.Clear()
			return nil, SearchCleared
		case key.Matches(k, SearchKeys.Up, SearchKeys.Down):
			return nil, SearchMove
		}
	}
	var cmd tea.Cmd
	s.in, cmd = s.in.Update(msg)
	s.check()
	return cmd, SearchTyped
}

// Handle gives msg, a key or a paste, to the field while it is open: a
// change of the query narrows the list (narrow), an arrow moves in it
// (move). ok is false when the field is closed: msg is the screen's.
func (s *Search) Handle(msg tea.Msg, narrow func() tea.Cmd, move func(tea.KeyPressMsg) tea.Cmd) (cmd tea.Cmd, ok bool) {
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		if !s.typing {
			return nil, false
		}
	default:
		return nil, false
	}
	cmd, res := s.Update(msg)
	switch res {
	case SearchMove:
		return tea.Batch(cmd, move(msg.(tea.KeyPressMsg))), true
	case SearchTyped, SearchCleared:
		return tea.Batch(cmd, narrow()), true
	}
	return cmd, true
}

// Match reports whether the query's words all occur in one of texts,
// ignoring case: the plain search of lists without a query language.
func (s *Search) Match(texts ...string) bool {
	all := strings.ToLower(strings.Join(texts, "\n"))
	for _, w := range strings.Fields(strings.ToLower(s.Query())) {
		if !strings.Contains(all, w) {
			return false
		}
	}
	return true
}

// View is the field while typing (with the reason a query does not
// parse), else the kept query and how to change it; "" when inactive.
func (s *Search) View(width int) string {
	st := s.c.Styles
	switch {
	case s.typing:
		why := ""
		if s.Err != nil {
			why = "  " + st.Danger.Render(Safe(s.Err.Error()))
		}
		// The reason stays in view: the field gives up room for it.
		s.in.SetWidth(max(width-4-lipgloss.Width(why), 12))
		return ansi.Truncate(s.in.View()+why, width, s.c.Glyphs.Ellipsis)
	case s.Query() != "":
		return ansi.Truncate(st.Muted.Render(s.label+": ")+st.Input.Render(Safe(s.Query()))+
			st.Muted.Render("  (/ edits, esc clears)"), width, s.c.Glyphs.Ellipsis)
	}
	return ""
}

// searchHelp is the footer of an open search field.
type searchHelp struct{}

func (searchHelp) ShortHelp() []key.Binding { return []key.Binding{SearchKeys.Keep, SearchKeys.Clear} }
func (searchHelp) FullHelp() [][]key.Binding {
	return [][]key.Binding{{SearchKeys.Keep, SearchKeys.Clear, SearchKeys.Up, SearchKeys.Down}}
}

// SearchHelp is the key map while a search field is open.
var SearchHelp KeyMap = searchHelp{}
