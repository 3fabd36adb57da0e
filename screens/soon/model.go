// Package soon is the honest page of a section that is not built yet: what
// it will do, where the work is tracked, and what to use meanwhile.
package soon

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/ui"
)

// Section describes a section that does not exist yet.
type Section struct {
	Title     string
	WillDo    string // what the section will do, one paragraph
	Meanwhile string // what works today instead
}

// Sections by registry id.
var Sections = map[string]Section{}

type keyMap struct{ Back key.Binding }

func (k keyMap) ShortHelp() []key.Binding  { return []key.Binding{k.Back} }
func (k keyMap) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Back}} }

var keys = keyMap{Back: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))}

// Model shows one Section.
type Model struct {
	c *ui.Common
	s Section
}

func New(c *ui.Common, s Section) *Model { return &Model{c: c, s: s} }

func (m *Model) Title() string              { return m.s.Title }
func (m *Model) Keys() ui.KeyMap            { return keys }
func (m *Model) Init() tea.Cmd              { return nil }
func (m *Model) Update(msg tea.Msg) tea.Cmd { return nil }

func (m *Model) View() string {
	st := m.c.Styles
	para := lipgloss.NewStyle().Width(min(m.c.Width, 76))
	return strings.Join([]string{
		st.Title.Render(m.s.Title) + "  " + st.Warning.Render("not built yet"),
		"",
		para.Render("This section is planned and not part of hv yet. When built, it will:"),
		para.Render(st.Bold.Render(m.s.WillDo)),
		"",
		para.Render("Meanwhile: " + m.s.Meanwhile),
	}, "\n")
}
