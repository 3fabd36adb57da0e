package ui

import (
	"errors"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/vm"
)

// HostView is the host whose own objects (its networks, its storage) a
// screen shows when hv spans several hosts (vm/fleet), and the menu that
// switches it. With one host it is that host and adds nothing.
type HostView struct {
	c    *Common
	name string // "" when hv spans no hosts
}

// HostPickedMsg asks screen Owner to show host Name.
type HostPickedMsg struct {
	Owner int
	Name  string
}

// NewHostView shows host, or the primary one (where hv was opened) when
// host is "". A host no one is called stays named, and says so when
// reached.
func NewHostView(c *Common, host string) HostView {
	hosts := vm.HostsOf(c.HV)
	if hosts == nil {
		return HostView{c: c}
	}
	v := HostView{c: c, name: host}
	for _, h := range hosts {
		if host == "" && h.Primary || strings.EqualFold(h.Name, host) {
			v.name = h.Name
		}
	}
	return v
}

// HostArg splits a screen's argument "HOST/NAME" (how the Hosts screen
// opens a host's networks or storage, as a VM is named HOST/VM); no
// network or pool name has a slash.
func HostArg(arg string) (host, name string) {
	if h, n, ok := strings.Cut(arg, "/"); ok {
		return h, n
	}
	return "", arg
}

// Name is the host shown, "" with one host.
func (v HostView) Name() string { return v.name }

// Title is what a screen of the host's objects is called: "Networks of
// hv2" when hv spans several hosts, else base.
func (v HostView) Title(base string) string {
	if v.name == "" {
		return base
	}
	return base + " of " + v.name
}

// Hint is what a header says of the key that shows another host (the
// footer may have no room for it), "" with one host.
func (v HostView) Hint() string {
	if v.name == "" {
		return ""
	}
	return v.c.KeyLabel(Verbs.Host) + " another host"
}

// HV is the host's hypervisor, or why it cannot be reached now.
func (v HostView) HV() (vm.Hypervisor, error) {
	if v.name == "" {
		return v.c.HV, nil
	}
	return vm.Reach(v.c.HV, v.name)
}

// Concerns reports whether event e comes from the host shown: another
// host's network, pool or VM is not this screen's.
func (v HostView) Concerns(e vm.Event) bool {
	return v.name == "" || strings.EqualFold(e.Host, v.name)
}

// LoadErrorView is Common.LoadErrorView, saying when the host cannot be
// reached, and offering the other hosts when there are.
func (v HostView) LoadErrorView(what string, err error) string {
	if v.name == "" {
		return v.c.LoadErrorView(what, err)
	}
	other := "Press " + v.c.KeyLabel(Verbs.Host) + " to show another host's."
	if !errors.Is(err, vm.ErrConnLost) {
		return v.c.LoadErrorView(what, err) + "\n" + v.c.Styles.Muted.Render(other)
	}
	width := max(v.c.Width, 20)
	st := v.c.Styles
	return "\n" + ansi.Wrap(st.Danger.Render(Safe(v.name)+" cannot be reached: ")+Safe(Reason(err)), width, "") + "\n" +
		ansi.Wrap(st.Muted.Render("hv keeps trying: its "+what+" show once it answers. "+other), width, "")
}

// Pick opens the menu of hosts for screen owner, each with how it answers
// (a down or slow one with why: it can still be chosen, and is shown once
// back), what the screen lists of each naming the menu.
func (v HostView) Pick(owner int, what string) tea.Cmd {
	if v.name == "" {
		return Status(LevelInfo, "hv reaches one host: list others in ~/.config/hv/hosts.toml to see theirs")
	}
	var items []MenuItem
	for i, h := range vm.HostsOf(v.c.HV) {
		it := MenuItem{Label: Safe(h.Name), Badge: h.State.String(),
			Run: func() tea.Msg { return HostPickedMsg{Owner: owner, Name: h.Name} }}
		if i < 9 {
			it.Key = strconv.Itoa(i + 1)
		}
		var notes []string
		if h.Primary {
			notes = append(notes, "here")
		}
		if strings.EqualFold(h.Name, v.name) {
			notes = append(notes, "shown")
		}
		if len(notes) > 0 {
			it.Label += " (" + strings.Join(notes, ", ") + ")"
		}
		switch h.State {
		case vm.HostUp:
			it.Badge = v.c.HostStateStyle(h.State).Render(it.Badge)
		case vm.HostDown, vm.HostSlow:
			it.Badge = v.c.HostStateStyle(h.State).Render(ansi.Truncate(it.Badge+": "+Safe(h.Err), 40, v.c.Glyphs.Ellipsis))
			it.Tip = Safe(h.Name) + " is " + h.State.String() + ": " + Safe(h.Err) + ". Its " + what + " show once it answers; hv keeps trying."
		}
		items = append(items, it)
	}
	return func() tea.Msg { return OpenDialogMsg{Dialog: NewMenu(v.c, "Show the "+what+" of", items)} }
}

// HostStateStyle colours how a host answers: up, down, or anything in
// between (slow, not reached yet).
func (c *Common) HostStateStyle(s vm.HostState) lipgloss.Style {
	switch s {
	case vm.HostUp:
		return c.Styles.Success
	case vm.HostDown:
		return c.Styles.Danger
	}
	return c.Styles.Warning
}
