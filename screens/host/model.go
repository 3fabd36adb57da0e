// Package host shows the machine behind the connection and what this user
// may do with it.
package host

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
)

type keyMap struct{ Reload key.Binding }

func (k keyMap) ShortHelp() []key.Binding  { return []key.Binding{k.Reload} }
func (k keyMap) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Reload}} }

var keys = keyMap{Reload: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload"))}

type hostMsg struct {
	host vm.Host
	err  error
}

// Model is the Host screen.
type Model struct {
	c      *ui.Common
	where  string
	host   vm.Host
	err    error
	loaded bool
}

// New shows the host; where is how the connection is named to people.
func New(c *ui.Common, where string) *Model { return &Model{c: c, where: where} }

func (m *Model) Title() string   { return "Host" }
func (m *Model) Keys() ui.KeyMap { return keys }
func (m *Model) Init() tea.Cmd   { return m.load() }

func (m *Model) load() tea.Cmd {
	hv := m.c.HV
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		h, err := hv.Host(ctx)
		return hostMsg{h, err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case hostMsg:
		m.host, m.err, m.loaded = msg.host, msg.err, true
	case tea.KeyPressMsg:
		if key.Matches(msg, keys.Reload) {
			return m.load()
		}
	case ui.VMEventMsg:
		if msg.Event.Kind == vm.EventReconnected {
			return m.load()
		}
	}
	return nil
}

func (m *Model) View() string {
	st := m.c.Styles
	lines := []string{st.Title.Render("Host")}
	switch {
	case !m.loaded:
		return lines[0] + "\n\nReading host information" + m.c.Glyphs.Ellipsis
	case m.err != nil:
		lines = append(lines, "", st.Danger.Render("Could not read host information: ")+m.err.Error())
	default:
		h := m.host
		row := func(k, v string) string { return st.Muted.Render(fmt.Sprintf("%-18s", k)) + v }
		lines = append(lines, "",
			row("Hostname", termsafe.String(h.Hostname)),
			row("Hypervisor", fmt.Sprintf("%s %s", h.Hypervisor, h.HypervisorVer)),
			row("libvirt", h.LibvirtVersion),
			row("CPU", fmt.Sprintf("%d × %s", h.CPUs, termsafe.String(h.CPUModel))),
			row("Memory", vm.FormatKiB(h.MemoryKiB)),
		)
	}
	access := m.c.HV.Access()
	lines = append(lines, "", st.Header.Render("Your access"),
		st.Muted.Render(fmt.Sprintf("%-18s", "Connection"))+m.where,
		st.Muted.Render(fmt.Sprintf("%-18s", "User"))+termsafe.String(m.c.User),
		st.Muted.Render(fmt.Sprintf("%-18s", "Access"))+access.String(), "")
	para := lipgloss.NewStyle().Width(min(m.c.Width, 76))
	if access == vm.ReadOnly {
		lines = append(lines, para.Render(st.Warning.Render("Read-only: ")+
			"you can watch VMs but not change them. libvirt (through polkit) refused read-write access. "+
			"Ask an administrator to add your user to the operators group (services.hyper-nixos.operators), then log in again."))
	} else {
		lines = append(lines, para.Render(st.Success.Render("Read-write: ")+
			"you can manage VMs on this host without sudo."))
	}
	lines = append(lines, st.Muted.Render("The full privilege map (what needs root and why) comes with the setup wizard."))
	return strings.Join(lines, "\n")
}
