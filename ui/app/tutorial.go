package app

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/ui"
)

// prefsSavedMsg reports a write of the settings or the progress.
type prefsSavedMsg struct{ err error }

// observe hands what happened to the tutorials; a completed step is said
// in the status bar, a finished tutorial in a dialog, and progress saved.
func (m *Model) observe(o help.Observation) tea.Cmd {
	out := m.c.Tutorials.Observe(o, m.c.Now())
	if out.Step == nil {
		return nil
	}
	m.layout()
	cmds := []tea.Cmd{m.saveProgress(), m.broadcast(tea.WindowSizeMsg{Width: m.width, Height: m.high})}
	if out.Finished {
		body := "You did every step of " + out.Tutorial.Title + "."
		if t, ok := m.c.Help.Topics.Topic(out.Tutorial.Topic); ok {
			body += "\n\nTo read more: :help " + t.ID + " (" + t.Title + ")."
		}
		d := ui.NewMessage(m.c, "Tutorial complete", body)
		cmds = append(cmds, func() tea.Msg { return ui.OpenDialogMsg{Dialog: d} })
	} else {
		_, next, _, _ := m.c.Tutorials.Current()
		m.setStatus(ui.StatusMsg{Text: "Done: " + out.Step.Title + ". Next: " + next.Title, Level: ui.LevelSuccess})
		cmds = append(cmds, m.expireStatus())
	}
	return tea.Batch(cmds...)
}

// tutorial starts, stops or restarts one, as the tutorials screen asks.
func (m *Model) tutorial(msg ui.TutorialMsg) tea.Cmd {
	k := m.c.Tutorials
	switch msg.Do {
	case ui.TutorialStart:
		if err := k.Start(msg.ID, m.c.Now()); err != nil {
			return ui.Fail(err)
		}
	case ui.TutorialRestart:
		k.Reset(msg.ID)
		if err := k.Start(msg.ID, m.c.Now()); err != nil {
			return ui.Fail(err)
		}
	case ui.TutorialStop:
		k.Stop()
	}
	m.layout()
	return tea.Batch(m.saveProgress(), m.broadcast(tea.WindowSizeMsg{Width: m.width, Height: m.high}))
}

// setLevel changes the operator's level for every screen and saves it.
func (m *Model) setLevel(l help.Level) tea.Cmd {
	m.c.Level = l
	m.opts.Settings.Level = l
	m.setStatus(ui.StatusMsg{Text: "level: " + l.String() + " (" + l.Describe() + ")", Level: ui.LevelInfo})
	m.layout()
	path, s := m.opts.SettingsPath, m.opts.Settings
	var save tea.Cmd
	if path != "" {
		save = func() tea.Msg { return prefsSavedMsg{help.SaveSettings(path, s)} }
	}
	return tea.Batch(save, m.expireStatus(), m.broadcast(tea.WindowSizeMsg{Width: m.width, Height: m.high}),
		m.observe(help.SignalSent("level", l.String())))
}

func (m *Model) saveProgress() tea.Cmd {
	path := m.opts.ProgressPath
	if path == "" {
		return nil
	}
	p := m.c.Tutorials.Progress()
	return func() tea.Msg { return prefsSavedMsg{help.SaveProgress(path, p)} }
}

// layout sizes the screen area: the terminal less the header, footer,
// status bar and the tutorial strip.
func (m *Model) layout() {
	m.strip = 0
	if _, _, _, ok := m.c.Tutorials.Current(); ok && m.high >= 16 {
		m.strip = 1
		if m.c.Level == help.Beginner {
			m.strip = 2
		}
	}
	m.c.Width, m.c.Height = m.width, max(m.high-3-m.strip, 1)
}

// stripView is the current tutorial step, on every screen: what to do,
// and for beginners how.
func (m *Model) stripView() string {
	t, s, i, ok := m.c.Tutorials.Current()
	if !ok || m.strip == 0 {
		return ""
	}
	st := m.c.Styles
	sep := " " + m.c.Glyphs.Sep + " "
	line := st.Selected.Render(fmt.Sprintf(" tutorial %d/%d ", i+1, len(t.Steps))) + " " +
		st.Bold.Render(s.Title) + st.Muted.Render(sep+t.Title+sep+"? shows how")
	lines := []string{ansi.Truncate(line, m.width, m.c.Glyphs.Ellipsis)}
	if m.strip > 1 {
		lines = append(lines, ansi.Truncate(" "+st.Info.Render("hint: ")+s.Hint, m.width, m.c.Glyphs.Ellipsis))
	}
	return strings.Join(lines, "\n")
}

// stepMarkdown is the current step for the '?' dialog.
func (m *Model) stepMarkdown() string {
	t, s, i, ok := m.c.Tutorials.Current()
	if !ok {
		return ""
	}
	md := fmt.Sprintf("**Tutorial %s, step %d of %d: %s**\n\n%s", t.Title, i+1, len(t.Steps), s.Title, s.Text)
	if s.Hint != "" {
		md += "\n\nHint: " + s.Hint
	}
	return md
}
