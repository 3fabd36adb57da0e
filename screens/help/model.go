// Package help is the help browser: every topic of the built-in
// documentation, grouped and searchable, read at the operator's level with
// links to follow.
package help

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/ui"
)

// entry is one line of the index: a group's heading, or a topic.
type entry struct {
	group   string
	topic   *help.Topic
	snippet string // for search results: where the words are
}

// Model is the help browser.
type Model struct {
	c *ui.Common

	entries []entry
	cursor  int // index into entries, always on a topic
	offset  int

	search *ui.Search

	reading   *ui.TopicView // nil: the index is shown
	history   []string      // topics read before the current one
	showIndex bool          // the index was shown: esc returns to it
}

// New opens the browser on the topic called arg, or on the index searched
// for arg when no topic has that id.
func New(c *ui.Common, arg string) *Model {
	m := &Model{c: c, search: ui.NewSearch(c, "search", "words to find in titles and texts")}
	if t, ok := c.Help.Topics.Topic(arg); ok {
		m.reading = ui.NewTopicView(c, t)
	} else {
		m.showIndex = true
		m.search.Set(arg)
	}
	m.find()
	return m
}

func (m *Model) Title() string {
	if m.reading != nil {
		return "Help: " + m.reading.Topic().Title
	}
	return "Help"
}

func (m *Model) Keys() ui.KeyMap {
	switch {
	case m.search.Typing():
		return ui.SearchHelp
	case m.reading != nil:
		return readingKeys{keys}
	}
	return keys
}

func (m *Model) Help() string {
	return "Every topic of hv's documentation, written for three levels; L changes yours. " +
		"/ searches titles and texts, forgiving small typos. In a topic, links are numbered: " +
		"tab selects one, enter follows it, backspace comes back."
}

func (m *Model) Capturing() bool { return m.search.Typing() }

// Esc clears a search, then leaves a topic for the index it was opened
// from, before esc means back.
func (m *Model) Esc() bool {
	switch {
	case m.reading == nil && m.search.Clear():
		m.find()
		return true
	case m.reading != nil && m.showIndex:
		m.reading, m.history = nil, nil
		return true
	}
	return false
}

// Init reports the topic opened, for tutorials that ask to read one.
func (m *Model) Init() tea.Cmd {
	if m.reading != nil {
		return ui.Signal("topic", m.reading.Topic().ID)
	}
	return nil
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		if m.search.Typing() {
			return m.typed(msg)
		}
	}
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if m.search.Typing() {
		return m.typed(msg)
	}
	switch {
	case key.Matches(msg, keys.Search):
		m.reading, m.history, m.showIndex = nil, nil, true
		return m.search.Open()
	case key.Matches(msg, keys.Level):
		return func() tea.Msg { return ui.SetLevelMsg{Level: m.c.Level.Next()} }
	case key.Matches(msg, keys.Tutorials):
		return ui.Navigate("tutorials", "")
	}
	if m.reading != nil {
		return m.readKey(msg)
	}
	if c, ok := keys.Move(msg, m.cursor, len(m.entries), m.c.Height-3); ok {
		m.moveTo(c, c >= m.cursor)
		return nil
	}
	if key.Matches(msg, keys.Open) && m.cursor < len(m.entries) && m.entries[m.cursor].topic != nil {
		return m.open(m.entries[m.cursor].topic)
	}
	return nil
}

func (m *Model) readKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, keys.Back) {
		if n := len(m.history); n > 0 {
			t, _ := m.c.Help.Topics.Topic(m.history[n-1])
			m.history = m.history[:n-1]
			m.reading.SetTopic(t)
		} else if m.showIndex {
			m.reading = nil
		}
		return nil
	}
	follow, _ := m.reading.Update(msg, m.c.Height-1)
	if t, ok := m.c.Help.Topics.Topic(follow); ok {
		m.history = append(m.history, m.reading.Topic().ID)
		m.reading.SetTopic(t)
		return ui.Signal("topic", t.ID)
	}
	return nil
}

func (m *Model) open(t *help.Topic) tea.Cmd {
	m.reading = ui.NewTopicView(m.c, t)
	return ui.Signal("topic", t.ID)
}

// typed hands a key or paste to the open search field.
func (m *Model) typed(msg tea.Msg) tea.Cmd {
	cmd, res := m.search.Update(msg)
	switch res {
	case ui.SearchKept:
		if q := m.search.Query(); q != "" && m.cursor < len(m.entries) {
			return ui.Signal("search", q)
		}
	case ui.SearchMove:
		if c, ok := keys.Move(msg.(tea.KeyPressMsg), m.cursor, len(m.entries), 1); ok {
			m.moveTo(c, c >= m.cursor)
		}
	case ui.SearchTyped, ui.SearchCleared:
		m.find()
	}
	return cmd
}

// find fills the index: every topic by group, or the search's results.
func (m *Model) find() {
	m.entries = m.entries[:0]
	if q := m.search.Query(); q != "" {
		for _, r := range m.c.Help.Topics.Search(q) {
			m.entries = append(m.entries, entry{topic: r.Topic, snippet: r.Snippet})
		}
	} else {
		group := ""
		for _, t := range m.c.Help.Topics.All() {
			if t.Group != group {
				group = t.Group
				m.entries = append(m.entries, entry{group: group})
			}
			m.entries = append(m.entries, entry{topic: t})
		}
	}
	m.cursor, m.offset = 0, 0
	m.moveTo(0, true)
}

// moveTo puts the cursor on entry i, or the nearest topic in the direction
// of travel (headings are skipped), and keeps it in view.
func (m *Model) moveTo(i int, down bool) {
	step := 1
	if !down {
		step = -1
	}
	for i >= 0 && i < len(m.entries) && m.entries[i].topic == nil {
		i += step
	}
	if i < 0 || i >= len(m.entries) {
		return
	}
	m.cursor = i
	page := m.listHeight()
	if i < m.offset {
		m.offset = max(i-1, 0) // show the group's heading too
	}
	if i >= m.offset+page {
		m.offset = i - page + 1
	}
}
