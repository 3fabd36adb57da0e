package vmaction

import (
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// ConsoleUnavailable says why v's serial console cannot be opened now, or
// "": libvirt opens consoles for read-write connections only, and of
// running VMs.
func ConsoleUnavailable(v vm.VM, access vm.Access) string {
	switch {
	case !access.Writable():
		return access.Why()
	case !v.State.Active():
		return v.Name + " is " + v.State.String()
	}
	return ""
}

// Console opens v's console, or says why it cannot.
func Console(c *ui.Common, v vm.VM) tea.Cmd {
	if why := ConsoleUnavailable(v, c.HV.Access()); why != "" {
		return ui.Refuse("Cannot open the console of "+ui.Safe(v.Name)+": "+ui.Safe(why), refusalTopic(c.HV.Access()))
	}
	return ui.Navigate("console", v.Ref())
}

// ConsoleItem is the console's line in a VM's action menu.
func ConsoleItem(c *ui.Common, v vm.VM) ui.MenuItem {
	return ui.MenuItem{Key: Keys.Console.Help().Key, Label: "Serial console", Run: ui.Navigate("console", v.Ref()),
		Disabled: ConsoleUnavailable(v, c.HV.Access()), Tip: "Type into the VM's serial port; ctrl+] or F10 leaves."}
}
