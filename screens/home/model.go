// Package home is the console menu: the first screen an operator sees when
// logging in on the host.
package home

import (
	"fmt"
	"strings"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
)

// Item is one entry of the menu.
type Item struct {
	Key, Title, Desc string
	Screen           string // the route of the screen it opens
}

// Items is the console menu.
var Items = []Item{
	{"1", "Virtual machines", "list, watch and filter the VMs of this host", "vms"},
	{"2", "Features", "choose host features by their security risk", "features"},
	{"3", "Threats", "live threat detection and response", "threats"},
	{"4", "Setup wizard", "set this host up: checks, operators, network, phase", "wizard"},
	{"5", "Help & tutorials", "learn hv step by step", "help"},
	{"6", "Host", "this machine, its libvirt and your access", "host"},
	{"7", "Networks", "virtual networks: NAT, isolated, who uses them", "networks"},
	{"8", "Storage", "storage pools and volumes: sizes, free space, disks", "storage"},
	{"9", "Hosts", "every host you reach: up or down, phase, VMs, load", "hosts"},
}

type keyMap struct {
	ui.ListKeys
	Open, Jump key.Binding
}

var keys = keyMap{
	ListKeys: ui.DefaultListKeys,
	Open:     key.NewBinding(key.WithKeys("enter", "right", "l"), key.WithHelp("enter", "open")),
	Jump:     key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1-9", "open by number")),
}

func (k keyMap) ShortHelp() []key.Binding { return []key.Binding{k.Up, k.Down, k.Open, k.Jump} }
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom}, {k.Open, k.Jump}}
}

type (
	summaryMsg struct {
		id   int
		host vm.Host
		vms  []vm.VM
		err  error
	}
)

var lastID atomic.Int64

// Model is the home screen.
type Model struct {
	c      *ui.Common
	id     int
	cursor int

	host   vm.Host
	states map[string]vm.State // by UUID, for the summary line
	err    error
}

func New(c *ui.Common) *Model {
	return &Model{c: c, id: int(lastID.Add(1)), states: map[string]vm.State{}}
}

func (m *Model) Title() string   { return "Home" }
func (m *Model) Keys() ui.KeyMap { return keys }
func (m *Model) Help() string {
	return "The console menu of this host. Pick a section with the arrows and enter, or its number."
}

func (m *Model) Init() tea.Cmd { return m.summary() }

func (m *Model) summary() tea.Cmd {
	hv, id := m.c.HV, m.id
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		h, err := hv.Host(ctx)
		if err != nil {
			return summaryMsg{id: id, err: err}
		}
		vms, err := hv.List(ctx)
		return summaryMsg{id: id, host: h, vms: vms, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case summaryMsg:
		if msg.id != m.id {
			return nil
		}
		m.err = msg.err
		if msg.err == nil {
			m.host = msg.host
			clear(m.states)
			for _, v := range msg.vms {
				m.states[v.UUID] = v.State
			}
		}
	case ui.VMEventMsg:
		e := msg.Event
		switch e.Kind {
		case vm.EventReconnected, vm.EventDefined, vm.EventUndefined:
			return m.summary()
		}
		if st, ok := e.State(); ok {
			if _, known := m.states[e.UUID]; known {
				m.states[e.UUID] = st
			}
		}
	case tea.KeyPressMsg:
		if c, ok := keys.Move(msg, m.cursor, len(Items), len(Items)); ok {
			m.cursor = c
			return nil
		}
		switch {
		case key.Matches(msg, keys.Open):
			return ui.Navigate(Items[m.cursor].Screen, "")
		case key.Matches(msg, keys.Jump):
			for i, it := range Items {
				if it.Key == msg.String() {
					m.cursor = i
					return ui.Navigate(it.Screen, "")
				}
			}
		}
	}
	return nil
}

func (m *Model) View() string {
	st := m.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Hyper-NixOS") + "  " + st.Muted.Render(m.summaryLine()) + "\n\n")
	width := 0
	for _, it := range Items {
		width = max(width, lipgloss.Width(it.Title))
	}
	for i, it := range Items {
		title := it.Title + strings.Repeat(" ", width-lipgloss.Width(it.Title))
		desc := it.Desc
		line := fmt.Sprintf(" %s  %s   %s ", it.Key, title, desc)
		if i == m.cursor {
			b.WriteString(st.Selected.Render(m.c.Glyphs.Cursor+line) + "\n")
		} else {
			b.WriteString(" " + st.Key.Render(" "+it.Key) + "  " + st.Bold.Render(title) + "   " + st.Muted.Render(desc) + "\n")
		}
	}
	if m.err != nil {
		b.WriteString("\n" + st.Warning.Render("Host summary unavailable: ") + m.err.Error())
	}
	return lipgloss.NewStyle().MaxWidth(m.c.Width).Render(strings.TrimRight(b.String(), "\n"))
}

func (m *Model) summaryLine() string {
	if m.host.Hostname == "" {
		return ""
	}
	var n vm.Tally
	for _, s := range m.states {
		n.Add(s)
	}
	sep := " " + m.c.Glyphs.Sep + " "
	return termsafe.String(m.host.Hostname) + sep +
		fmt.Sprintf("%d VMs: %d running, %d paused, %d off", n.Total, n.Running, n.Paused, n.Off)
}
