package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Scroller keeps the place in a dialog's body when the body is taller
// than the screen (Box sets how much shows).
type Scroller struct {
	Offset int
	// Keep, when set, is the body line that must show (a menu's cursor).
	Keep        *int
	room, total int // lines shown and lines in all, as last drawn
}

var scrollKeys = struct{ Up, Down, PageUp, PageDown key.Binding }{
	Up:       key.NewBinding(key.WithKeys("up")),
	Down:     key.NewBinding(key.WithKeys("down")),
	PageUp:   key.NewBinding(key.WithKeys("pgup")),
	PageDown: key.NewBinding(key.WithKeys("pgdown")),
}

// Key scrolls the body on the arrows and the page keys while it is cut,
// and reports whether it did.
func (s *Scroller) Key(k tea.KeyPressMsg) bool {
	if s.total <= s.room {
		return false
	}
	step := 0
	switch {
	case key.Matches(k, scrollKeys.Up):
		step = -1
	case key.Matches(k, scrollKeys.Down):
		step = 1
	case key.Matches(k, scrollKeys.PageUp):
		step = -s.room
	case key.Matches(k, scrollKeys.PageDown):
		step = s.room
	default:
		return false
	}
	s.Offset = max(0, min(s.Offset+step, s.total-s.room))
	return true
}

// Box draws a dialog in the dialog frame, never taller nor wider than the
// screen area: head (the title), body, then foot (the buttons and keys).
// A body that does not fit shows from sc's offset with a line saying how
// much more there is, and head and foot always show: the buttons never
// leave the screen.
func (c *Common) Box(head, body, foot []string, sc *Scroller) string {
	st := c.Styles
	lines := func(parts []string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, strings.Split(p, "\n")...)
		}
		return out
	}
	h, b, f := lines(head), lines(body), lines(foot)
	room := c.Height - st.Dialog.GetVerticalFrameSize() - len(h) - len(f)
	if len(b) > room && sc != nil {
		sc.room, sc.total = max(room-1, 1), len(b)
		if sc.Keep != nil {
			sc.Offset = Scroll(sc.Offset, *sc.Keep, sc.total, sc.room)
		}
		sc.Offset = max(0, min(sc.Offset, sc.total-sc.room))
		more := fmt.Sprintf("%s up/down: %d more lines", c.Glyphs.Ellipsis, len(b)-sc.room)
		b = append(b[sc.Offset:sc.Offset+sc.room:sc.Offset+sc.room], st.Muted.Render(more))
	} else if sc != nil {
		sc.room, sc.total, sc.Offset = len(b), len(b), 0
	}
	all := append(append(h, b...), f...)
	width := c.Width - st.Dialog.GetHorizontalFrameSize()
	for i, l := range all {
		all[i] = ansi.Truncate(l, width, c.Glyphs.Ellipsis)
	}
	return st.Dialog.Render(strings.Join(all, "\n"))
}
