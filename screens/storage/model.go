// Package storage is the storage pools of the host with the volumes of the
// selected one: sizes and free space, start, stop and autostart of pools,
// and creating, copying and deleting volumes.
package storage

import (
	"strings"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// Messages, private to this screen; each carries the screen's id.
type (
	poolsMsg struct {
		id    int
		host  string
		pools []vm.Pool
		vms   []vm.VM
		err   error
	}
	volumesMsg struct {
		id   int
		host string
		pool string
		vols []vm.Volume
		err  error
	}
)

type pane int

const (
	poolsPane pane = iota
	volumesPane
)

var lastID atomic.Int64

// Model is the Storage screen.
type Model struct {
	c    *ui.Common
	id   int
	host ui.HostView // whose storage

	pools      []vm.Pool
	states     ui.VMStates // for what stopping a pool breaks
	poolCursor int
	poolOffset int
	pool       string // selected pool's name, kept across reloads

	allVols   []vm.Volume // of the selected pool
	vols      []vm.Volume // those the search shows
	search    *ui.Search
	volsFor   string // pool the volumes belong to
	volsErr   error
	volCursor int
	volOffset int
	vol       string // selected volume's name

	focus   pane
	busy    string
	copying *copyState
	loaded  bool
	loadErr error
}

// New returns the Storage screen; arg names the pool to select ("" for
// the first), HOST/POOL (or HOST/) one of another host.
func New(c *ui.Common, arg string) *Model {
	host, pool := ui.HostArg(arg)
	return &Model{c: c, id: int(lastID.Add(1)), host: ui.NewHostView(c, host), states: ui.VMStates{}, pool: pool,
		search: ui.NewSearch(c, "search", "volume name, format or a VM using it")}
}

func (m *Model) Title() string { return m.host.Title("Storage") }

func (m *Model) Keys() ui.KeyMap {
	if m.search.Typing() {
		return ui.SearchHelp
	}
	k := keys
	k.actions, k.spans = m.actions(), m.host.Name() != ""
	return k
}

func (m *Model) Help() string {
	return "Storage pools are where VM disks and install images live; each pool's volumes are listed below it. " +
		"SIZE is what a volume can grow to, ON DISK what it takes now. hv refuses a new volume larger than the pool's free space: " +
		"volumes grow into that space, and a pool that fills up pauses every VM writing to it. " +
		"A volume that is a VM's disk cannot be deleted here; deleting one asks you to type its name."
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

// Actions are what can be done to the selected pool and volume now.
func (m *Model) Actions() ui.Actions { return m.actions() }

func (m *Model) Init() tea.Cmd { return m.loadPools() }

func (m *Model) loadPools() tea.Cmd {
	id, host := m.id, m.host.Name()
	hv, err := m.host.HV()
	return func() tea.Msg {
		if err != nil {
			return poolsMsg{id: id, host: host, err: err}
		}
		ctx, cancel := m.c.Context()
		defer cancel()
		pools, err := hv.Pools(ctx)
		if err != nil {
			return poolsMsg{id: id, host: host, err: err}
		}
		vms, err := hv.List(ctx)
		return poolsMsg{id: id, host: host, pools: pools, vms: vms, err: err}
	}
}

func (m *Model) loadVolumes(pool string) tea.Cmd {
	id, host := m.id, m.host.Name()
	hv, err := m.host.HV()
	return func() tea.Msg {
		if err != nil {
			return volumesMsg{id: id, host: host, pool: pool, err: err}
		}
		ctx, cancel := m.c.Context()
		defer cancel()
		vols, err := hv.Volumes(ctx, pool)
		return volumesMsg{id: id, host: host, pool: pool, vols: vols, err: err}
	}
}

// show switches to host's storage, from scratch; not while a copy runs,
// whose progress this screen shows.
func (m *Model) show(host string) tea.Cmd {
	if cp := m.copying; cp != nil {
		return ui.Status(ui.LevelWarning, "A copy of "+ui.Safe(cp.src)+" is running on "+ui.Safe(m.host.Name())+": "+keys.Copy.Help().Key+" cancels it, or wait for it to end")
	}
	m.host = ui.NewHostView(m.c, host)
	m.pools, m.states, m.poolCursor, m.poolOffset, m.pool = nil, ui.VMStates{}, 0, 0, ""
	m.allVols, m.vols, m.volsFor, m.volsErr = nil, nil, "", nil
	m.volCursor, m.volOffset, m.vol, m.focus = 0, 0, "", poolsPane
	m.loaded, m.loadErr = false, nil
	return m.loadPools()
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.search.Handle(msg, m.narrow, m.key); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.key(msg)
	case poolsMsg:
		if msg.id == m.id && msg.host == m.host.Name() {
			return m.setPools(msg)
		}
	case volumesMsg:
		if msg.id == m.id && msg.host == m.host.Name() && msg.pool == m.pool {
			m.setVolumes(msg)
		}
	case ui.JobStartMsg:
		if msg.Owner == m.id {
			m.busy = msg.Busy
			return msg.Run
		}
	case ui.JobDoneMsg:
		if msg.Owner == m.id {
			m.busy = ""
			return m.ended(msg)
		}
	case copyStartedMsg:
		if msg.id == m.id {
			cp := msg.cp
			m.copying = &cp
			return msg.run
		}
	case copyDoneMsg:
		if msg.id == m.id {
			m.copying = nil
			return m.ended(msg.JobDoneMsg)
		}
	case copyProgressMsg:
		if msg.id == m.id {
			return m.progress(msg)
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

// ended reloads after a job or a copy, with the cursor on the volume it
// made.
func (m *Model) ended(msg ui.JobDoneMsg) tea.Cmd {
	if msg.Select != "" && msg.Err == nil {
		m.vol, m.focus = msg.Select, volumesPane
	}
	m.volsFor = "" // sizes changed: reload the volumes too
	return msg.Outcome(m.loadPools())
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.act(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, keys.Reload):
		m.volsFor = ""
		return m.loadPools()
	case key.Matches(msg, keys.Search):
		m.focus = volumesPane
		return m.search.Open()
	case key.Matches(msg, keys.Host):
		return m.host.Pick(m.id, "storage pools")
	case key.Matches(msg, keys.Pane):
		if m.focus == poolsPane && len(m.vols) > 0 {
			m.focus = volumesPane
		} else {
			m.focus = poolsPane
		}
		return nil
	case msg.String() == "enter" && m.focus == poolsPane && len(m.vols) > 0:
		m.focus = volumesPane
		return nil
	}
	if m.focus == volumesPane {
		if c, ok := keys.Move(msg, m.volCursor, len(m.vols), m.volPage()); ok {
			m.volCursor = c
			m.vol = m.vols[c].Name
			m.volOffset = ui.Scroll(m.volOffset, c, len(m.vols), m.volPage())
		}
		return nil
	}
	if c, ok := keys.Move(msg, m.poolCursor, len(m.pools), m.poolPage()); ok {
		m.poolCursor = c
		return m.followPool()
	}
	return nil
}

// followPool makes the pool under the cursor the selection and loads its
// volumes when it changed.
func (m *Model) followPool() tea.Cmd {
	m.poolOffset = ui.Scroll(m.poolOffset, m.poolCursor, len(m.pools), m.poolPage())
	p, ok := m.SelectedPool()
	if !ok || p.Name == m.pool && m.volsFor == p.Name {
		return nil
	}
	if p.Name != m.pool {
		m.vol, m.volCursor, m.volOffset = "", 0, 0
	}
	m.pool = p.Name
	m.allVols, m.vols, m.volsFor, m.volsErr = nil, nil, "", nil
	if !p.Active {
		m.volsFor = p.Name
		m.focus = poolsPane
		return nil
	}
	return m.loadVolumes(p.Name)
}

func (m *Model) setPools(msg poolsMsg) tea.Cmd {
	m.loadErr = msg.err
	if msg.err != nil {
		return nil
	}
	m.loaded = true
	m.pools = msg.pools
	m.states.Set(msg.vms)
	m.poolCursor = min(m.poolCursor, max(len(m.pools)-1, 0))
	for i, p := range m.pools {
		if p.Name == m.pool {
			m.poolCursor = i
		}
	}
	m.volsFor = ""
	return m.followPool()
}

func (m *Model) setVolumes(msg volumesMsg) {
	m.allVols, m.volsFor, m.volsErr = msg.vols, msg.pool, msg.err
	m.narrow()
}

// narrow shows the volumes the search matches, keeping the cursor on the
// selected one when it is still shown.
func (m *Model) narrow() tea.Cmd {
	m.vols = m.vols[:0]
	for _, v := range m.allVols {
		if m.search.Match(v.Name, v.Format, strings.Join(v.UsedBy, " ")) {
			m.vols = append(m.vols, v)
		}
	}
	m.volCursor = min(m.volCursor, max(len(m.vols)-1, 0))
	for i, v := range m.vols {
		if v.Name == m.vol {
			m.volCursor = i
		}
	}
	if len(m.vols) == 0 && !m.search.Active() {
		m.focus = poolsPane
	} else if len(m.vols) > 0 {
		m.vol = m.vols[m.volCursor].Name
	}
	m.volOffset = ui.Scroll(m.volOffset, m.volCursor, len(m.vols), m.volPage())
	return nil
}

// event reloads on pool changes and on VMs coming and going (disk users),
// and keeps VM states current for the warnings.
func (m *Model) event(e vm.Event) tea.Cmd {
	if !m.host.Concerns(e) {
		return nil // another host's
	}
	switch e.Kind {
	case vm.EventPool, vm.EventReconnected, vm.EventDefined, vm.EventUndefined:
		m.volsFor = ""
		return m.loadPools()
	}
	m.states.Apply(e)
	return nil
}

// SelectedPool returns the pool under the cursor.
func (m *Model) SelectedPool() (vm.Pool, bool) {
	if m.poolCursor >= len(m.pools) {
		return vm.Pool{}, false
	}
	return m.pools[m.poolCursor], true
}

// SelectedVolume returns the volume under the cursor of the volumes pane.
func (m *Model) SelectedVolume() (vm.Volume, bool) {
	if m.volsFor != m.pool || m.volCursor >= len(m.vols) {
		return vm.Volume{}, false
	}
	return m.vols[m.volCursor], true
}
