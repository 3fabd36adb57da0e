package ui

import (
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/help"
)

// TypeName asks the operator to type a name to confirm a critical action:
// a y/n question is too easy to answer by reflex.
type TypeName struct {
	c      *Common
	title  string
	body   string
	want   string
	in     textinput.Model
	onYes  tea.Cmd
	wrong  bool
	why    string // shown under the body; beginners get it
	answer answerLog
	scroll Scroller
}

// NewTypeName confirms by typing want, or the sanitised form it is shown in.
func NewTypeName(c *Common, title, body, want string, onYes tea.Cmd) *TypeName {
	in := c.NewInput("> ", "")
	in.Focus()
	return &TypeName{c: c, title: title, body: body, want: want, in: in, onYes: onYes,
		answer: answerLog{c: c, action: "confirm", target: title}}
}

// Audited names the action and its target in the audit trail, where every
// answer goes: the name typed, a wrong name, or esc.
func (d *TypeName) Audited(action, target string) *TypeName {
	d.answer = answerLog{c: d.c, action: "confirm." + action, target: target}
	return d
}

// WithWhy adds an explanation shown to beginners (a name is being typed,
// so '?' cannot toggle it).
func (d *TypeName) WithWhy(why string) *TypeName {
	if d.c.Level == help.Beginner {
		d.why = why
	}
	return d
}

func (d *TypeName) Update(msg tea.Msg) (bool, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		if d.scroll.Key(k) {
			return false, nil
		}
		switch k.String() {
		case "esc":
			return true, d.answer.then(AnswerDeclined, nil)
		case "enter":
			// A name with control characters cannot be typed: its shown,
			// escaped form counts too.
			if v := d.in.Value(); v == d.want || v == Safe(d.want) {
				return true, d.answer.then(AnswerConfirmed, d.onYes)
			}
			d.wrong = true
			return false, d.answer.then(AnswerWrongName, nil)
		}
	}
	var cmd tea.Cmd
	d.in, cmd = d.in.Update(msg)
	d.wrong = false
	return false, cmd
}

func (d *TypeName) View() string {
	st := d.c.Styles
	width := min(60, max(30, d.c.Width-4))
	d.in.SetWidth(width - 4)
	body := []string{lipgloss.NewStyle().Width(width).Render(d.body)}
	if d.why != "" {
		body = append(body, "", lipgloss.NewStyle().Width(width).Render(d.why))
	}
	foot := []string{"", "Type " + st.Bold.Render(Safe(d.want)) + " to confirm:", d.in.View()}
	if d.wrong {
		foot = append(foot, st.Danger.Render("That is not the name. Nothing was done."))
	}
	foot = append(foot, "", st.Muted.Render("enter confirms "+d.c.Glyphs.Sep+" esc cancels"))
	return d.c.Box([]string{st.Danger.Render(d.title), ""}, body, foot, &d.scroll)
}
