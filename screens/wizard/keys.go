package wizard

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
)

type keyMap struct {
	Next, Back, NextField, PrevField, Choose, Recheck, StartOver key.Binding
	Scroll                                                       ui.ListKeys
	m                                                            *Model
}

var keys = keyMap{
	Next:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next step")),
	Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "previous step")),
	NextField: key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field")),
	PrevField: key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous field")),
	Choose:    key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("left/right", "choose")),
	Recheck:   ui.Bind(ui.Verbs.Reload, "check again"),
	StartOver: key.NewBinding(key.WithKeys("ctrl+n"), key.WithHelp("ctrl+n", "begin again (asks first)")),
	Scroll:    ui.DefaultListKeys,
}

// keyMapFor is the keys that work on the wizard's current step.
func keyMapFor(m *Model) keyMap {
	k := keys
	k.m = m
	return k
}

func (k keyMap) ShortHelp() []key.Binding {
	if k.m == nil || !k.m.loaded {
		return nil
	}
	m := k.m
	next := k.Next
	switch {
	case m.staged:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "home"))}
	case steps[m.step].id == stepSummary:
		next = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "write and apply"))
	}
	out := []key.Binding{next} // esc, back, is among the app's keys
	vis := m.visibleFields()
	if len(vis) > 1 {
		out = append(out, k.NextField)
	}
	if f := m.focused(); f != nil && f.isChoice() && f.locked == "" {
		out = append(out, k.Choose)
	}
	if steps[m.step].id == stepChecks {
		out = append(out, k.Recheck)
	}
	if len(vis) <= 1 {
		out = append(out, key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("up/down", "scroll")))
	}
	return out
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Next, k.Back, k.StartOver},
		{k.NextField, k.PrevField, k.Choose},
		{k.Recheck, k.Scroll.PageUp, k.Scroll.PageDown},
	}
}
