// Package networks is the list of libvirt virtual networks: their state,
// addresses and the VMs on each, with start, stop, autostart, define and
// undefine. Stopping or removing a network in use says what breaks first.
package networks

import (
	"errors"
	"strings"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// Messages, private to this screen; each carries the screen's id.
type (
	loadedMsg struct {
		id   int
		host string
		nets []vm.Network
		vms  []vm.VM
		err  error
	}
	leasesMsg struct {
		id      int
		host    string
		network string
		leases  []vm.Lease
		err     error
	}
)

var lastID atomic.Int64

// Model is the Networks screen.
type Model struct {
	c    *ui.Common
	id   int
	host ui.HostView // whose networks

	all      []vm.Network // every network
	nets     []vm.Network // those the search shows
	search   *ui.Search
	states   ui.VMStates // to tell running users from stopped ones
	cursor   int
	offset   int
	selected string // name under the cursor, kept across reloads

	leases    []vm.Lease
	leasesFor string // network the leases belong to
	leasesErr error

	busy    string // the action running now, e.g. "stopping default"
	loaded  bool
	loadErr error
}

// New returns the Networks screen; arg names the network to put the
// cursor on ("" for the first), HOST/NAME (or HOST/) one of another host.
func New(c *ui.Common, arg string) *Model {
	host, selected := ui.HostArg(arg)
	return &Model{c: c, id: int(lastID.Add(1)), host: ui.NewHostView(c, host), states: ui.VMStates{}, selected: selected,
		search: ui.NewSearch(c, "search", "name, mode, address or a VM on it")}
}

func (m *Model) Title() string { return m.host.Title("Networks") }

func (m *Model) Keys() ui.KeyMap {
	if m.search.Typing() {
		return ui.SearchHelp
	}
	k := keys
	k.actions, k.spans = m.actions(), m.host.Name() != ""
	return k
}

func (m *Model) Help() string {
	return "The virtual networks libvirt runs on this host. NAT networks let guests reach outside through the host; " +
		"isolated ones connect guests with each other and the host only. VMS counts the VMs with an interface on a network. " +
		"Stopping a network cuts its running VMs off until they are restarted: hv asks first and names them."
}

func (m *Model) Capturing() bool { return m.search.Typing() }

// Esc clears the search before esc means back.
func (m *Model) Esc() bool {
	if m.search.Clear() {
		m.narrow() // the selection stays: no leases to fetch
		return true
	}
	return false
}

// Actions are what can be done to the selected network now.
func (m *Model) Actions() ui.Actions { return m.actions() }

func (m *Model) Init() tea.Cmd { return m.load() }

func (m *Model) load() tea.Cmd {
	id, host := m.id, m.host.Name()
	hv, err := m.host.HV()
	return func() tea.Msg {
		if err != nil {
			return loadedMsg{id: id, host: host, err: err}
		}
		ctx, cancel := m.c.Context()
		defer cancel()
		nets, err := hv.Networks(ctx)
		if err != nil {
			return loadedMsg{id: id, host: host, err: err}
		}
		vms, err := hv.List(ctx)
		return loadedMsg{id: id, host: host, nets: nets, vms: vms, err: err}
	}
}

func (m *Model) loadLeases(name string) tea.Cmd {
	id, host := m.id, m.host.Name()
	hv, err := m.host.HV()
	return func() tea.Msg {
		if err != nil {
			return leasesMsg{id: id, host: host, network: name, err: err}
		}
		ctx, cancel := m.c.Context()
		defer cancel()
		l, err := hv.Leases(ctx, name)
		return leasesMsg{id: id, host: host, network: name, leases: l, err: err}
	}
}

// show switches to host's networks, from scratch.
func (m *Model) show(host string) tea.Cmd {
	m.host = ui.NewHostView(m.c, host)
	m.all, m.nets, m.states = nil, nil, ui.VMStates{}
	m.cursor, m.offset, m.selected = 0, 0, ""
	m.leases, m.leasesFor, m.leasesErr = nil, "", nil
	m.loaded, m.loadErr = false, nil
	return m.load()
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.search.Handle(msg, m.narrow, m.key); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.key(msg)
	case loadedMsg:
		if msg.id == m.id && msg.host == m.host.Name() {
			return m.setAll(msg)
		}
	case leasesMsg:
		if msg.id == m.id && msg.host == m.host.Name() && msg.network == m.selected {
			m.leases, m.leasesFor, m.leasesErr = msg.leases, msg.network, msg.err
		}
	case ui.JobStartMsg:
		if msg.Owner == m.id {
			m.busy = msg.Busy
			return msg.Run
		}
	case ui.JobDoneMsg:
		if msg.Owner == m.id {
			m.busy = ""
			if msg.Err == nil && msg.Select != "" {
				m.selected = msg.Select
			}
			return msg.Outcome(m.load())
		}
	case ui.HostPickedMsg:
		if msg.Owner == m.id {
			return m.show(msg.Name)
		}
	case ui.VMEventMsg:
		return m.event(msg.Event)
	}
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.act(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, keys.Reload):
		return m.load()
	case key.Matches(msg, keys.Search):
		return m.search.Open()
	case key.Matches(msg, keys.Host):
		return m.host.Pick(m.id, "networks")
	}
	if c, ok := keys.Move(msg, m.cursor, len(m.nets), m.pageSize()); ok {
		m.cursor = c
		return m.follow()
	}
	return nil
}

// follow makes the network under the cursor the selection and fetches its
// leases when it changed.
func (m *Model) follow() tea.Cmd {
	m.offset = ui.Scroll(m.offset, m.cursor, len(m.nets), m.pageSize())
	n, ok := m.Selected()
	if !ok || n.Name == m.selected && m.leasesFor == n.Name {
		return nil
	}
	m.selected = n.Name
	m.leases, m.leasesFor, m.leasesErr = nil, "", nil
	if !n.Active {
		return nil
	}
	return m.loadLeases(n.Name)
}

func (m *Model) setAll(msg loadedMsg) tea.Cmd {
	m.loadErr = msg.err
	if msg.err != nil {
		return nil
	}
	m.loaded = true
	m.all = msg.nets
	m.states.Set(msg.vms)
	m.leasesFor = "" // reload them: a restart hands out new ones
	return m.narrow()
}

// narrow shows the networks the search matches, keeping the cursor on
// the selected one when it is still shown.
func (m *Model) narrow() tea.Cmd {
	m.nets = m.nets[:0]
	for _, n := range m.all {
		if m.search.Match(n.Name, n.Mode, n.IPv4, n.Bridge, strings.Join(n.UsedBy, " ")) {
			m.nets = append(m.nets, n)
		}
	}
	m.cursor = min(m.cursor, max(len(m.nets)-1, 0))
	for i, n := range m.nets {
		if n.Name == m.selected {
			m.cursor = i
		}
	}
	return m.follow()
}

// event reloads on changes to the host's networks and to the VMs on them,
// and keeps VM states current for the warnings.
func (m *Model) event(e vm.Event) tea.Cmd {
	if !m.host.Concerns(e) {
		return nil
	}
	switch e.Kind {
	case vm.EventNetwork, vm.EventReconnected, vm.EventDefined, vm.EventUndefined:
		return m.load()
	}
	m.states.Apply(e)
	return nil
}

// Selected returns the network under the cursor.
func (m *Model) Selected() (vm.Network, bool) {
	if m.cursor >= len(m.nets) {
		return vm.Network{}, false
	}
	return m.nets[m.cursor], true
}

func isUnsupported(err error) bool { return errors.Is(err, vm.ErrUnsupported) }
