package threats

import (
	"fmt"
	"os"
	"path/filepath"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/response"
	"github.com/hyper-nixos/hv/ui"
)

// picker chooses a playbook for a finding; choosing asks for
// confirmation. A playbook that cannot run here is listed with the
// reason, and choosing it says the reason again rather than failing.
type picker struct {
	m      *Model
	f      threat.Finding
	pbs    []response.Option
	cursor int
}

func newPicker(m *Model, f threat.Finding, pbs []response.Option) *picker {
	return &picker{m: m, f: f, pbs: pbs}
}

func (p *picker) Update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	switch {
	case key.Matches(k, pickKeys.Cancel):
		return true, nil
	case key.Matches(k, pickKeys.Up):
		p.cursor = max(p.cursor-1, 0)
	case key.Matches(k, pickKeys.Down):
		p.cursor = min(p.cursor+1, len(p.pbs)-1)
	case key.Matches(k, pickKeys.Choose):
		pb := p.pbs[p.cursor]
		if pb.Unavailable != "" {
			return false, ui.Status(ui.LevelWarning, pb.Action+" cannot run here: "+pb.Unavailable)
		}
		target := ui.Safe(pb.Target(&p.f))
		body := fmt.Sprintf("%s: %s on %s.\n\nThis is carried out now, even though the playbook is %s, and written to the audit log. %s",
			pb.Title, pb.Action, target, mode(pb.Playbook), undoNote(pb.Playbook))
		confirm := ui.NewConfirm(p.m.c, "Run this playbook?", body, true, p.m.runPlaybook(pb, p.f))
		return true, func() tea.Msg { return ui.OpenDialogMsg{Dialog: confirm} }
	}
	return false, nil
}

func mode(pb response.Playbook) string {
	if pb.Enabled {
		return "enabled"
	}
	return "monitor-only"
}

func undoNote(pb response.Playbook) string {
	if pb.Reversible() {
		return "u on the finding undoes it."
	}
	return ""
}

func (p *picker) View() string {
	s := p.m.c.Styles
	width := min(78, max(30, p.m.c.Width-4))
	lines := []string{s.Title.Render("Run a playbook on this finding"), ""}
	for i, pb := range p.pbs {
		line := fmt.Sprintf("%-12s %s (%s)", pb.Action, pb.Title, mode(pb.Playbook))
		if pb.Unavailable != "" {
			line = fmt.Sprintf("%-12s %s (unavailable)", pb.Action, pb.Title)
		}
		line = truncate(line, width-2)
		switch {
		case i == p.cursor:
			lines = append(lines, s.Selected.Render(p.m.c.Glyphs.Cursor+line))
		case pb.Unavailable != "":
			lines = append(lines, s.Muted.Render(" "+line))
		default:
			lines = append(lines, " "+line)
		}
	}
	if why := p.pbs[p.cursor].Unavailable; why != "" {
		lines = append(lines, "", lipgloss.NewStyle().Width(width-2).Render(s.Muted.Render("Unavailable here: "+why)))
	}
	hint := "enter choose " + p.m.c.Glyphs.Sep + " esc cancel"
	lines = append(lines, "", s.Muted.Render(hint))
	return s.Dialog.Render(lipgloss.JoinVertical(lipgloss.Left, lines...))
}

func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if lipgloss.Width(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && lipgloss.Width(string(r)) > w-1 {
		r = r[:len(r)-1]
	}
	return string(r) + "~"
}

// stateDir is the user's state directory for hv.
func stateDir() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return filepath.Join(os.TempDir(), "hv")
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "hv")
}
