package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/vm"
)

// Field is one line of a Form: free text, or a choice among Choices.
type Field struct {
	Label    string
	Value    string
	Hint     string             // shown under the field, muted (on long forms, when it has focus)
	Validate func(string) error // nil accepts anything
	// Choices, when set, make the field a pick among them (left/right),
	// all shown, so the options are visible without colour.
	Choices []string
}

// Form is a dialog of fields. Each field is checked as it is typed and the
// reason shown beside it; a form-level Check (for rules that span fields)
// is shown under the fields once enter was pressed, and kept current. Enter
// submits when everything is valid, so a bad value is never sent, and
// nothing typed is lost on an error.
type Form struct {
	c       *Common
	title   string
	fields  []Field
	inputs  []textinput.Model
	errs    []error
	focus   int
	submit  func(values []string) tea.Cmd
	check   func(values []string) error
	formErr error
	checked bool  // enter was pressed once: keep formErr current
	failed  error // why the last submit was not done, with what was typed kept
	scroll  Scroller
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
		f.checkField(i)
	}
	f.focusOn(0)
	return f
}

// Check adds a rule over all the values, such as "this subnet overlaps
// another network": its error is shown under the fields and blocks enter.
func (f *Form) Check(check func(values []string) error) *Form {
	f.check = check
	return f
}

// Failed shows why the submit of values did not go through, over the
// form refilled with them: an error loses nothing typed.
func (f *Form) Failed(values []string, err error) *Form {
	for i := range f.inputs {
		if i < len(values) {
			f.inputs[i].SetValue(values[i])
			f.inputs[i].CursorEnd()
			f.checkField(i)
		}
	}
	f.failed = err
	return f
}

// CheckAsTyped shows the form-level rule's error as the fields change, not
// only once enter was pressed: for a rule that can be judged from the start
// (the disk fits the pool), unlike one that wants every field filled in.
func (f *Form) CheckAsTyped() *Form {
	f.checked = true
	f.checkForm()
	return f
}

// Values are the fields' current values, trimmed, in order.
func (f *Form) Values() []string {
	values := make([]string, len(f.inputs))
	for i, in := range f.inputs {
		values[i] = strings.TrimSpace(in.Value())
	}
	return values
}

func (f *Form) checkField(i int) {
	if v := f.fields[i].Validate; v != nil {
		f.errs[i] = v(f.inputs[i].Value())
	}
}

func (f *Form) checkForm() {
	if f.checked && f.check != nil {
		f.formErr = f.check(f.Values())
	}
}

func (f *Form) focusOn(i int) {
	f.inputs[f.focus].Blur()
	f.focus = (i + len(f.inputs)) % len(f.inputs)
	if len(f.fields[f.focus].Choices) == 0 {
		f.inputs[f.focus].Focus()
	}
}

func (f *Form) Update(msg tea.Msg) (bool, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		choices := f.fields[f.focus].Choices
		switch k.String() {
		case "esc":
			return true, nil
		case "tab", "down":
			f.focusOn(f.focus + 1)
			return false, nil
		case "shift+tab", "up":
			f.focusOn(f.focus - 1)
			return false, nil
		case "enter":
			return f.trySubmit()
		}
		if len(choices) > 0 {
			f.choose(k.String(), choices)
			return false, nil // a choice takes no typing
		}
	}
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	f.checkField(f.focus)
	f.checkForm()
	return false, cmd
}

// choose moves a choice field left or right.
func (f *Form) choose(k string, choices []string) {
	step := 0
	switch k {
	case "right", "l", "space":
		step = 1
	case "left", "h":
		step = len(choices) - 1
	}
	i := max(slices.Index(choices, f.inputs[f.focus].Value()), 0)
	f.inputs[f.focus].SetValue(choices[(i+step)%len(choices)])
	f.checkForm()
}

func (f *Form) trySubmit() (bool, tea.Cmd) {
	for i := range f.inputs {
		f.checkField(i)
		if f.errs[i] != nil {
			f.focusOn(i)
			return false, nil
		}
	}
	f.checked = true
	f.checkForm()
	if f.formErr != nil {
		return false, nil
	}
	return true, f.submit(f.Values())
}

func (f *Form) View() string {
	st := f.c.Styles
	width := min(64, max(30, f.c.Width-6))
	labelW := 0
	for _, fd := range f.fields {
		labelW = max(labelW, lipgloss.Width(fd.Label))
	}
	var lines []string
	focusLine := 0
	for i, fd := range f.fields {
		f.inputs[i].SetWidth(width - labelW - 3)
		label := fd.Label + strings.Repeat(" ", labelW-lipgloss.Width(fd.Label))
		if i == f.focus {
			label = st.Key.Render(label)
			focusLine = len(lines)
		}
		value := f.inputs[i].View()
		if len(fd.Choices) > 0 {
			value = f.choiceView(i, width-labelW-2)
		}
		lines = append(lines, label+"  "+value)
		// Under the field, wrapped rather than cut: a hint is read whole.
		under := lipgloss.NewStyle().Width(width - labelW - 2).PaddingLeft(labelW + 2)
		switch {
		case f.errs[i] != nil:
			lines = append(lines, under.Render(st.Danger.Render(Safe(f.errs[i].Error()))))
		case fd.Hint != "" && (i == f.focus || len(f.fields) <= 4):
			// A long form shows the hint of the field being filled only,
			// so it fits a 24-line console.
			lines = append(lines, under.Render(st.Muted.Render(fd.Hint)))
		}
	}
	var foot []string
	para := lipgloss.NewStyle().Width(width)
	for _, e := range []struct {
		err  error
		what string
	}{{f.formErr, "Not yet: "}, {f.failed, "Not done: "}} {
		if e.err == nil {
			continue
		}
		foot = append(foot, "", para.Render(st.Danger.Render(e.what)+Safe(Reason(e.err))))
		if fix := vm.Fix(e.err); fix != "" {
			foot = append(foot, para.Render(st.Muted.Render(f.c.Glyphs.Arrow+" "+Safe(fix))))
		}
	}
	help := "tab next field " + f.c.Glyphs.Sep + " enter apply " + f.c.Glyphs.Sep + " esc cancel"
	if f.hasChoices() {
		help = "tab next field " + f.c.Glyphs.Sep + " left/right choose " + f.c.Glyphs.Sep + " enter apply " + f.c.Glyphs.Sep + " esc cancel"
	}
	foot = append(foot, "", st.Muted.Render(help))
	f.scroll.Keep = &focusLine
	return f.c.Box([]string{st.Title.Render(f.title), ""}, lines, foot, &f.scroll)
}

func (f *Form) hasChoices() bool {
	return slices.ContainsFunc(f.fields, func(fd Field) bool { return len(fd.Choices) > 0 })
}

// choiceView shows every choice with the picked one in brackets, or, when
// they do not fit in width, the picked one between arrows and how many
// there are ("< [default/debian.iso] >  2 of 5").
func (f *Form) choiceView(i, width int) string {
	st := f.c.Styles
	choices, value := f.fields[i].Choices, f.inputs[i].Value()
	pick := st.Bold
	if i == f.focus {
		pick = st.Selected
	}
	var parts []string
	for _, ch := range choices {
		if ch != value {
			parts = append(parts, st.Muted.Render(" "+Safe(ch)+" "))
		} else {
			parts = append(parts, pick.Render("["+Safe(ch)+"]"))
		}
	}
	if all := strings.Join(parts, " "); lipgloss.Width(all) <= width {
		return all
	}
	count := fmt.Sprintf("  %d of %d", max(slices.Index(choices, value), 0)+1, len(choices))
	cur := ansi.Truncate(Safe(value), max(width-lipgloss.Width(count)-6, 4), f.c.Glyphs.Ellipsis)
	return st.Muted.Render("< ") + pick.Render("["+cur+"]") + st.Muted.Render(" >"+count)
}

// Reason is err without the operation's name, for places where the
// operation is obvious: the backend's detail when it has one.
func Reason(err error) string {
	var ve *vm.Error
	if errors.As(err, &ve) && ve.Detail != "" {
		return ve.Detail
	}
	return err.Error()
}
