package create

import (
	"strings"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

func (m *Model) View() string {
	st := m.c.Styles
	switch {
	case !m.loaded:
		return "Reading what this host offers" + m.c.Glyphs.Ellipsis
	case m.running && m.cancelling:
		return st.Title.Render(m.Title()) + "\n\nCancelling: stopping the copy and deleting what it made" + m.c.Glyphs.Ellipsis
	case m.running:
		lines := []string{st.Title.Render(m.Title()), "", ui.Safe(m.step) + m.c.Glyphs.Ellipsis}
		if m.total > 0 {
			frac := float64(m.done) / float64(m.total)
			lines = append(lines, m.c.Bar(frac, min(m.c.Width-20, 50))+"  "+
				vm.FormatBytes(float64(m.done))+" of "+vm.FormatBytes(float64(m.total)))
		}
		return strings.Join(lines, "\n")
	case m.form == nil && m.err != nil:
		return st.Danger.Render("Could not read this host: ") + ui.Safe(m.err.Error()) + "\n" + st.Muted.Render("esc goes back")
	}
	var b strings.Builder
	if m.err != nil {
		b.WriteString(st.Danger.Render("Not done: ") + ui.Safe(m.err.Error()) + "\n")
		if fix := vm.Fix(m.err); fix != "" {
			b.WriteString(st.Muted.Render(fix) + "\n")
		}
		b.WriteString("\n")
	}
	if m.form != nil {
		b.WriteString(m.form.View())
	}
	return b.String()
}
