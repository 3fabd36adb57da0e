package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/help"
)

// whyKey asks a dialog for the longer explanation of what it shows.
var whyKey = key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "why"))

func ansiStrip(s string) string { return ansi.Strip(s) }

// MenuItem is one entry of a Menu. An item with a Disabled reason is shown
// with the reason and cannot be chosen.
type MenuItem struct {
	Key      string // a key that chooses it directly, shown on the left
	Label    string
	Badge    string // e.g. a risk badge
	Disabled string
	Run      tea.Cmd
	// Do, when set, is called when the item is chosen (in Update) for the
	// command to run: an action that does its work when asked, such as
	// cancelling a copy, is then not done by merely opening the menu.
	Do func() tea.Cmd
	// Tip is one line on the item, shown under the menu to beginners and
	// intermediates; Why is the longer explanation '?' shows.
	Tip, Why string
}

// Menu is a list of choices in a dialog: move and press enter, or press an
// item's key.
type Menu struct {
	c       *Common
	title   string
	items   []MenuItem
	cursor  int
	showWhy bool // '?' pressed: explain the item under the cursor
	scroll  Scroller
}

// NewMenu opens on the first item that can be chosen.
func NewMenu(c *Common, title string, items []MenuItem) *Menu {
	m := &Menu{c: c, title: title, items: items}
	for i, it := range items {
		if it.Disabled == "" {
			m.cursor = i
			break
		}
	}
	return m
}

func (m *Menu) Update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	if c, moved := DefaultListKeys.Move(k, m.cursor, len(m.items), len(m.items)); moved {
		m.cursor = c
		return false, nil
	}
	switch {
	case key.Matches(k, confirmKeys.No) && k.String() != "n":
		return true, nil
	case key.Matches(k, whyKey):
		m.showWhy = !m.showWhy
		return false, nil
	case k.String() == "enter":
		return m.choose(m.cursor)
	}
	for i, it := range m.items {
		if it.Key != "" && it.Key == k.String() {
			return m.choose(i)
		}
	}
	return false, nil
}

func (m *Menu) choose(i int) (bool, tea.Cmd) {
	it := m.items[i]
	if it.Disabled != "" {
		m.cursor = i
		return false, nil // the reason is on screen; stay
	}
	if it.Do != nil {
		return true, it.Do()
	}
	return true, it.Run
}

func (m *Menu) View() string {
	st := m.c.Styles
	labelW, keyW := 0, 0
	for _, it := range m.items {
		labelW = max(labelW, lipgloss.Width(it.Label))
		keyW = max(keyW, lipgloss.Width(it.Key))
	}
	pad := func(s string, w int) string { return s + strings.Repeat(" ", w-lipgloss.Width(s)) }
	var lines []string
	for i, it := range m.items {
		keyCol, label, badge := " "+pad(it.Key, keyW)+" ", pad(it.Label, labelW), it.Badge
		if it.Disabled != "" {
			// Said in words too: without colour, dim text is not enough.
			badge = ansiStrip(badge) + " (unavailable)"
		}
		plain := keyCol + " " + label + "  " + ansiStrip(badge)
		switch {
		case i == m.cursor:
			lines = append(lines, st.Selected.Render(plain))
		case it.Disabled != "":
			lines = append(lines, st.Muted.Render(plain))
		default:
			lines = append(lines, st.Key.Render(keyCol)+" "+label+"  "+badge)
		}
	}
	width := min(max(lipgloss.Width(lines[0]), 44), m.c.Width-st.Dialog.GetHorizontalFrameSize())
	para := lipgloss.NewStyle().Width(width)
	it := m.items[m.cursor]
	var foot []string
	if it.Disabled != "" {
		foot = append(foot, "", para.Render(st.Warning.Render("Unavailable: ")+Safe(it.Disabled)))
	}
	switch {
	case m.showWhy && it.Why != "":
		foot = append(foot, "", para.Render(it.Why))
	case it.Tip != "" && m.c.Level != help.Expert:
		foot = append(foot, "", para.Render(st.Muted.Render(it.Tip)))
	}
	hint := "enter or the key runs it " + m.c.Glyphs.Sep + " esc closes"
	if it.Why != "" {
		hint += " " + m.c.Glyphs.Sep + " ? why"
	}
	foot = append(foot, "", st.Muted.Render(hint))
	// The items scroll with the cursor; what is said of the one under it
	// stays in view below them.
	m.scroll.Keep = &m.cursor
	return m.c.Box([]string{st.Title.Render(m.title), ""}, lines, foot, &m.scroll)
}

// Message shows a text until a key is pressed; a text taller than the
// screen scrolls first.
type Message struct {
	c           *Common
	title, body string
	scroll      Scroller
}

func NewMessage(c *Common, title, body string) *Message {
	return &Message{c: c, title: title, body: body}
}

func (m *Message) Update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	return ok && !m.scroll.Key(k), nil
}

func (m *Message) View() string {
	st := m.c.Styles
	width := min(72, m.c.Width-st.Dialog.GetHorizontalFrameSize())
	body := ansi.Wrap(m.body, width, "")
	return m.c.Box([]string{st.Title.Render(m.title), ""}, []string{body}, []string{"", st.Muted.Render("any key closes")}, &m.scroll)
}
