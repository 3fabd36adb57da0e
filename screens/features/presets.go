package features

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	feat "github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/ui"
)

// presetPicker is a dialog listing the presets by risk tolerance.
type presetPicker struct {
	c      *ui.Common
	cat    *feat.Catalog
	cursor int
	choose func(id string) tea.Msg
	scroll ui.Scroller
}

var pickerKeys = struct{ Up, Down, Choose, Cancel key.Binding }{
	Up:     key.NewBinding(key.WithKeys("up", "k")),
	Down:   key.NewBinding(key.WithKeys("down", "j")),
	Choose: key.NewBinding(key.WithKeys("enter")),
	Cancel: key.NewBinding(key.WithKeys("esc", "q", "p")),
}

func newPresetPicker(c *ui.Common, cat *feat.Catalog, choose func(id string) tea.Msg) *presetPicker {
	return &presetPicker{c: c, cat: cat, cursor: 1, choose: choose}
}

func (d *presetPicker) Update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	presets := d.cat.Presets()
	switch {
	case key.Matches(k, pickerKeys.Up):
		d.cursor = max(0, d.cursor-1)
	case key.Matches(k, pickerKeys.Down):
		d.cursor = min(len(presets)-1, d.cursor+1)
	case key.Matches(k, pickerKeys.Choose):
		id := presets[d.cursor].ID
		return true, func() tea.Msg { return d.choose(id) }
	case key.Matches(k, pickerKeys.Cancel):
		return true, nil
	default:
		if n := int(k.Code - '1'); k.Text != "" && n >= 0 && n < len(presets) {
			id := presets[n].ID
			return true, func() tea.Msg { return d.choose(id) }
		}
	}
	return false, nil
}

func (d *presetPicker) View() string {
	s := d.c.Styles
	width := min(64, max(30, d.c.Width-6))
	var lines []string
	keep := 0
	for i, p := range d.cat.Presets() {
		if i == d.cursor {
			keep = len(lines)
		}
		score := d.cat.Score(d.cat.Resolve(p.Features, p.Phase).Enabled).Total
		head := fmt.Sprintf("%d %-11s up to %s  phase %s, risk %d", i+1, p.Name, ui.RiskLabel(p.MaxRisk), p.Phase, score)
		if i == d.cursor {
			head = s.Selected.Render(head)
		} else {
			head = s.Key.Render(head[:1]) + " " + s.Bold.Render(fmt.Sprintf("%-11s", p.Name)) + " up to " +
				d.c.RiskBadge(p.MaxRisk) + s.Muted.Render(fmt.Sprintf("  phase %s, risk %d", p.Phase, score))
		}
		lines = append(lines, head, s.Muted.Render(lipgloss.NewStyle().Width(width-2).Render(p.Description)))
	}
	foot := []string{"", s.Muted.Render(strings.Join([]string{"1-4 or enter choose", "esc cancel"}, " "+d.c.Glyphs.Sep+" ")),
		s.Muted.Render("The next step shows every change before anything happens.")}
	d.scroll.Keep = &keep
	return d.c.Box([]string{s.Title.Render("Presets by risk tolerance"), ""}, lines, foot, &d.scroll)
}
