package ui

import (
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// NewInput returns a one-line text field in the theme's colours. Its cursor
// does not blink: a blinking cursor redraws the screen twice a second, which
// costs CPU on an idle console and flickers on slow links.
func (c *Common) NewInput(prompt, placeholder string) textinput.Model {
	in := textinput.New()
	in.Prompt = prompt
	in.Placeholder = placeholder
	in.CharLimit = 200
	st := textinput.DefaultDarkStyles()
	text := c.Styles.Bold.UnsetBold()
	st.Focused = textinput.StyleState{Text: text, Placeholder: c.Styles.Muted, Suggestion: c.Styles.Muted, Prompt: c.Styles.Key}
	st.Blurred = textinput.StyleState{Text: c.Styles.Muted, Placeholder: c.Styles.Muted, Suggestion: c.Styles.Muted, Prompt: c.Styles.Muted}
	st.Cursor = textinput.CursorStyle{Color: DefaultPalette.Primary, Shape: tea.CursorBlock, Blink: false}
	in.SetStyles(st)
	return in
}
