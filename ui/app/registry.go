package app

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/screens/console"
	"github.com/hyper-nixos/hv/screens/home"
	"github.com/hyper-nixos/hv/screens/host"
	"github.com/hyper-nixos/hv/screens/snapshots"
	"github.com/hyper-nixos/hv/screens/soon"
	"github.com/hyper-nixos/hv/screens/vmdetail"
	"github.com/hyper-nixos/hv/screens/vms"
	"github.com/hyper-nixos/hv/ui"
)

// open builds the screen registered as id.
func (m *Model) open(id, arg string) (ui.Screen, tea.Cmd) {
	var s ui.Screen
	switch id {
	case "home":
		s = home.New(m.c)
	case "vms":
		s = vms.New(m.c, arg)
	case "host":
		s = host.New(m.c, m.opts.Where)
	case "vm":
		s = vmdetail.New(m.c, arg)
	case "snapshots":
		s = snapshots.New(m.c, arg)
	case "console":
		s = console.New(m.c, arg)
	default:
		sec, ok := soon.Sections[id]
		if !ok {
			sec = soon.Section{Title: id, WillDo: fmt.Sprintf("(no screen is called %q)", id), Meanwhile: "press esc"}
		}
		s = soon.New(m.c, sec)
	}
	return s, s.Init()
}

// commands are what the palette offers: a registry id, or "quit".
var commands = []struct{ name, desc string }{
	{"vms", "the VM list; add a filter, e.g. vms state:running"},
	{"vm", "one VM in full: vm NAME"},
	{"console", "a VM's serial console: console NAME"},
	{"snapshots", "a VM's snapshots: snapshots NAME"},
	{"home", "the console menu"},
	{"host", "this machine and your access"},
	{"features", "host features by risk (not built yet)"},
	{"threats", "threat dashboard (not built yet)"},
	{"wizard", "setup wizard (not built yet)"},
	{"help", "help and tutorials (not built yet)"},
	{"quit", "leave hv"},
}
