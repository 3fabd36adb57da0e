package app

import (
	"charm.land/bubbles/v2/textinput"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/sahilm/fuzzy"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/ui"
)

// palette is the ':' command line: a command name with fuzzy completion,
// then optional arguments.
type palette struct {
	c       *ui.Common
	in      textinput.Model
	matches []int // indexes into commands
	cursor  int
}

func newPalette(c *ui.Common) *palette {
	in := c.NewInput(": ", "command (tab completes)")
	p := &palette{c: c, in: in}
	p.match()
	return p
}

func (p *palette) focus() tea.Cmd { return p.in.Focus() }

func (p *palette) match() {
	word, _, _ := strings.Cut(strings.TrimSpace(p.in.Value()), " ")
	p.matches = p.matches[:0]
	if word == "" {
		for i := range commands {
			p.matches = append(p.matches, i)
		}
	} else {
		names := make([]string, len(commands))
		for i, c := range commands {
			names[i] = c.name
		}
		for _, r := range fuzzy.Find(word, names) {
			p.matches = append(p.matches, r.Index)
		}
	}
	p.cursor = min(p.cursor, max(len(p.matches)-1, 0))
}

func (p *palette) Update(msg tea.Msg) (bool, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			return true, nil
		case "up", "ctrl+p":
			p.cursor = max(p.cursor-1, 0)
			return false, nil
		case "down", "ctrl+n":
			p.cursor = min(p.cursor+1, max(len(p.matches)-1, 0))
			return false, nil
		case "tab":
			if len(p.matches) > 0 {
				_, args, _ := strings.Cut(strings.TrimSpace(p.in.Value()), " ")
				p.in.SetValue(strings.TrimSpace(commands[p.matches[p.cursor]].name + " " + args))
				p.in.CursorEnd()
				p.match()
			}
			return false, nil
		case "enter":
			return true, p.run()
		}
	}
	var cmd tea.Cmd
	p.in, cmd = p.in.Update(msg)
	p.match()
	return false, cmd
}

// run executes the highlighted command with whatever followed its name.
func (p *palette) run() tea.Cmd {
	if len(p.matches) == 0 {
		return ui.Status(ui.LevelWarning, "no such command: "+p.in.Value())
	}
	_, args, _ := strings.Cut(strings.TrimSpace(p.in.Value()), " ")
	name := commands[p.matches[p.cursor]].name
	switch name {
	case "quit":
		return tea.Quit
	case "level":
		l, err := help.ParseLevel(args)
		if strings.TrimSpace(args) == "" {
			l, err = p.c.Level.Next(), nil
		}
		if err != nil {
			return ui.Status(ui.LevelWarning, err.Error())
		}
		return func() tea.Msg { return ui.SetLevelMsg{Level: l} }
	}
	return ui.Navigate(name, strings.TrimSpace(args))
}

func (p *palette) View() string {
	st := p.c.Styles
	width := min(64, max(30, p.c.Width-6))
	p.in.SetWidth(width - 4)
	lines := []string{st.Title.Render("Command"), p.in.View(), ""}
	for i, idx := range p.matches {
		if i >= 8 {
			break
		}
		c := commands[idx]
		line := lipgloss.NewStyle().Width(width).Render(" " + c.name + "  " + st.Muted.Render(c.desc))
		if i == p.cursor {
			line = st.Selected.Render(lipgloss.NewStyle().Width(width).Render(" " + c.name + "  " + c.desc))
		}
		lines = append(lines, line)
	}
	if len(p.matches) == 0 {
		lines = append(lines, st.Warning.Render("no command matches"))
	}
	lines = append(lines, "", st.Muted.Render("enter run · tab complete · esc close"))
	return st.Dialog.Render(strings.Join(lines, "\n"))
}
