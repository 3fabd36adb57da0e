package ui

import (
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// TypeToConfirm guards a critical action: it runs only after the operator
// types the object's name, so a stray enter never deletes data.
type TypeToConfirm struct {
	c     *Common
	title string
	body  string
	name  string
	in    textinput.Model
	onYes tea.Cmd
	wrong bool
}

// NewTypeToConfirm asks to type name before running onYes.
func NewTypeToConfirm(c *Common, title, body, name string, onYes tea.Cmd) *TypeToConfirm {
	in := c.NewInput("> ", "")
	in.Focus()
	return &TypeToConfirm{c: c, title: title, body: body, name: name, in: in, onYes: onYes}
}

func (d *TypeToConfirm) Update(msg tea.Msg) (bool, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			return true, nil
		case "enter":
			// Names with control characters cannot be typed: their shown
			// (escaped) form counts too.
			if v := d.in.Value(); v == d.name || v == Safe(d.name) {
				return true, d.onYes
			}
			d.wrong = true
			return false, nil
		}
	}
	var cmd tea.Cmd
	d.in, cmd = d.in.Update(msg)
	d.wrong = false
	return false, cmd
}

func (d *TypeToConfirm) View() string {
	s := d.c.Styles
	width := min(60, max(30, d.c.Width-4))
	d.in.SetWidth(width - 3)
	para := lipgloss.NewStyle().Width(width)
	lines := []string{
		s.Danger.Render(d.title), "",
		para.Render(d.body), "",
		para.Render("Type " + s.Bold.Render(Safe(d.name)) + " to confirm:"),
		d.in.View(),
	}
	if d.wrong {
		lines = append(lines, s.Warning.Render("That is not the name; type it exactly, or esc to cancel."))
	}
	lines = append(lines, "", s.Muted.Render("enter confirm "+d.c.Glyphs.Sep+" esc cancel"))
	return s.Dialog.Render(lipgloss.JoinVertical(lipgloss.Left, lines...))
}
