package features

import (
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/ui"
)

// detailsDialog shows all of a feature's details, for screens too small
// for the pane.
type detailsDialog struct {
	c    *ui.Common
	view string
}

func newDetails(c *ui.Common, body string) *detailsDialog {
	hint := c.Styles.Muted.Render("esc, i or enter closes")
	return &detailsDialog{c: c, view: c.Styles.Dialog.Render(lipgloss.JoinVertical(lipgloss.Left, body, "", hint))}
}

func (d *detailsDialog) Update(msg tea.Msg) (bool, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc", "i", "enter", "q":
			return true, nil
		}
	}
	return false, nil
}

func (d *detailsDialog) View() string { return d.view }
