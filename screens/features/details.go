package features

import (
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
)

// detailsDialog shows all of a feature's details, for screens too small
// for the pane; up and down scroll what does not fit.
type detailsDialog struct {
	c      *ui.Common
	body   string
	scroll ui.Scroller
}

func newDetails(c *ui.Common, body string) *detailsDialog {
	return &detailsDialog{c: c, body: body}
}

func (d *detailsDialog) Update(msg tea.Msg) (bool, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		if d.scroll.Key(k) {
			return false, nil
		}
		switch k.String() {
		case "esc", "i", "enter", "q":
			return true, nil
		}
	}
	return false, nil
}

func (d *detailsDialog) View() string {
	return d.c.Box(nil, []string{d.body}, []string{"", d.c.Styles.Muted.Render("esc or enter closes")}, &d.scroll)
}
