package ui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// Field is one text field of a Form.
type Field struct {
	Label    string
	Value    string
	Hint     string             // shown under the field, muted
	Validate func(string) error // nil accepts anything
}

// Form is a dialog of text fields. Each field is checked as it is typed and
// the reason shown beside it; enter submits when every field is valid, so a
// bad value is never sent, and nothing typed is lost on an error.
type Form struct {
	c      *Common
	title  string
	fields []Field
	inputs []textinput.Model
	errs   []error
	focus  int
	submit func(values []string) tea.Cmd
}

// NewForm builds a form; submit receives the values in field order.
func NewForm(c *Common, title string, fields []Field, submit func(values []string) tea.Cmd) *Form {
	f := &Form{c: c, title: title, fields: fields, submit: submit,
		inputs: make([]textinput.Model, len(fields)), errs: make([]error, len(fields))}
	for i, fd := range fields {
		in := c.NewInput("", "")
		in.SetValue(fd.Value)
		in.CursorEnd()
		f.inputs[i] = in
		f.check(i)
	}
	f.inputs[0].Focus()
	return f
}

func (f *Form) check(i int) {
	if v := f.fields[i].Validate; v != nil {
		f.errs[i] = v(f.inputs[i].Value())
	}
}

func (f *Form) move(d int) {
	f.inputs[f.focus].Blur()
	f.focus = (f.focus + d + len(f.inputs)) % len(f.inputs)
	f.inputs[f.focus].Focus()
}

func (f *Form) Update(msg tea.Msg) (bool, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			return true, nil
		case "tab", "down":
			f.move(1)
			return false, nil
		case "shift+tab", "up":
			f.move(-1)
			return false, nil
		case "enter":
			for i := range f.inputs {
				f.check(i)
				if f.errs[i] != nil {
					f.inputs[f.focus].Blur()
					f.focus = i
					f.inputs[i].Focus()
					return false, nil
				}
			}
			values := make([]string, len(f.inputs))
			for i, in := range f.inputs {
				values[i] = strings.TrimSpace(in.Value())
			}
			return true, f.submit(values)
		}
	}
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	f.check(f.focus)
	return false, cmd
}

func (f *Form) View() string {
	st := f.c.Styles
	width := min(64, max(30, f.c.Width-6))
	labelW := 0
	for _, fd := range f.fields {
		labelW = max(labelW, lipgloss.Width(fd.Label))
	}
	lines := []string{st.Title.Render(f.title), ""}
	for i, fd := range f.fields {
		f.inputs[i].SetWidth(width - labelW - 3)
		label := fd.Label + strings.Repeat(" ", labelW-lipgloss.Width(fd.Label))
		if i == f.focus {
			label = st.Key.Render(label)
		}
		lines = append(lines, label+"  "+f.inputs[i].View())
		indent := strings.Repeat(" ", labelW+2)
		switch {
		case f.errs[i] != nil:
			lines = append(lines, indent+st.Danger.Render(Safe(f.errs[i].Error())))
		case fd.Hint != "":
			lines = append(lines, indent+st.Muted.Render(fd.Hint))
		}
	}
	lines = append(lines, "", st.Muted.Render("tab next field "+f.c.Glyphs.Sep+" enter apply "+f.c.Glyphs.Sep+" esc cancel"))
	return st.Dialog.Render(lipgloss.NewStyle().MaxWidth(width + 4).Render(strings.Join(lines, "\n")))
}
