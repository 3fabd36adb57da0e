package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/help"
)

// Dialog sits over the screen and sees keys first. Update reports done when
// the dialog should close.
type Dialog interface {
	Update(msg tea.Msg) (done bool, cmd tea.Cmd)
	View() string
}

// Overlay draws fg centred over bg, both width×height.
func Overlay(bg, fg string, width, height int) string {
	fw, fh := lipgloss.Size(fg)
	x, y := max(0, (width-fw)/2), max(0, (height-fh)/3)
	base := lipgloss.NewLayer(lipgloss.Place(width, height, lipgloss.Left, lipgloss.Top, bg))
	return lipgloss.NewCompositor(base, lipgloss.NewLayer(fg).X(x).Y(y).Z(1)).Render()
}

// Confirm asks a yes/no question. On yes it runs OnYes.
type Confirm struct {
	c      *Common
	title  string
	body   string
	danger bool
	onYes  tea.Cmd
	yes    bool // focus
	why    string
	// showWhy: the explanation is on screen (beginners see it at once).
	showWhy bool
	answer  answerLog
	scroll  Scroller
}

var confirmKeys = struct{ Yes, No, Toggle, Choose key.Binding }{
	Yes:    key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
	No:     key.NewBinding(key.WithKeys("n", "N", "esc", "q"), key.WithHelp("n/esc", "no")),
	Toggle: key.NewBinding(key.WithKeys("left", "right", "tab", "shift+tab", "h", "l")),
	Choose: key.NewBinding(key.WithKeys("enter")),
}

// NewConfirm builds a confirmation. A dangerous one starts on "No", and
// its answer goes to the audit trail (see Audited).
func NewConfirm(c *Common, title, body string, danger bool, onYes tea.Cmd) *Confirm {
	d := &Confirm{c: c, title: title, body: body, danger: danger, onYes: onYes, yes: !danger}
	if danger {
		d.answer = answerLog{c: c, action: "confirm", target: title}
	}
	return d
}

// Audited names the action and its target in the audit trail, as
// "confirm.ACTION TARGET". Only a dangerous question (high risk and up) is
// recorded, whatever the answer, under its title when not named.
func (d *Confirm) Audited(action, target string) *Confirm {
	if d.danger {
		d.answer = answerLog{c: d.c, action: "confirm." + action, target: target}
	}
	return d
}

// WithWhy adds the longer explanation '?' shows; beginners see it at once.
func (d *Confirm) WithWhy(why string) *Confirm {
	d.why, d.showWhy = why, why != "" && d.c.Level == help.Beginner
	return d
}

func (d *Confirm) Update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || d.scroll.Key(k) {
		return false, nil
	}
	switch {
	case key.Matches(k, confirmKeys.Yes):
		return true, d.answer.then(AnswerConfirmed, d.onYes)
	case key.Matches(k, confirmKeys.No):
		return true, d.answer.then(AnswerDeclined, nil)
	case key.Matches(k, confirmKeys.Toggle):
		d.yes = !d.yes
	case key.Matches(k, whyKey) && d.why != "":
		d.showWhy = !d.showWhy
	case key.Matches(k, confirmKeys.Choose):
		if d.yes {
			return true, d.answer.then(AnswerConfirmed, d.onYes)
		}
		return true, d.answer.then(AnswerDeclined, nil)
	}
	return false, nil
}

func (d *Confirm) View() string {
	s := d.c.Styles
	width := min(60, max(30, d.c.Width-4))
	title := s.Title.Render(d.title)
	if d.danger {
		title = s.Danger.Render(d.title)
	}
	button := func(label string, focused bool) string {
		if focused {
			return s.Selected.Render(" " + label + " ")
		}
		return " " + label + " "
	}
	buttons := button("Yes", d.yes) + "  " + button("No", !d.yes)
	body := []string{lipgloss.NewStyle().Width(width).Render(d.body)}
	if d.showWhy {
		body = append(body, "", lipgloss.NewStyle().Width(width).Render(d.why))
	}
	sep := " " + d.c.Glyphs.Sep + " "
	hint := "y yes" + sep + "n/esc no" + sep + "enter choose"
	if d.why != "" && !d.showWhy {
		hint += sep + "? why"
	}
	return d.c.Box([]string{title, ""}, body, []string{"", buttons, s.Muted.Render(hint)}, &d.scroll)
}

// HelpContext is what the '?' dialog says besides the screen's keys.
type HelpContext struct {
	Topic *help.Topic // the screen's help topic, or nil
	Step  string      // the current tutorial step as markdown, or ""
}

// HelpDialog is '?': the current tutorial step, the screen's topic at the
// operator's level (beginners read it in full, experts get its summary),
// the screen's keys from its keymap, and the global keys. It scrolls when
// taller than the screen; enter opens the topic in the help browser.
type HelpDialog struct {
	c      *Common
	title  string
	lines  []string
	topic  string
	offset int
}

// NewHelpDialog renders the help of screen s once.
func NewHelpDialog(c *Common, s Screen, global KeyMap, hc HelpContext) *HelpDialog {
	st := c.Styles
	width := min(76, max(30, c.Width-4)) - 4 // inside the border and padding
	para := lipgloss.NewStyle().Width(width)
	helper, isHelper := s.(Helper)
	var parts []string
	if hc.Step != "" {
		parts = append(parts, c.Markdown(hc.Step, width), "")
	}
	keys := []string{st.Header.Render("Keys on this screen"), c.FullHelpView(s.Keys().FullHelp(), width)}
	if a, ok := s.(Actioner); ok {
		if notNow := c.NotNowView(a.Actions(), width); notNow != "" {
			keys = append(keys, "", notNow)
		}
	}
	keys = append(keys, "", st.Header.Render("Everywhere"), c.FullHelpView(global.FullHelp(), width))
	switch {
	case hc.Topic == nil:
		if isHelper {
			parts = append(parts, para.Render(helper.Help()), "")
		}
		parts = append(parts, keys...)
	case c.Level == help.Beginner:
		// Beginners read what the screen is for before its keys.
		md, _ := TopicMarkdown(c.Help.Topics, hc.Topic, c.Level)
		parts = append(parts, c.Markdown(stripTitle(md), width), "")
		parts = append(parts, keys...)
	case c.Level == help.Intermediate:
		md, _ := TopicMarkdown(c.Help.Topics, hc.Topic, c.Level)
		parts = append(parts, para.Render(hc.Topic.Summary), "")
		parts = append(parts, keys...)
		parts = append(parts, "", st.Header.Render("About this screen"), c.Markdown(stripTitle(md), width))
	default:
		parts = append(parts, para.Render(hc.Topic.Summary), "")
		parts = append(parts, keys...)
	}
	d := &HelpDialog{c: c, title: "Help: " + s.Title(), lines: strings.Split(strings.Join(parts, "\n"), "\n")}
	if hc.Topic != nil {
		d.topic = hc.Topic.ID
	}
	return d
}

// stripTitle drops a topic's first heading: the dialog has its own title.
func stripTitle(md string) string {
	if strings.HasPrefix(md, "# ") {
		if _, rest, ok := strings.Cut(md, "\n"); ok {
			return strings.TrimSpace(rest)
		}
	}
	return md
}

func (d *HelpDialog) height() int { return max(d.c.Height-5, 3) }

func (d *HelpDialog) Update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	if o, moved := DefaultTopicKeys.Move(k, d.offset, max(len(d.lines)-d.height(), 0)+1, d.height()-1); moved {
		d.offset = o
		return false, nil
	}
	switch k.String() {
	case "enter":
		if d.topic != "" {
			return true, Navigate("help", d.topic)
		}
		return true, nil
	case "esc", "?", "q":
		return true, nil
	}
	return false, nil
}

func (d *HelpDialog) View() string {
	st := d.c.Styles
	h := d.height()
	end := min(d.offset+h, len(d.lines))
	body := d.lines[d.offset:end]
	hint := "esc closes"
	if d.topic != "" {
		hint = "enter reads the full topic " + d.c.Glyphs.Sep + " " + hint
	}
	if len(d.lines) > h {
		hint = "up/down scroll " + d.c.Glyphs.Sep + " " + hint
	}
	out := append([]string{st.Title.Render(d.title), ""}, body...)
	out = append(out, st.Muted.Render(hint))
	return st.Dialog.Render(strings.Join(out, "\n"))
}
