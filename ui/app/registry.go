package app

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/screens/console"
	"github.com/hyper-nixos/hv/screens/create"
	"github.com/hyper-nixos/hv/screens/features"
	helpscreen "github.com/hyper-nixos/hv/screens/help"
	"github.com/hyper-nixos/hv/screens/home"
	"github.com/hyper-nixos/hv/screens/host"
	"github.com/hyper-nixos/hv/screens/hosts"
	"github.com/hyper-nixos/hv/screens/networks"
	"github.com/hyper-nixos/hv/screens/snapshots"
	"github.com/hyper-nixos/hv/screens/storage"
	"github.com/hyper-nixos/hv/screens/threats"
	"github.com/hyper-nixos/hv/screens/tutorials"
	"github.com/hyper-nixos/hv/screens/vmdetail"
	"github.com/hyper-nixos/hv/screens/vms"
	"github.com/hyper-nixos/hv/screens/wizard"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// Arg is what a route's argument names, so that the palette can complete
// it from the host.
type Arg int

const (
	NoArg     Arg = iota
	VMArg         // a VM's name
	NetArg        // a network's name
	PoolArg       // a pool's name
	TopicArg      // a help topic
	TutorArg      // a tutorial
	FilterArg     // a VM filter query (VM names complete it)
)

// Route is one screen of the app: its id (the palette's command, the key
// of the registry, what tutorials and help name), what it is for, what its
// argument names, and how it is built. One table serves the registry, the
// palette, the keyboard cheatsheet and the tutorials.
type Route struct {
	ID   string
	Desc string // what the palette says of it
	Arg  Arg
	// Example is an argument for the cheatsheet's and tests' builds; ""
	// for none. A VM's is looked up on the demo host.
	Example string
	build   func(m *Model, arg string) ui.Screen
}

// Routes lists every screen, in the order the palette shows them.
var Routes = []Route{
	{ID: "home", Desc: "the console menu", build: func(m *Model, _ string) ui.Screen { return home.New(m.c) }},
	{ID: "vms", Desc: "the VM list; add a filter, e.g. vms state:running", Arg: FilterArg,
		build: func(m *Model, arg string) ui.Screen { return vms.New(m.c, arg) }},
	{ID: "vm", Desc: "one VM in full: vm NAME", Arg: VMArg, Example: "web-01",
		build: func(m *Model, arg string) ui.Screen { return vmdetail.New(m.c, arg) }},
	{ID: "console", Desc: "a VM's serial console: console NAME", Arg: VMArg, Example: "web-01",
		build: func(m *Model, arg string) ui.Screen { return console.New(m.c, arg) }},
	{ID: "snapshots", Desc: "a VM's snapshots: snapshots NAME", Arg: VMArg, Example: "web-01",
		build: func(m *Model, arg string) ui.Screen { return snapshots.New(m.c, arg) }},
	{ID: "create", Desc: "make a new VM", build: func(m *Model, _ string) ui.Screen { return create.New(m.c) }},
	{ID: "clone", Desc: "copy a shut-off VM: clone NAME", Arg: VMArg, Example: "backup",
		build: func(m *Model, arg string) ui.Screen { return create.NewClone(m.c, arg) }},
	{ID: "networks", Desc: "virtual networks; add a name to select it, e.g. networks default", Arg: NetArg,
		build: func(m *Model, arg string) ui.Screen { return networks.New(m.c, arg) }},
	{ID: "storage", Desc: "storage pools and volumes; add a pool to select it, e.g. storage default", Arg: PoolArg,
		build: func(m *Model, arg string) ui.Screen { return storage.New(m.c, arg) }},
	{ID: "host", Desc: "this machine and your access",
		build: func(m *Model, _ string) ui.Screen { return host.New(m.c, m.opts.Where, m.opts.Diagnose) }},
	{ID: "hosts", Desc: "every host you reach: up, slow or down, phase, VMs, load, version",
		build: func(m *Model, _ string) ui.Screen { return hosts.New(m.c) }},
	{ID: "features", Desc: "host features by risk: turn on, off, stage and apply",
		build: func(m *Model, _ string) ui.Screen {
			return features.New(m.c, features.Options{Paths: m.opts.Host, Stage: m.opts.Stage, Applies: m.opts.Applies, Who: m.opts.Who})
		}},
	{ID: "threats", Desc: "threat dashboard: findings, anomalies, playbooks",
		build: func(m *Model, _ string) ui.Screen { return threats.New(m.c) }},
	{ID: "wizard", Desc: "setup wizard: host checks, operators, network, storage, preset, phase",
		build: func(m *Model, _ string) ui.Screen {
			return wizard.New(m.c, wizard.Options{Paths: m.opts.Host, Stage: m.opts.Stage, Applies: m.opts.Applies, Who: m.opts.Who,
				Diagnose: m.opts.Diagnose, Host: m.opts.HostFiles, Progress: m.opts.WizardProgress, VerifyAudit: m.opts.VerifyAudit})
		}},
	{ID: "help", Desc: "help topics; help WORDS searches, help TOPIC opens one", Arg: TopicArg,
		build: func(m *Model, arg string) ui.Screen { return helpscreen.New(m.c, arg) }},
	{ID: "tutorials", Desc: "step-by-step lessons on this host", Arg: TutorArg,
		build: func(m *Model, arg string) ui.Screen { return tutorials.New(m.c, arg) }},
}

// RouteOf finds the route called id.
func RouteOf(id string) (Route, bool) {
	for _, r := range Routes {
		if r.ID == id {
			return r, true
		}
	}
	return Route{}, false
}

// open builds the screen of route r and starts it.
func (m *Model) open(r Route, arg string) (ui.Screen, tea.Cmd) {
	s := r.build(m, arg)
	return s, s.Init()
}

// The threat dashboard's feed, run for the whole session (Options.
// WatchThreats): detection sees every hypervisor event whatever screen is
// open, and every notification a playbook sends shows as a banner.
type (
	threatsStartedMsg = threats.StartedMsg
	threatNoticesMsg  = threats.NoticesMsg
	noticeTickMsg     struct{}
)

// noticeEvery is how often the banner looks for new notifications.
const noticeEvery = 5 * time.Second

func (m *Model) watchThreats() tea.Cmd {
	if !m.opts.WatchThreats {
		return nil
	}
	return threats.Start(m.c)
}

// threatEvent hands an event to the threat feed, if one is open.
func threatEvent(c *ui.Common, e vm.Event) { threats.Event(c, e) }

func (m *Model) threatNotices(msg tea.Msg) tea.Cmd {
	tick := m.c.Tick(noticeEvery, func(time.Time) tea.Msg { return noticeTickMsg{} })
	switch msg := msg.(type) {
	case threats.StartedMsg:
		if msg.Err != nil {
			return nil // the dashboard says why when opened
		}
		return threats.Notices(m.c, m.notice)
	case noticeTickMsg:
		return threats.Notices(m.c, m.notice)
	case threats.NoticesMsg:
		if n := len(msg.Notices); n > 0 {
			last := msg.Notices[n-1]
			m.notice = last.ID
			b := threats.Banner(last)
			if n > 1 {
				b.Text = fmt.Sprintf("%d threat notifications; latest: %s", n, b.Text)
			}
			m.setStatus(b)
			return tea.Batch(tick, m.expireStatus())
		}
	}
	return tick
}
