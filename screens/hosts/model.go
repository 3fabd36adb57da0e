// Package hosts is the Hosts screen: every host hv reaches (this one and
// those the operator listed), how each answers (up, slow, down), its
// security phase, its VMs, its load and its hv version. A host that is
// down or slow is shown as such; the others carry on.
package hosts

import (
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// readMsg brings the hosts as a fresh list left them.
type readMsg struct {
	id    int
	hosts []vm.HostStatus
	err   error
}

var lastID atomic.Int64

// Model is the Hosts screen.
type Model struct {
	c  *ui.Common
	id int

	all     []vm.HostStatus
	shown   []vm.HostStatus // those the search matches
	search  *ui.Search
	cursor  int
	offset  int
	loaded  bool
	loadErr error
}

// New returns the Hosts screen.
func New(c *ui.Common) *Model {
	return &Model{c: c, id: int(lastID.Add(1)), search: ui.NewSearch(c, "search", "name, state, phase or address")}
}

func (m *Model) Title() string { return "Hosts" }

func (m *Model) Keys() ui.KeyMap {
	if m.search.Typing() {
		return ui.SearchHelp
	}
	return keys
}

func (m *Model) Help() string {
	return "Every host hv reaches: this one, and those in ~/.config/hv/hosts.toml or the host file's hosts.peers, " +
		"each through its own hv daemon over SSH. A host that does not answer within two seconds is slow (its VMs as last seen); " +
		"one that cannot be reached is down (its VMs left out) and hv keeps trying it. LOAD is what running VMs take: " +
		"their vCPUs per host CPU, and their share of its memory. enter lists a host's VMs, N its networks, S its storage."
}

func (m *Model) Capturing() bool { return m.search.Typing() }

// Esc clears the search before esc means back.
func (m *Model) Esc() bool {
	if m.search.Clear() {
		m.narrow()
		return true
	}
	return false
}

func (m *Model) Init() tea.Cmd { return m.read() }

// read lists every host's VMs (what the statuses are made of) and takes
// the statuses the list left.
func (m *Model) read() tea.Cmd {
	hv, id := m.c.HV, m.id
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		if hosts := vm.HostsOf(hv); hosts != nil {
			_, err := hv.List(ctx)
			return readMsg{id: id, hosts: vm.HostsOf(hv), err: err}
		}
		h, err := vm.Alone(ctx, hv)
		return readMsg{id: id, hosts: []vm.HostStatus{h}, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.search.Handle(msg, m.narrowed, m.key); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.key(msg)
	case readMsg:
		if msg.id == m.id {
			m.loadErr = msg.err
			if len(msg.hosts) > 0 {
				m.loaded, m.all = true, msg.hosts
				m.narrow()
			}
		}
	case ui.StatsMsg:
		// Each statistics tick asks every host: their states are fresh.
		if hosts := vm.HostsOf(m.c.HV); hosts != nil && m.loaded {
			m.all = hosts
			m.narrow()
		}
	case ui.VMEventMsg:
		switch msg.Event.Kind {
		case vm.EventConnLost, vm.EventReconnected, vm.EventDefined, vm.EventUndefined, vm.EventStarted, vm.EventStopped:
			return m.read()
		}
	}
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, keys.Search):
		return m.search.Open()
	case key.Matches(msg, keys.Reload):
		return m.read()
	case key.Matches(msg, keys.Open, keys.Networks, keys.Storage):
		h, ok := m.Selected()
		switch {
		case !ok:
			return nil
		case key.Matches(msg, keys.Networks):
			return ui.Navigate("networks", h.Name+"/")
		case key.Matches(msg, keys.Storage):
			return ui.Navigate("storage", h.Name+"/")
		}
		return ui.Navigate("vms", "host:"+h.Name)
	}
	if c, ok := keys.Move(msg, m.cursor, len(m.shown), m.pageSize()); ok {
		m.cursor = c
		m.offset = ui.Scroll(m.offset, m.cursor, len(m.shown), m.pageSize())
	}
	return nil
}

func (m *Model) narrowed() tea.Cmd { m.narrow(); return nil }

// narrow shows the hosts the search matches, the cursor on the same one.
func (m *Model) narrow() {
	var sel string
	if h, ok := m.Selected(); ok {
		sel = h.Name
	}
	m.shown = m.shown[:0]
	for _, h := range m.all {
		if m.search.Match(h.Name, h.State.String(), h.Phase, h.Where, h.Hostname) {
			m.shown = append(m.shown, h)
		}
	}
	m.cursor = min(m.cursor, max(len(m.shown)-1, 0))
	for i, h := range m.shown {
		if h.Name == sel {
			m.cursor = i
		}
	}
	m.offset = ui.Scroll(m.offset, m.cursor, len(m.shown), m.pageSize())
}

// Selected is the host under the cursor.
func (m *Model) Selected() (vm.HostStatus, bool) {
	if m.cursor >= len(m.shown) {
		return vm.HostStatus{}, false
	}
	return m.shown[m.cursor], true
}

// detailLines is the height of the pane under the table.
const detailLines = 4

func (m *Model) pageSize() int {
	n := m.c.Height - 2 - detailLines - 1
	if m.search.Active() {
		n--
	}
	return max(n, 1)
}
