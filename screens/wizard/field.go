package wizard

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
)

// field is one answer on a step: typed text, or a choice among a few,
// all shown so that the options read without colour. It is checked as it
// changes: an error blocks the step, a warning does not.
type field struct {
	label   string
	hint    string
	choices []string          // a choice field when set
	names   map[string]string // how a choice is shown, when not as is
	input   textinput.Model
	// locked says why the value cannot be changed here; "" when it can.
	locked string
	// check returns what is wrong with a value (blocks the step) and what
	// is worth knowing (does not).
	check func(v string) (problem, warning string)
	// hidden hides the field (a setting of another network mode).
	hidden func() bool

	problem, warning string
}

func newText(c *ui.Common, label, value, hint string, check func(string) (string, string)) *field {
	in := c.NewInput("", "")
	in.SetValue(value)
	in.CursorEnd()
	f := &field{label: label, hint: hint, input: in, check: check}
	f.validate()
	return f
}

func newChoice(c *ui.Common, label, value string, choices []string, hint string) *field {
	f := &field{label: label, hint: hint, choices: choices, input: c.NewInput("", "")}
	if !slices.Contains(choices, value) && len(choices) > 0 {
		value = choices[0]
	}
	f.input.SetValue(value)
	return f
}

func (f *field) value() string { return strings.TrimSpace(f.input.Value()) }

func (f *field) isChoice() bool { return len(f.choices) > 0 }

func (f *field) visible() bool { return f.hidden == nil || !f.hidden() }

// typing reports whether keys go into the field as text.
func (f *field) typing() bool { return !f.isChoice() && f.locked == "" }

func (f *field) validate() {
	f.problem, f.warning = "", ""
	if f.check != nil {
		f.problem, f.warning = f.check(f.value())
	}
}

func (f *field) focus() {
	if f.typing() {
		f.input.Focus()
	}
}

func (f *field) blur() { f.input.Blur() }

// update handles a key for the field; it reports whether the value changed.
func (f *field) update(msg tea.Msg) (bool, tea.Cmd) {
	if f.locked != "" {
		return false, nil
	}
	before := f.input.Value()
	if f.isChoice() {
		k, ok := msg.(tea.KeyPressMsg)
		if !ok {
			return false, nil
		}
		i := max(slices.Index(f.choices, before), 0)
		switch k.String() {
		case "right", "l", "space":
			i = (i + 1) % len(f.choices)
		case "left", "h":
			i = (i + len(f.choices) - 1) % len(f.choices)
		default:
			return false, nil
		}
		f.input.SetValue(f.choices[i])
	} else {
		var cmd tea.Cmd
		f.input, cmd = f.input.Update(msg)
		if f.input.Value() == before {
			return false, cmd
		}
		f.validate()
		return true, cmd
	}
	f.validate()
	return f.input.Value() != before, nil
}

// view draws the field: the label, the value or the choices, and under it
// the problem, else the warning, else (when focused) the hint.
func (f *field) view(c *ui.Common, labelWidth, width int, focused bool) []string {
	st := c.Styles
	label := f.label + strings.Repeat(" ", max(0, labelWidth-len(f.label)))
	if focused {
		label = st.Key.Render(label)
	}
	var value string
	switch {
	case f.isChoice():
		var parts []string
		for _, ch := range f.choices {
			shown := ch
			if n, ok := f.names[ch]; ok {
				shown = n
			}
			switch {
			case ch != f.input.Value():
				parts = append(parts, st.Muted.Render(" "+shown+" "))
			case focused && f.locked == "":
				parts = append(parts, st.Selected.Render("["+shown+"]"))
			default:
				parts = append(parts, st.Bold.Render("["+shown+"]"))
			}
		}
		value = strings.Join(parts, " ")
	case f.locked != "" && f.input.Value() == "":
		value = st.Muted.Render("(none)")
	case f.locked != "":
		value = st.Bold.Render(ui.Safe(f.input.Value()))
	default:
		f.input.SetWidth(max(width-labelWidth-4, 10))
		value = f.input.View()
	}
	lines := []string{label + "  " + value}
	indent := strings.Repeat(" ", labelWidth+2)
	note := ""
	switch {
	case f.locked != "":
		note = st.Muted.Render(f.locked)
	case f.problem != "":
		note = st.Danger.Render(ui.Safe(f.problem))
	case f.warning != "":
		note = st.Warning.Render(ui.Safe(f.warning))
	case focused && f.hint != "":
		note = st.Muted.Render(f.hint)
	}
	if note != "" {
		lines = append(lines, indent+note)
	}
	return lines
}
