package ui

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/help"
)

// TopicKeys move through a topic and its links.
type TopicKeys struct {
	ListKeys
	NextLink, PrevLink, Follow, Jump key.Binding
}

// DefaultTopicKeys scroll with the list keys; links are selected with tab
// and followed with enter, or by their number.
var DefaultTopicKeys = TopicKeys{
	ListKeys: ListKeys{
		Up:       DefaultListKeys.Up,
		Down:     DefaultListKeys.Down,
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b", "b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "space"), key.WithHelp("pgdn/space", "page down")),
		Top:      DefaultListKeys.Top,
		Bottom:   DefaultListKeys.Bottom,
	},
	NextLink: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next link")),
	PrevLink: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous link")),
	Follow:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "follow link")),
	Jump:     key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1-9", "follow link n")),
}

// TopicView shows one help topic at the operator's level, rendered to the
// width, scrolled, with its links numbered and selectable.
type TopicView struct {
	c      *Common
	topic  *help.Topic
	links  []help.Link
	lines  []string
	key    string // what lines were rendered for: level and width
	offset int
	link   int // selected link, or -1
}

// NewTopicView shows t.
func NewTopicView(c *Common, t *help.Topic) *TopicView {
	v := &TopicView{c: c}
	v.SetTopic(t)
	return v
}

// SetTopic shows another topic from its top.
func (v *TopicView) SetTopic(t *help.Topic) {
	v.topic, v.offset, v.link, v.key, v.links = t, 0, -1, "", nil
}

// Topic is the topic shown.
func (v *TopicView) Topic() *help.Topic { return v.topic }

// Links are the topic's links at the current level, in their numbering.
func (v *TopicView) Links() []help.Link { return v.links }

// render lays the topic out for width, when the width or level changed.
func (v *TopicView) render(width int) {
	k := fmt.Sprint(v.c.Level, width)
	if k == v.key {
		return
	}
	v.key = k
	md, links := TopicMarkdown(v.c.Help.Topics, v.topic, v.c.Level)
	v.links = links
	v.lines = strings.Split(v.c.Markdown(md, width), "\n")
	v.link = min(v.link, len(links)-1)
}

// TopicMarkdown is t's text at level l with its links numbered, "see
// also" links listed at the end, and the links in their numbering.
func TopicMarkdown(x *help.Index, t *help.Topic, l help.Level) (string, []help.Link) {
	links := x.Links(t, l)
	md := help.ReplaceLinks(t.Text(l), links, func(i int, k help.Link) string {
		return fmt.Sprintf("**%s** [%d]", k.Text, i+1)
	})
	var see []string
	for i, k := range links {
		if !strings.Contains(md, fmt.Sprintf("[%d]", i+1)) {
			see = append(see, fmt.Sprintf("- %s [%d]", k.Text, i+1))
		}
	}
	if len(see) > 0 {
		md += "\n\n## See also\n\n" + strings.Join(see, "\n")
	}
	return md, links
}

// Update scrolls and selects links. It returns the id of a topic to follow,
// and whether it used the key.
func (v *TopicView) Update(msg tea.KeyPressMsg, height int) (follow string, used bool) {
	k := DefaultTopicKeys
	if o, ok := k.Move(msg, v.offset, v.maxOffset(height)+1, max(height-1, 1)); ok {
		v.offset = o
		return "", true
	}
	if v.links == nil || v.key == "" {
		_, v.links = TopicMarkdown(v.c.Help.Topics, v.topic, v.c.Level)
	}
	n := len(v.links)
	switch {
	case key.Matches(msg, k.NextLink) && n > 0:
		v.link = (v.link + 1) % n
		v.reveal(height)
	case key.Matches(msg, k.PrevLink) && n > 0:
		v.link = (v.link - 1 + n) % n
		v.reveal(height)
	case key.Matches(msg, k.Follow) && v.link >= 0:
		return v.links[v.link].To, true
	case key.Matches(msg, k.Jump):
		i, _ := strconv.Atoi(msg.String())
		if i >= 1 && i <= n {
			return v.links[i-1].To, true
		}
	default:
		return "", false
	}
	return "", true
}

func (v *TopicView) maxOffset(height int) int { return max(len(v.lines)-height, 0) }

// reveal scrolls the selected link's first mention into view.
func (v *TopicView) reveal(height int) {
	mark := fmt.Sprintf("[%d]", v.link+1)
	for i, l := range v.lines {
		if strings.Contains(ansi.Strip(l), mark) {
			if i < v.offset || i >= v.offset+height {
				v.offset = min(max(i-height/3, 0), v.maxOffset(height))
			}
			return
		}
	}
}

// View draws the topic in width×height: the text, and a last line saying
// which link is selected or how to reach the links.
func (v *TopicView) View(width, height int) string {
	v.render(width)
	st := v.c.Styles
	body := max(height-1, 1)
	v.offset = min(v.offset, v.maxOffset(body))
	end := min(v.offset+body, len(v.lines))
	shown := append([]string(nil), v.lines[v.offset:end]...)
	for len(shown) < body {
		shown = append(shown, "")
	}
	var status string
	switch {
	case v.link >= 0:
		status = st.Selected.Render(fmt.Sprintf(" link %d: %s ", v.link+1, v.links[v.link].Text)) +
			st.Muted.Render("  enter follows")
	case len(v.links) > 0:
		status = st.Muted.Render(fmt.Sprintf("%d links: tab selects, or press the number", len(v.links)))
	}
	if v.maxOffset(body) > 0 {
		status += st.Muted.Render(fmt.Sprintf("  %d%%", 100*end/len(v.lines)))
	}
	shown = append(shown, ansi.Truncate(status, width, v.c.Glyphs.Ellipsis))
	return lipgloss.NewStyle().MaxWidth(width).Render(strings.Join(shown, "\n"))
}

// FullHelp lists the keys of a topic view, for help and the cheatsheet.
func (k TopicKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.NextLink, k.PrevLink, k.Follow, k.Jump}}
}

// ShortHelp is the footer's part of the topic keys.
func (k TopicKeys) ShortHelp() []key.Binding { return []key.Binding{k.NextLink, k.Follow} }
