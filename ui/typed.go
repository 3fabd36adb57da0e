package ui

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// TypedConfirm asks the operator to type a word (the object's name) before
// a critical action: a reflex "y" is not enough.
type TypedConfirm struct {
	c     *Common
	title string
	body  string
	word  string
	onYes tea.Cmd
	input textinput.Model
	wrong bool
}

var typedKeys = struct{ Confirm, Cancel key.Binding }{
	Confirm: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm")),
	Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
}

// NewTypedConfirm runs onYes once word is typed and enter pressed.
func NewTypedConfirm(c *Common, title, body, word string, onYes tea.Cmd) *TypedConfirm {
	in := c.NewInput("> ", word)
	in.Focus()
	return &TypedConfirm{c: c, title: title, body: body, word: word, onYes: onYes, input: in}
}

func (d *TypedConfirm) Update(msg tea.Msg) (bool, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, typedKeys.Cancel):
			return true, nil
		case key.Matches(k, typedKeys.Confirm):
			if d.input.Value() == d.word {
				return true, d.onYes
			}
			d.wrong = true
			return false, nil
		}
	}
	var cmd tea.Cmd
	d.input, cmd = d.input.Update(msg)
	d.wrong = false
	return false, cmd
}

func (d *TypedConfirm) View() string {
	s := d.c.Styles
	width := min(60, max(30, d.c.Width-4))
	para := lipgloss.NewStyle().Width(width)
	prompt := "Type " + s.Bold.Render(d.word) + " to confirm:"
	hint := s.Muted.Render("enter confirm " + d.c.Glyphs.Sep + " esc cancel")
	if d.wrong {
		hint = s.Danger.Render("that is not "+d.word) + s.Muted.Render(" "+d.c.Glyphs.Sep+" esc cancel")
	}
	return s.Dialog.Render(lipgloss.JoinVertical(lipgloss.Left,
		s.Danger.Render(d.title), "", para.Render(d.body), "", prompt, d.input.View(), hint))
}
