// Package host shows the machine behind the connection and what this user
// may do with it: the capability map of security/access (each thing you
// may not do with its fix, and why it needs root) and the host's checks.
package host

import (
	"context"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/security/access"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

type keyMap struct {
	ui.ListKeys
	Reload key.Binding
}

func (k keyMap) ShortHelp() []key.Binding { return []key.Binding{k.Up, k.Down, k.Reload} }
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Reload}}
}

var keys = keyMap{ListKeys: ui.DefaultListKeys, Reload: ui.Bind(ui.Verbs.Reload, "check again")}

// Diagnose finds what this user may do and checks the host; it probes
// libvirt, so the caller (cmd) provides it.
type Diagnose func(ctx context.Context) (*access.Report, error)

type (
	hostMsg struct {
		host vm.Host
		err  error
	}
	reportMsg struct {
		report *access.Report
		err    error
	}
)

// Model is the Host screen.
type Model struct {
	c        *ui.Common
	where    string
	diagnose Diagnose

	host      vm.Host
	hostErr   error
	loaded    bool
	report    *access.Report
	reportErr error
	checking  bool

	cursor int // index into items()
	offset int // first line on screen
}

// New shows the host; where is how the connection is named to people,
// diagnose nil where hv cannot probe (tests of other screens).
func New(c *ui.Common, where string, diagnose Diagnose) *Model {
	return &Model{c: c, where: where, diagnose: diagnose}
}

func (m *Model) Title() string   { return "Host" }
func (m *Model) Keys() ui.KeyMap { return keys }
func (m *Model) Init() tea.Cmd   { return tea.Batch(m.load(), m.check()) }

func (m *Model) load() tea.Cmd {
	hv := m.c.HV
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		h, err := hv.Host(ctx)
		return hostMsg{h, err}
	}
}

func (m *Model) check() tea.Cmd {
	if m.diagnose == nil {
		return nil
	}
	m.checking = true
	diagnose := m.diagnose
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		r, err := diagnose(ctx)
		return reportMsg{r, err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case hostMsg:
		m.host, m.hostErr, m.loaded = msg.host, msg.err, true
	case reportMsg:
		m.report, m.reportErr, m.checking = msg.report, msg.err, false
		m.cursor = min(m.cursor, max(len(m.items())-1, 0))
	case tea.KeyPressMsg:
		if c, ok := keys.Move(msg, m.cursor, len(m.items()), max(m.c.Height/3, 1)); ok {
			m.cursor = c
			return nil
		}
		if key.Matches(msg, keys.Reload) {
			return tea.Batch(m.load(), m.check())
		}
	case ui.VMEventMsg:
		if msg.Event.Kind == vm.EventReconnected {
			return m.load()
		}
	}
	return nil
}

// item is one line of the lists: a capability or a host check.
type item struct {
	capability *access.Capability
	check      int // index into report.Host when capability is nil
}

func (m *Model) items() []item {
	if m.report == nil {
		return nil
	}
	var out []item
	for i := range m.report.Capabilities {
		out = append(out, item{capability: &m.report.Capabilities[i]})
	}
	for i := range m.report.Host {
		out = append(out, item{check: i})
	}
	return out
}

// Focused describes the item under the cursor, for tests.
func (m *Model) Focused() string {
	items := m.items()
	if len(items) == 0 {
		return ""
	}
	if c := items[m.cursor].capability; c != nil {
		return c.ID
	}
	return m.report.Host[items[m.cursor].check].ID
}
