package app

import (
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// notice is '?' on an error or a status message: its whole text, which the
// footer and the status bar may cut, the fix, and the help topic behind
// it, which enter opens.
type notice struct {
	c      *ui.Common
	title  string
	body   string
	topic  string
	scroll ui.Scroller
}

func newNotice(c *ui.Common, title, text string, err error, topic string) *notice {
	body := ui.Safe(text)
	if fix := vm.Fix(err); err != nil && fix != "" {
		body += "\n\n" + c.Styles.Header.Render("How to fix it") + "\n" + ui.Safe(fix)
	}
	if t, ok := c.Help.Topics.Topic(topic); ok {
		body += "\n\n" + c.Styles.Muted.Render("Help: "+t.Title+": "+t.Summary)
	} else {
		topic = ""
	}
	return &notice{c: c, title: title, body: body, topic: topic}
}

func (n *notice) Update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	switch {
	case !ok || n.scroll.Key(k):
		return false, nil
	case k.String() == "enter" && n.topic != "":
		return true, ui.Navigate("help", n.topic)
	}
	return true, nil
}

func (n *notice) View() string {
	st := n.c.Styles
	width := min(72, n.c.Width-st.Dialog.GetHorizontalFrameSize())
	hint := "any key closes"
	if n.topic != "" {
		hint = "enter reads the help topic " + n.c.Glyphs.Sep + " " + hint
	}
	return n.c.Box([]string{st.Title.Render(n.title), ""}, []string{lipgloss.NewStyle().Width(width).Render(n.body)},
		[]string{"", st.Muted.Render(hint)}, &n.scroll)
}
