// Package vms is the VM list: every VM of the host with its state, size and
// live rates, updated by events and a stats tick, filtered and sorted.
package vms

import (
	"errors"
	"slices"
	"strconv"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/ui/vmaction"
	"github.com/hyper-nixos/hv/vm"
)

// row is one VM with what the screen derived from it.
type row struct {
	vm        vm.VM
	name      string // sanitised for the terminal
	nameWidth int    // its width in cells
	host      string // the VM's host, sanitised; "" for one host
	rates     vm.Rates
	marked    bool
}

func (r *row) has(f vm.Fields) bool { return r.vm.State.Active() && r.rates.Has&f != 0 }

// rate is v when the row has field f, else -1 so that rows without figures
// sort below idle ones.
func (r *row) rate(f vm.Fields, v float64) float64 {
	if !r.has(f) {
		return -1
	}
	return v
}

func newRow(v vm.VM) row {
	name := termsafe.String(v.Name)
	return row{vm: v, name: name, nameWidth: lipgloss.Width(name), host: termsafe.String(v.Host)}
}

// Messages, private to this screen. Ticks carry the screen's id so two
// instances never feed each other's loops.
type (
	listedMsg struct {
		id  int
		vms []vm.VM
		err error
	}
	lookedUpMsg struct {
		id  int
		ref string
		vm  vm.VM
		err error
	}
)

var lastID atomic.Int64

// Model is the VM list screen.
type Model struct {
	c  *ui.Common
	id int

	rows  []row
	byRef map[string]int // VM.Ref (its host and UUID) -> index in rows

	visible  []int  // indexes into rows, filtered and sorted
	cursor   int    // index into visible
	selected string // the Ref of the VM under the cursor
	offset   int    // first visible row on screen
	nameMax  int    // widest name, so the name column fits it and no more
	hostMax  int    // widest host name; 0 when the VMs are of one host

	sort   sortKey
	desc   bool
	filter vm.Filter
	search *ui.Search

	loaded   bool
	loadErr  error
	statsErr error
	sawStats vm.Fields // union of what stats ever reported

	actions *vmaction.Runner
	mover   *vmaction.Mover // a VM moving to another host
}

// New returns the VM list. query is an initial filter, such as
// "state:running"; a bad one opens the filter with the reason.
func New(c *ui.Common, query string) *Model {
	m := &Model{c: c, id: int(lastID.Add(1)), byRef: map[string]int{}, search: ui.NewSearch(c, "filter", "name or state:running autostart:no -web")}
	m.search.Parse = func(q string) error { _, err := vm.ParseFilter(q); return err }
	m.actions = vmaction.New(c, m.state)
	m.sawStats = c.History.Reported()
	m.mover = vmaction.NewMover(c)
	if query != "" {
		m.search.Set(query)
		m.applySearch()
	}
	return m
}

func (m *Model) Title() string { return "Virtual machines" }

func (m *Model) Keys() ui.KeyMap {
	if m.search.Typing() {
		return ui.SearchHelp
	}
	return keys
}

func (m *Model) Help() string {
	return "Every VM on this host, refreshed live: states change as libvirt reports them, " +
		"rates every " + ui.StatsInterval.String() + ". CPU% is the share of the VM's own vCPUs in use. " +
		"Actions work on the marked VMs, or on the one under the cursor; x lists them all with their risk " +
		"and why one is unavailable. Filter: " + vm.FilterHelp + "."
}

func (m *Model) Capturing() bool { return m.search.Typing() }

// Esc cancels a move under way, then clears marks, then an applied filter,
// before esc means back.
func (m *Model) Esc() bool {
	if m.mover.Esc() {
		return true
	}
	if len(m.marked()) > 0 {
		for i := range m.rows {
			m.rows[i].marked = false
		}
		return true
	}
	if m.search.Clear() {
		m.applySearch()
		return true
	}
	return false
}

func (m *Model) Init() tea.Cmd { return m.list() }

func (m *Model) list() tea.Cmd {
	hv, id := m.c.HV, m.id
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		vms, err := hv.List(ctx)
		return listedMsg{id: id, vms: vms, err: err}
	}
}

func (m *Model) lookup(ref string) tea.Cmd {
	hv, id := m.c.HV, m.id
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		v, err := hv.Lookup(ctx, ref)
		return lookedUpMsg{id: id, ref: ref, vm: v, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.mover.Update(msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		if m.search.Typing() {
			return m.typed(msg)
		}
	case listedMsg:
		if msg.id == m.id {
			m.setAll(msg.vms, msg.err)
		}
	case lookedUpMsg:
		if msg.id == m.id {
			m.looked(msg)
		}
	case ui.StatsMsg:
		m.statsErr = msg.Err
		if msg.Err == nil {
			m.ApplyStats()
		}
	case tea.WindowSizeMsg:
		m.scroll()
	case ui.VMEventMsg:
		cmd, _ := m.actions.Update(msg)
		return tea.Batch(cmd, m.event(msg.Event))
	default:
		cmd, results := m.actions.Update(msg)
		for _, r := range results {
			// Done VMs leave the selection; skipped and failed ones stay
			// marked for the next try.
			if i, ok := m.byRef[r.VM.Ref()]; ok && r.OK() {
				m.rows[i].marked = false
			}
		}
		return cmd
	}
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if m.search.Typing() {
		return m.typed(msg)
	}
	switch {
	case key.Matches(msg, keys.Filter):
		return m.search.Open()
	case key.Matches(msg, keys.Order):
		m.sort = (m.sort + 1) % sortKeys
		if m.sort == byHost && m.hostMax == 0 {
			m.sort = (m.sort + 1) % sortKeys // one host: no HOST column to order by
		}
		m.desc = m.sort != byName && m.sort != byHost // numbers and states: the most first
		m.refresh()
		return tea.Batch(ui.Status(ui.LevelInfo, "ordered by "+sortNames[m.sort]), ui.Signal("order", sortNames[m.sort]))
	case key.Matches(msg, keys.Reverse):
		m.desc = !m.desc
		m.refresh()
	case key.Matches(msg, keys.Reload):
		return m.list()
	case key.Matches(msg, keys.Mark):
		if len(m.visible) > 0 {
			r := &m.rows[m.visible[m.cursor]]
			r.marked = !r.marked
			m.move(tea.KeyPressMsg{Code: tea.KeyDown})
			return ui.Signal("marked", strconv.Itoa(len(m.marked())))
		}
	case key.Matches(msg, keys.MarkAll):
		all := true
		for _, i := range m.visible {
			all = all && m.rows[i].marked
		}
		for _, i := range m.visible {
			m.rows[i].marked = !all
		}
		return ui.Signal("marked", strconv.Itoa(len(m.marked())))
	default:
		if cmd, ok := m.actionKey(msg); ok {
			return cmd
		}
		m.move(msg)
	}
	return nil
}

// typed hands a key or paste to the open filter field.
func (m *Model) typed(msg tea.Msg) tea.Cmd {
	cmd, res := m.search.Update(msg)
	switch res {
	case ui.SearchMove:
		m.move(msg.(tea.KeyPressMsg))
	case ui.SearchKept:
		if q := m.search.Query(); q != "" {
			return ui.Signal("filter", q)
		}
	case ui.SearchTyped, ui.SearchCleared:
		m.applySearch()
	}
	return cmd
}

// applySearch filters by the query; terms that do not parse are shown
// with the reason and left out.
func (m *Model) applySearch() {
	m.filter, _ = vm.ParseFilter(m.search.Query())
	m.refresh()
}

func (m *Model) move(msg tea.KeyPressMsg) {
	if c, ok := keys.Move(msg, m.cursor, len(m.visible), m.pageSize()); ok {
		m.cursor = c
		if c < len(m.visible) {
			m.selected = m.rows[m.visible[c]].vm.Ref()
		}
		m.scroll()
	}
}

// setAll replaces every row with a fresh list, keeping samples and rates of
// VMs that are still there.
func (m *Model) setAll(vms []vm.VM, err error) {
	m.loadErr = err
	if err != nil {
		return
	}
	m.loaded = true
	old, oldIdx := m.rows, m.byRef
	m.rows = make([]row, 0, len(vms))
	m.byRef = make(map[string]int, len(vms))
	for _, v := range vms {
		r := newRow(v)
		if i, ok := oldIdx[v.Ref()]; ok {
			r.rates, r.marked = old[i].rates, old[i].marked
		}
		m.byRef[v.Ref()] = len(m.rows)
		m.rows = append(m.rows, r)
	}
	m.refresh()
}

func (m *Model) looked(msg lookedUpMsg) {
	i, ok := m.byRef[msg.ref]
	switch {
	case errors.Is(msg.err, vm.ErrNotFound):
		if ok {
			m.remove(i)
		}
	case msg.err != nil:
		return // the next event or reload brings it
	case ok:
		fresh := newRow(msg.vm)
		r := &m.rows[i]
		r.vm, r.name, r.nameWidth, r.host = fresh.vm, fresh.name, fresh.nameWidth, fresh.host
	default:
		m.byRef[msg.ref] = len(m.rows)
		m.rows = append(m.rows, newRow(msg.vm))
	}
	m.refresh()
}

func (m *Model) remove(i int) {
	delete(m.byRef, m.rows[i].vm.Ref())
	m.rows = slices.Delete(m.rows, i, i+1)
	for j := i; j < len(m.rows); j++ {
		m.byRef[m.rows[j].vm.Ref()] = j
	}
}

// event applies a hypervisor event at once, then asks libvirt for the VM's
// full record, since an event does not carry sizes or autostart.
func (m *Model) event(e vm.Event) tea.Cmd {
	switch e.Kind {
	case vm.EventReconnected:
		return m.list() // libvirt, or one of several hosts, is back
	case vm.EventConnLost, vm.EventNetwork, vm.EventPool:
		return nil
	case vm.EventUndefined:
		// A running VM stays on as a transient one: let the lookup decide.
		return m.lookup(e.Ref())
	}
	if st, ok := e.State(); ok {
		if i, found := m.byRef[e.Ref()]; found {
			r := &m.rows[i]
			r.vm.State = st
			if !st.Active() {
				r.rates = vm.Rates{}
			}
			m.refresh()
		}
	}
	return m.lookup(e.Ref())
}

// ApplyStats takes the latest rates and states from the shared history,
// which the app feeds with one bulk reading per tick.
func (m *Model) ApplyStats() {
	h := m.c.History
	for i := range m.rows {
		r := &m.rows[i]
		r.rates, _ = h.Latest(r.vm.UUID)
		if s, ok := h.Sample(r.vm.UUID); ok && s.State != vm.StateUnknown {
			r.vm.State = s.State
		}
	}
	m.sawStats |= h.Reported()
	m.refresh()
}

// refresh recomputes the visible rows and keeps the cursor on the same VM.
func (m *Model) refresh() {
	m.visible = m.visible[:0]
	m.nameMax, m.hostMax = 0, 0
	for i := range m.rows {
		m.nameMax = max(m.nameMax, m.rows[i].nameWidth)
		m.hostMax = max(m.hostMax, lipgloss.Width(m.rows[i].host))
		if m.filter.Match(m.rows[i].vm) {
			m.visible = append(m.visible, i)
		}
	}
	slices.SortFunc(m.visible, func(a, b int) int {
		c := compare(m.sort, &m.rows[a], &m.rows[b])
		if m.desc {
			return -c
		}
		return c
	})
	m.cursor = min(m.cursor, max(len(m.visible)-1, 0))
	if m.selected != "" {
		for pos, i := range m.visible {
			if m.rows[i].vm.Ref() == m.selected {
				m.cursor = pos
				break
			}
		}
	}
	if len(m.visible) > 0 {
		m.selected = m.rows[m.visible[m.cursor]].vm.Ref()
	}
	m.scroll()
}

// Selected returns the VM under the cursor.
func (m *Model) Selected() (vm.VM, bool) {
	if len(m.visible) == 0 {
		return vm.VM{}, false
	}
	return m.rows[m.visible[m.cursor]].vm, true
}

// pageSize is the number of table rows that fit.
func (m *Model) pageSize() int { return max(m.c.Height-m.chromeLines(), 1) }

// chromeLines are the lines around the table rows: title, filter, header,
// a note about missing statistics, and the marks line.
func (m *Model) chromeLines() int {
	n := 2
	if len(m.marked()) > 0 {
		n++
	}
	if m.mover.Moving() {
		n++
	}
	if m.hostsNote() != "" {
		n++
	}
	if m.search.Active() {
		n++
	}
	if m.statsNote() != "" {
		n++
	}
	return n + m.hintLines()
}

// hintLines is the room the level's hint takes under the table.
func (m *Model) hintLines() int {
	switch m.c.Level {
	case help.Beginner:
		return 3 // a blank line, the state, what can be done
	case help.Intermediate:
		return 2
	}
	return 0
}

// scroll moves the window so the cursor stays in view.
func (m *Model) scroll() { m.offset = ui.Scroll(m.offset, m.cursor, len(m.visible), m.pageSize()) }
