// Package tutorials lists the tutorials with the operator's progress, and
// starts, resumes, stops or restarts them. The root app shows the current
// step on every screen and advances it as things really happen.
package tutorials

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	ui.ListKeys
	Start, Stop, Restart key.Binding
}

var keys = keyMap{
	ListKeys: ui.DefaultListKeys,
	Start:    key.NewBinding(key.WithKeys("s", "enter"), key.WithHelp("s/enter", "start or resume")),
	Stop:     ui.Bind(ui.Verbs.Stop, "stop following"),
	Restart:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "restart from the first step")),
}

func (k keyMap) ShortHelp() []key.Binding { return []key.Binding{k.Start, k.Stop, k.Restart} }
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom}, {k.Start, k.Stop, k.Restart}}
}

// Model is the tutorials screen.
type Model struct {
	c      *ui.Common
	cursor int
}

// New opens the list on the tutorial called arg, if any.
func New(c *ui.Common, arg string) *Model {
	m := &Model{c: c}
	for i, t := range c.Tutorials.Tutorials() {
		if t.ID == arg {
			m.cursor = i
		}
	}
	return m
}

func (m *Model) Title() string   { return "Tutorials" }
func (m *Model) Keys() ui.KeyMap { return keys }
func (m *Model) Init() tea.Cmd   { return nil }

func (m *Model) Help() string {
	return "Lessons done on this host. Start one with enter: its current step then shows above the " +
		"footer on every screen, and moves on when you really do it. Progress is kept when you quit."
}

func (m *Model) selected() *help.Tutorial { return m.c.Tutorials.Tutorials()[m.cursor] }

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	all := m.c.Tutorials.Tutorials()
	if c, moved := keys.Move(k, m.cursor, len(all), len(all)); moved {
		m.cursor = c
		return nil
	}
	t := m.selected()
	do := func(a ui.TutorialAction) tea.Cmd {
		return func() tea.Msg { return ui.TutorialMsg{Do: a, ID: t.ID} }
	}
	switch {
	case key.Matches(k, keys.Start, keys.Restart):
		if key.Matches(k, keys.Restart) {
			return tea.Batch(do(ui.TutorialRestart), ui.Status(ui.LevelInfo, "Started over: "+t.Title))
		}
		return tea.Batch(do(ui.TutorialStart), ui.Status(ui.LevelInfo, "Following "+t.Title+": its step shows at the bottom"))
	case key.Matches(k, keys.Stop):
		if cur, _, _, ok := m.c.Tutorials.Current(); ok {
			return tea.Batch(do(ui.TutorialStop), ui.Status(ui.LevelInfo, "Stopped following "+cur.Title+"; progress kept"))
		}
	}
	return nil
}

// state says where the operator is with t.
func (m *Model) state(t *help.Tutorial) string {
	done, total, finished := m.c.Tutorials.Status(t)
	cur, _, _, _ := m.c.Tutorials.Current()
	switch {
	case finished:
		return "done"
	case cur == t:
		return fmt.Sprintf("following, %d/%d", done, total)
	case done > 0:
		return fmt.Sprintf("%d/%d done", done, total)
	}
	return "not started"
}

func (m *Model) View() string {
	st := m.c.Styles
	w := m.c.Width
	all := m.c.Tutorials.Tutorials()
	titleW, stateW := 0, 0
	for _, t := range all {
		titleW = max(titleW, lipgloss.Width(t.Title))
		stateW = max(stateW, lipgloss.Width(m.state(t)))
	}
	pad := func(s string, n int) string { return s + strings.Repeat(" ", max(0, n-lipgloss.Width(s))) }
	lines := []string{st.Title.Render("Tutorials") + "  " + st.Muted.Render("lessons on this host that advance as you really do them"), ""}
	for i, t := range all {
		line := " " + pad(t.Title, titleW) + "  " + pad(m.state(t), stateW)
		if i == m.cursor {
			lines = append(lines, st.Selected.Render(ansi.Truncate(m.c.Glyphs.Cursor+line+" ", w, m.c.Glyphs.Ellipsis)))
		} else {
			lines = append(lines, ansi.Truncate("  "+pad(t.Title, titleW)+"  "+st.Muted.Render(m.state(t)), w, m.c.Glyphs.Ellipsis))
		}
	}
	return strings.Join(append(lines, m.detail()...), "\n")
}

// detail describes the selected tutorial: its summary and steps, the
// current one marked, and for the current one what to do.
func (m *Model) detail() []string {
	st := m.c.Styles
	t := m.selected()
	para := lipgloss.NewStyle().Width(min(m.c.Width, 80))
	lines := []string{"", para.Render(t.Summary), ""}
	cur, step, _, _ := m.c.Tutorials.Current()
	for i, s := range t.Steps {
		mark := "[ ]"
		switch {
		case m.c.Tutorials.StepDone(t, s):
			mark = "[x]"
		case cur == t && s == step:
			mark = "[" + m.c.Glyphs.Arrow + "]"
		}
		line := fmt.Sprintf(" %s %d. %s", mark, i+1, s.Title)
		if cur == t && s == step {
			line = st.Bold.Render(line)
		}
		lines = append(lines, ansi.Truncate(line, m.c.Width, m.c.Glyphs.Ellipsis))
	}
	if cur == t && step != nil && m.c.Level != help.Expert {
		room := m.c.Height - len(lines) - len(m.c.Tutorials.Tutorials()) - 3
		if text := strings.Split(m.c.Markdown(step.Text, min(m.c.Width, 80)), "\n"); room > 2 {
			lines = append(lines, "")
			lines = append(lines, text[:min(len(text), room)]...)
		}
	}
	return lines
}
