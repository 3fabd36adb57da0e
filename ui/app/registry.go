package app

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/screens/console"
	"github.com/hyper-nixos/hv/screens/create"
	"github.com/hyper-nixos/hv/screens/features"
	helpscreen "github.com/hyper-nixos/hv/screens/help"
	"github.com/hyper-nixos/hv/screens/home"
	"github.com/hyper-nixos/hv/screens/host"
	"github.com/hyper-nixos/hv/screens/networks"
	"github.com/hyper-nixos/hv/screens/snapshots"
	"github.com/hyper-nixos/hv/screens/soon"
	"github.com/hyper-nixos/hv/screens/storage"
	"github.com/hyper-nixos/hv/screens/threats"
	"github.com/hyper-nixos/hv/screens/tutorials"
	"github.com/hyper-nixos/hv/screens/vmdetail"
	"github.com/hyper-nixos/hv/screens/vms"
	"github.com/hyper-nixos/hv/screens/wizard"
	"github.com/hyper-nixos/hv/ui"
)

// open builds the screen registered as id and starts it.
func (m *Model) open(id, arg string) (ui.Screen, tea.Cmd) {
	s := m.build(id, arg)
	return s, s.Init()
}

// available reports whether id is a built screen, not a "not built yet"
// page; tutorials that need a screen wait for it.
func (m *Model) available(id string) bool {
	_, planned := m.build(id, "").(*soon.Model)
	return !planned
}

// build makes the screen registered as id; it does no I/O until Init.
func (m *Model) build(id, arg string) ui.Screen {
	var s ui.Screen
	switch id {
	case "help":
		s = helpscreen.New(m.c, arg)
	case "tutorials":
		s = tutorials.New(m.c, arg)
	case "home":
		s = home.New(m.c)
	case "vms":
		s = vms.New(m.c, arg)
	case "host":
		s = host.New(m.c, m.opts.Where, m.opts.Diagnose)
	case "vm":
		s = vmdetail.New(m.c, arg)
	case "snapshots":
		s = snapshots.New(m.c, arg)
	case "console":
		s = console.New(m.c, arg)
	case "create":
		s = create.New(m.c)
	case "clone":
		s = create.NewClone(m.c, arg)
	case "networks":
		s = networks.New(m.c, arg)
	case "storage":
		s = storage.New(m.c, arg)
	case "features":
		s = features.New(m.c, features.Options{Paths: m.opts.Host, Stage: m.opts.Stage, Applies: m.opts.Applies, Who: m.opts.Who})
	case "threats":
		s = threats.New(m.c)
	case "wizard":
		s = wizard.New(m.c, wizard.Options{Paths: m.opts.Host, Stage: m.opts.Stage, Applies: m.opts.Applies, Who: m.opts.Who,
			Diagnose: m.opts.Diagnose, Host: m.opts.HostFiles, Progress: m.opts.WizardProgress, VerifyAudit: m.opts.VerifyAudit})
	default:
		sec, ok := soon.Sections[id]
		if !ok {
			sec = soon.Section{Title: id, WillDo: fmt.Sprintf("(no screen is called %q)", id), Meanwhile: "press esc"}
		}
		s = soon.New(m.c, sec)
	}
	return s
}

// commands are what the palette offers: a registry id, or "quit".
var commands = []struct{ name, desc string }{
	{"vms", "the VM list; add a filter, e.g. vms state:running"},
	{"vm", "one VM in full: vm NAME"},
	{"console", "a VM's serial console: console NAME"},
	{"create", "make a new VM"},
	{"clone", "copy a shut-off VM: clone NAME"},
	{"snapshots", "a VM's snapshots: snapshots NAME"},
	{"home", "the console menu"},
	{"networks", "virtual networks; add a name to select it, e.g. networks default"},
	{"storage", "storage pools and volumes; add a pool to select it, e.g. storage default"},
	{"host", "this machine and your access"},
	{"features", "host features by risk: turn on, off, stage and apply"},
	{"threats", "threat dashboard: findings, anomalies, playbooks"},
	{"wizard", "setup wizard: host checks, operators, network, storage, preset, phase"},
	{"help", "help topics; help WORDS searches, help TOPIC opens one"},
	{"tutorials", "step-by-step lessons on this host"},
	{"level", "your experience level: level beginner|intermediate|expert"},
	{"quit", "leave hv"},
}

// Built reports whether the screen registered as id exists in this build
// of hv, for the CLI's list of tutorials.
func Built(id string) bool { return New(Options{}).available(id) }
