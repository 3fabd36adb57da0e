// Package vmdetail is one VM in full: its hardware, addresses, live
// activity over the last minutes, recent events, and every action.
package vmdetail

import (
	"errors"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/vmaction"
	"github.com/hyper-nixos/hv/vm"
)

// addressEvery is how many stats ticks pass between address lookups: the
// guest agent and ARP are slower to ask than the bulk statistics.
const addressEvery = 5

type (
	detailsMsg struct {
		id  int
		d   vm.Details
		err error
	}
	addressesMsg struct {
		id    int
		addrs []vm.Address
		err   error
	}
)

var lastID atomic.Int64

// Model is the detail screen of one VM.
type Model struct {
	c   *ui.Common
	id  int
	ref string // the UUID asked for

	d       vm.Details
	loaded  bool
	err     error
	addrs   []vm.Address
	addrErr error
	ticks   int

	actions *vmaction.Runner
}

// New shows the VM whose UUID (or name) is ref.
func New(c *ui.Common, ref string) *Model {
	m := &Model{c: c, id: int(lastID.Add(1)), ref: ref}
	m.actions = vmaction.New(c, func(string) (vm.State, bool) { return m.d.State, m.loaded })
	return m
}

func (m *Model) Title() string {
	if m.loaded {
		return ui.Safe(m.d.Name)
	}
	return "VM"
}

func (m *Model) Keys() ui.KeyMap { return keys }

func (m *Model) Help() string {
	return "Everything about one VM. Addresses come from DHCP leases of libvirt's networks, " +
		"the QEMU guest agent, or the host's ARP table, and say which. The activity lines show the last " +
		"minutes of the shared statistics, newest on the right. Actions use the same keys as the VM list."
}

func (m *Model) Init() tea.Cmd { return tea.Batch(m.load(), m.loadAddresses()) }

func (m *Model) load() tea.Cmd {
	hv, id, ref := m.c.HV, m.id, m.ref
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		d, err := hv.Details(ctx, ref)
		return detailsMsg{id, d, err}
	}
}

func (m *Model) loadAddresses() tea.Cmd {
	hv, id, ref := m.c.HV, m.id, m.ref
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		a, err := hv.Addresses(ctx, ref)
		return addressesMsg{id, a, err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case detailsMsg:
		if msg.id == m.id {
			m.err = msg.err
			if msg.err == nil {
				m.d, m.loaded, m.ref = msg.d, true, msg.d.Ref()
			}
		}
	case editedMsg:
		if msg.id == m.id {
			return m.edited(msg)
		}
	case deviceDoneMsg:
		if msg.id == m.id {
			return m.deviceDone(msg)
		}
	case addressesMsg:
		if msg.id == m.id {
			m.addrs, m.addrErr = msg.addrs, msg.err
		}
	case ui.StatsMsg:
		m.ticks++
		if m.ticks%addressEvery == 0 && m.d.State.Active() {
			return m.loadAddresses()
		}
	case ui.VMEventMsg:
		cmd, _ := m.actions.Update(msg)
		e := msg.Event
		if e.UUID == m.d.UUID || e.Kind == vm.EventReconnected {
			if st, ok := e.State(); ok {
				m.d.State = st
			}
			return tea.Batch(cmd, m.load(), m.loadAddresses())
		}
		return cmd
	case tea.KeyPressMsg:
		return m.key(msg)
	default:
		cmd, _ := m.actions.Update(msg)
		return cmd
	}
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if !m.loaded {
		return nil
	}
	v, k := m.d.VM, vmaction.Keys
	switch {
	case key.Matches(msg, keys.Reload):
		return tea.Batch(m.load(), m.loadAddresses())
	case key.Matches(msg, k.Console):
		return vmaction.Console(m.c, v)
	case key.Matches(msg, k.Snapshots):
		return ui.Navigate("snapshots", v.UUID)
	case key.Matches(msg, keys.Edit):
		return m.edit()
	case key.Matches(msg, k.Actions):
		return tea.Batch(ui.Signal("action-menu", v.Name), m.actions.Menu(v, []vm.VM{v}, append([]ui.MenuItem{
			vmaction.ConsoleItem(m.c, v),
			{Key: k.Snapshots.Help().Key, Label: "Snapshots", Run: ui.Navigate("snapshots", v.UUID)},
			{Key: keys.Edit.Help().Key, Label: "Edit vCPUs and memory", Run: m.edit()},
		}, m.deviceItems()...)))
	}
	if a, ok := vmaction.ForKey(msg, v); ok {
		return m.actions.Act(a, []vm.VM{v})
	}
	return nil
}

// gone reports whether the VM no longer exists (deleted meanwhile).
func (m *Model) gone() bool { return errors.Is(m.err, vm.ErrNotFound) }
