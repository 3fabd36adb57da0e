package vms

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/vmaction"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// marked returns the marked VMs in the order shown.
func (m *Model) marked() []vm.VM {
	var out []vm.VM
	for _, i := range m.visible {
		if m.rows[i].marked {
			out = append(out, m.rows[i].vm)
		}
	}
	return out
}

// targets are what an action applies to: the marked VMs, else the one
// under the cursor.
func (m *Model) targets() []vm.VM {
	if t := m.marked(); len(t) > 0 {
		return t
	}
	if v, ok := m.Selected(); ok {
		return []vm.VM{v}
	}
	return nil
}

// state tells the action runner what the list knows of a VM.
func (m *Model) state(uuid string) (vm.State, bool) {
	for i := range m.rows {
		if m.rows[i].vm.UUID == uuid {
			return m.rows[i].vm.State, true
		}
	}
	return vm.StateUnknown, false
}

// actionKey runs the action or opens the screen a key stands for.
func (m *Model) actionKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if key.Matches(msg, keys.New) {
		if why := m.c.ReadOnlyWhy(); why != "" {
			return ui.Status(ui.LevelWarning, "Cannot create a VM: "+why), true
		}
		return ui.Navigate("create", ""), true
	}
	v, ok := m.Selected()
	if !ok {
		return nil, false
	}
	k := vmaction.Keys
	switch {
	case key.Matches(msg, k.Clone):
		if why := cloneUnavailable(v, m.c.Access()); why != "" {
			return ui.Status(ui.LevelWarning, "Cannot clone "+ui.Safe(v.Name)+": "+why), true
		}
		return ui.Navigate("clone", v.Ref()), true
	case key.Matches(msg, keys.Details):
		return ui.Navigate("vm", v.Ref()), true
	case key.Matches(msg, k.Console):
		return vmaction.Console(m.c, v), true
	case key.Matches(msg, k.Snapshots):
		return ui.Navigate("snapshots", v.Ref()), true
	case key.Matches(msg, keys.MoveTo):
		return m.mover.Offer(v), true
	case key.Matches(msg, k.Actions):
		items := []ui.MenuItem{
			{Key: keys.Details.Help().Key, Label: "Details", Run: ui.Navigate("vm", v.Ref()), Tip: "Hardware, addresses, activity and events of " + ui.Safe(v.Name) + "."},
			vmaction.ConsoleItem(m.c, v),
			{Key: k.Snapshots.Help().Key, Label: "Snapshots", Run: ui.Navigate("snapshots", v.Ref()), Tip: "Points in time of the VM to go back to."},
		}
		if len(vm.HostsOf(m.c.HV)) > 1 {
			items = append(items, ui.MenuItem{Key: keys.MoveTo.Help().Key, Label: "Move to another host", Run: m.mover.Offer(v), Disabled: m.mover.Unavailable(v),
				Tip: "Live with its disks when it runs, offline when it is shut off; esc cancels while it moves."})
		}
		return tea.Batch(m.actions.Menu(v, m.targets(), items), ui.Signal("action-menu", v.Name)), true
	}
	if a, ok := vmaction.ForKey(msg, v); ok {
		if len(m.marked()) > 0 && a == ops.Resume {
			a = ops.Pause // on marked VMs, p pauses; resume is in the menu
		}
		return m.actions.Act(a, m.targets()), true
	}
	return nil, false
}

// cloneUnavailable says why v cannot be cloned now, or "".
func cloneUnavailable(v vm.VM, access vm.Access) string {
	switch {
	case !access.Writable():
		return access.Why()
	case v.State.Active():
		return v.Name + " is " + v.State.String() + ": shut it down first"
	}
	return ""
}
