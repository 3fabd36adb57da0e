package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
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
}

var confirmKeys = struct{ Yes, No, Toggle, Choose key.Binding }{
	Yes:    key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
	No:     key.NewBinding(key.WithKeys("n", "N", "esc", "q"), key.WithHelp("n/esc", "no")),
	Toggle: key.NewBinding(key.WithKeys("left", "right", "tab", "shift+tab", "h", "l")),
	Choose: key.NewBinding(key.WithKeys("enter")),
}

// NewConfirm builds a confirmation. A dangerous one starts on "No".
func NewConfirm(c *Common, title, body string, danger bool, onYes tea.Cmd) *Confirm {
	return &Confirm{c: c, title: title, body: body, danger: danger, onYes: onYes, yes: !danger}
}

func (d *Confirm) Update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	switch {
	case key.Matches(k, confirmKeys.Yes):
		return true, d.onYes
	case key.Matches(k, confirmKeys.No):
		return true, nil
	case key.Matches(k, confirmKeys.Toggle):
		d.yes = !d.yes
	case key.Matches(k, confirmKeys.Choose):
		if d.yes {
			return true, d.onYes
		}
		return true, nil
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
	body := lipgloss.NewStyle().Width(width).Render(d.body)
	hint := s.Muted.Render("y yes · n/esc no · enter choose")
	if d.c.Glyphs.Sep != UnicodeGlyphs.Sep {
		hint = strings.ReplaceAll(hint, "·", d.c.Glyphs.Sep)
	}
	return s.Dialog.Render(lipgloss.JoinVertical(lipgloss.Left, title, "", body, "", buttons, hint))
}

// HelpDialog shows a screen's help paragraph and all its keys, then the
// global keys.
type HelpDialog struct {
	c    *Common
	view string
}

// NewHelpDialog renders the help of screen s once.
func NewHelpDialog(c *Common, s Screen, global KeyMap) *HelpDialog {
	st := c.Styles
	width := min(76, max(30, c.Width-4))
	parts := []string{st.Title.Render("Help: " + s.Title())}
	if h, ok := s.(Helper); ok {
		parts = append(parts, "", lipgloss.NewStyle().Width(width).Render(h.Help()))
	}
	if keys := c.FullHelpView(s.Keys().FullHelp()); keys != "" {
		parts = append(parts, "", st.Header.Render("Keys on this screen"), keys)
	}
	parts = append(parts, "", st.Header.Render("Everywhere"), c.FullHelpView(global.FullHelp()),
		"", st.Muted.Render("esc or ? closes this help"))
	return &HelpDialog{c: c, view: st.Dialog.Render(lipgloss.JoinVertical(lipgloss.Left, parts...))}
}

func (d *HelpDialog) Update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	switch k.String() {
	case "esc", "?", "q", "enter":
		return true, nil
	}
	return false, nil
}

func (d *HelpDialog) View() string { return d.view }
