package app

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

// startOn runs the app on hv in a w×h terminal.
func startOn(t *testing.T, w, h int, hv vm.Hypervisor) *Model {
	t.Helper()
	m := New(Options{User: "operator", Term: "xterm-256color", Host: demoHostFiles(t), Where: "2 hosts",
		Connect: func(context.Context) (vm.Hypervisor, error) { return hv, nil }})
	m.Common().Tick = uitest.NoTick
	m.noEvents = true
	send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	uitest.Drain(t, update(m), m.Init())
	return m
}

// The VM list of two hosts has a HOST column; the Hosts screen says how
// each answers.
func TestGoldenTwoHosts(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("vms-%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := startOn(t, sz[0], sz[1], uitest.TwoHosts(t))
			press(t, m, "1", "o", "o", "o", "o", "o", "o", "o", "o") // ordered by host
			golden.RequireEqual(t, screen(m))
		})
		t.Run(fmt.Sprintf("hosts-%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := startOn(t, sz[0], sz[1], uitest.TwoHosts(t))
			press(t, m, "9", "down")
			golden.RequireEqual(t, screen(m))
		})
	}
}

// enter on a host lists its VMs only.
func TestAHostOpensItsVMs(t *testing.T) {
	m := startOn(t, 100, 30, uitest.TwoHosts(t))
	press(t, m, "9", "down", "enter")
	s := screen(m)
	if !strings.Contains(s, "2 of 16 shown") || !strings.Contains(s, "billing") || strings.Contains(s, "web-01") || !strings.Contains(s, "host:hv2") {
		t.Errorf("hv2's VMs:\n%s", s)
	}
}

// away is a host the test takes away and brings back: while away its
// calls fail as a lost connection does, and its loss and return are
// events, as the hv daemon's client sends them.
type away struct {
	vm.Hypervisor
	gone   atomic.Bool
	events chan vm.Event
}

func newAway(h vm.Hypervisor) *away {
	a := &away{Hypervisor: h, events: make(chan vm.Event, 16)}
	go func() {
		for e := range h.Events() {
			a.events <- e
		}
	}()
	return a
}

func (a *away) Events() <-chan vm.Event { return a.events }

func (a *away) lost() error {
	if a.gone.Load() {
		return &vm.Error{Op: "list", Kind: vm.ErrConnLost, Detail: "the hv daemon is unreachable: ssh: connect to host hv2 port 22: Connection refused"}
	}
	return nil
}

func (a *away) List(ctx context.Context) ([]vm.VM, error) {
	if err := a.lost(); err != nil {
		return nil, err
	}
	return a.Hypervisor.List(ctx)
}

func (a *away) Stats(ctx context.Context) ([]vm.Sample, error) {
	if err := a.lost(); err != nil {
		return nil, err
	}
	return a.Hypervisor.Stats(ctx)
}

func (a *away) leave() {
	a.gone.Store(true)
	a.events <- vm.Event{Kind: vm.EventConnLost, Detail: "the hv daemon went away: EOF", At: time.Now()}
}

func (a *away) back() {
	a.gone.Store(false)
	a.events <- vm.Event{Kind: vm.EventReconnected, Detail: "the hv daemon is back", At: time.Now()}
}

// waitHost waits until the fleet says host is in state s.
func waitHost(t *testing.T, hv vm.Hypervisor, host string, s vm.HostState) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, h := range vm.HostsOf(hv) {
			if h.Name == host && h.State == s {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never became %s: %+v", host, s, vm.HostsOf(hv))
}

// A host going away mid-session: the app says so, keeps working on the
// other host, and takes the host back when it returns.
func TestAHostGoingAwayKeepsTheOthersWorking(t *testing.T) {
	var hv2 *away
	hv := uitest.TwoHostsWith(t, func(h vm.Hypervisor) vm.Hypervisor { hv2 = newAway(h); return hv2 })
	m := startOn(t, 120, 30, hv)
	press(t, m, "1")
	if s := screen(m); !strings.Contains(s, "billing") || !strings.Contains(s, "web-01") {
		t.Fatalf("both hosts' VMs:\n%s", s)
	}

	hv2.leave()
	waitHost(t, hv, "hv2", vm.HostDown)
	send(t, m, ui.VMEventMsg{Event: vm.Event{Kind: vm.EventConnLost, Host: "hv2", Detail: "hv2: the hv daemon went away: EOF"}})
	press(t, m, "ctrl+r")
	s := screen(m)
	for _, want := range []string{"host hv2 went away", "Host hv2 is down (its VMs are left out)", "web-01"} {
		if !strings.Contains(s, want) {
			t.Errorf("with hv2 gone, the screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "billing") || strings.Contains(s, "reconnecting") {
		t.Errorf("hv2's VMs shown, or the whole app waits:\n%s", s)
	}
	// The other host carries on: an action there works.
	press(t, m, "/")
	send(t, m, uitest.Type("web-01")...)
	press(t, m, "enter", "p")
	if v, err := hv.Lookup(context.Background(), "lab/web-01"); err != nil || v.State != vm.StatePaused {
		t.Errorf("pausing lab's web-01 with hv2 gone: %+v %v\n%s", v, err, screen(m))
	}

	hv2.back()
	waitHost(t, hv, "hv2", vm.HostUp)
	send(t, m, ui.VMEventMsg{Event: vm.Event{Kind: vm.EventReconnected, Host: "hv2"}})
	press(t, m, "esc")
	if s := screen(m); !strings.Contains(s, "billing") || !strings.Contains(s, "host hv2 answers again") || strings.Contains(s, "is down") {
		t.Errorf("hv2 back:\n%s", s)
	}
}

// On two hosts, Networks and Storage say whose they show; the Hosts
// screen opens a host's (N, S), and H switches.
func TestGoldenTwoHostsNetworksAndStorage(t *testing.T) {
	t.Run("networks", func(t *testing.T) {
		m := startOn(t, 80, 24, uitest.TwoHosts(t))
		press(t, m, "9", "down", "N")
		golden.RequireEqual(t, screen(m))
	})
	t.Run("storage", func(t *testing.T) {
		m := startOn(t, 80, 24, uitest.TwoHosts(t))
		press(t, m, "9", "down", "S")
		golden.RequireEqual(t, screen(m))
	})
	t.Run("switch", func(t *testing.T) {
		m := startOn(t, 80, 24, uitest.TwoHosts(t))
		press(t, m, "8", "H")
		golden.RequireEqual(t, screen(m))
	})
}

// A host that is down: the switch menu says so with why, choosing it
// says it cannot be reached (no call goes to the other host instead),
// H switches on, and it shows once back.
func TestADownHostsStorageSaysSoAndLetsYouSwitchOn(t *testing.T) {
	var hv2 *away
	hv := uitest.TwoHostsWith(t, func(h vm.Hypervisor) vm.Hypervisor { hv2 = newAway(h); return hv2 })
	m := startOn(t, 100, 30, hv)
	hv2.leave()
	waitHost(t, hv, "hv2", vm.HostDown)
	send(t, m, ui.VMEventMsg{Event: vm.Event{Kind: vm.EventConnLost, Host: "hv2", Detail: "hv2: the hv daemon went away: EOF"}})
	press(t, m, "8", "H")
	if s := screen(m); !strings.Contains(s, "down: the hv daemon went away: EOF") {
		t.Errorf("the menu does not say hv2 is down and why:\n%s", s)
	}
	press(t, m, "2")
	s := screen(m)
	for _, want := range []string{"Storage of hv2", "hv2 cannot be reached: down: the hv daemon went away: EOF", "its storage pools show once it answers", "Press H to show another host's"} {
		if !strings.Contains(s, want) {
			t.Errorf("hv2 down lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "fast-ssd") {
		t.Errorf("lab's pools shown as hv2's:\n%s", s)
	}
	press(t, m, "H", "1")
	if s := screen(m); !strings.Contains(s, "Storage of lab") || !strings.Contains(s, "fast-ssd") {
		t.Errorf("switching on to lab:\n%s", s)
	}
	press(t, m, "H", "2")
	hv2.back()
	waitHost(t, hv, "hv2", vm.HostUp)
	send(t, m, ui.VMEventMsg{Event: vm.Event{Kind: vm.EventReconnected, Host: "hv2"}})
	if s := screen(m); !strings.Contains(s, "bulk") || strings.Contains(s, "cannot be reached") {
		t.Errorf("hv2 back:\n%s", s)
	}
}

// The palette completes the other hosts' networks and pools as HOST/NAME,
// and opens them there.
func TestPaletteCompletesEveryHostsNames(t *testing.T) {
	m := startOn(t, 100, 30, uitest.TwoHosts(t))
	press(t, m, ":")
	press(t, m, strings.Split("storage hv2/b", "")...)
	press(t, m, "tab")
	if s := screen(m); !strings.Contains(s, ": storage hv2/bulk") {
		t.Fatalf("tab after hv2/b:\n%s", s)
	}
	press(t, m, "enter")
	if s := screen(m); !strings.Contains(s, "Storage of hv2") || !strings.Contains(s, "Volumes of bulk") {
		t.Errorf("storage hv2/bulk:\n%s", s)
	}
	press(t, m, "esc", ":")
	press(t, m, strings.Split("networks hv2/", "")...)
	if s := screen(m); !strings.Contains(s, "hv2/backnet") {
		t.Errorf("the palette does not offer hv2's network:\n%s", s)
	}
}
