package app

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/demo"
)

// start runs the app on a fresh demo host in a w×h terminal.
func start(t *testing.T, w, h int) *Model {
	t.Helper()
	return startWith(t, w, h, Options{User: "operator", Term: "xterm-256color", Host: demoHostFiles(t)})
}

// startWith runs the app with opts on a fresh demo host in a w×h terminal.
func startWith(t *testing.T, w, h int, opts Options) *Model {
	t.Helper()
	opts.Connect = func(ctx context.Context) (vm.Hypervisor, error) {
		hv, err := demo.Open(ctx)
		if err == nil {
			t.Cleanup(func() { hv.Close() })
		}
		return hv, err
	}
	opts.Where = demo.Label
	m := New(opts)
	m.Common().Tick = uitest.NoTick
	m.noEvents = true
	send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	uitest.Drain(t, update(m), m.Init())
	return m
}

// demoHostFiles gives the test a private copy of the demo host's files.
func demoHostFiles(t *testing.T) nix.Paths {
	t.Helper()
	p, err := nix.PrepareDir(t.TempDir(), content.DemoHostTOML)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func update(m *Model) func(tea.Msg) tea.Cmd {
	return func(msg tea.Msg) tea.Cmd {
		_, cmd := m.Update(msg)
		return cmd
	}
}

func send(t *testing.T, m *Model, msgs ...tea.Msg) {
	t.Helper()
	for _, msg := range msgs {
		_, cmd := m.Update(msg)
		uitest.Drain(t, update(m), cmd)
	}
}

func press(t *testing.T, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		send(t, m, uitest.Key(k))
	}
}

// screen is the terminal as a colourless terminal shows it, with the
// machine's hostname (which the test driver reports) made constant.
func screen(m *Model) string {
	s := uitest.Plain(m.Render())
	if h := uitest.Hostname(); h != "" {
		s = strings.ReplaceAll(s, h+" "+ui.UnicodeGlyphs.Sep, "<hostname> "+ui.UnicodeGlyphs.Sep)
	}
	return s
}

var sizes = [][2]int{{80, 24}, {120, 40}}

func TestGoldenHome(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := start(t, sz[0], sz[1])
			golden.RequireEqual(t, screen(m))
		})
	}
}

func TestGoldenFeatures(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := start(t, sz[0], sz[1])
			press(t, m, "2", "j", "j", "space")
			golden.RequireEqual(t, screen(m))
		})
	}
}

// The three sizes hv is drawn at on purpose: a small window, the Linux
// console, a large terminal.
var allSizes = [][2]int{{60, 20}, {80, 24}, {120, 40}}

func TestGoldenVMList(t *testing.T) {
	for _, sz := range allSizes {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := start(t, sz[0], sz[1])
			press(t, m, "1")
			golden.RequireEqual(t, screen(m))
		})
	}
}

// A dialog at each size: the action menu of every VM marked, the tallest
// a newcomer opens.
func TestGoldenActionMenu(t *testing.T) {
	for _, sz := range allSizes {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := start(t, sz[0], sz[1])
			press(t, m, "1", "*", "x")
			golden.RequireEqual(t, screen(m))
		})
	}
}

func TestGoldenCannotReachLibvirt(t *testing.T) {
	calls := 0
	m := New(Options{
		Connect: func(context.Context) (vm.Hypervisor, error) {
			calls++
			return nil, &vm.ConnectError{URI: "qemu:///system", Cause: vm.CauseNoDaemon,
				Detail: "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory"}
		},
		Where: "qemu:///system", User: "operator", Term: "linux",
	})
	send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	uitest.Drain(t, update(m), m.Init())
	golden.RequireEqual(t, screen(m))
	press(t, m, "r")
	if calls != 2 {
		t.Errorf("r should retry the connection: %d attempts", calls)
	}
}

func TestNavigationAndBack(t *testing.T) {
	m := start(t, 100, 30)
	press(t, m, "down", "enter")
	if got := m.top().Title(); got != "Features" {
		t.Fatalf("enter on the second item opened %q", got)
	}
	if s := screen(m); !strings.Contains(s, "phase setup") || !strings.Contains(s, "Nested virtualisation") {
		t.Errorf("the Features screen should show the demo host's features:\n%s", s)
	}
	press(t, m, "esc", "4")
	if s := screen(m); !strings.Contains(s, "Setup wizard  1/9 Welcome") {
		t.Errorf("4 opens the setup wizard:\n%s", s)
	}
	press(t, m, "esc")
	press(t, m, "6")
	if s := screen(m); !strings.Contains(s, "read-write") || !strings.Contains(s, "libvirt") {
		t.Errorf("the Host screen should show the host and the access:\n%s", s)
	}
	press(t, m, "esc", "esc")
	if len(m.stack) != 1 {
		t.Errorf("esc on the home screen should stay there, stack %d deep", len(m.stack))
	}
}

func TestHelpShowsTheScreensKeys(t *testing.T) {
	m := start(t, 100, 36)
	m.c.Level = help.Expert // beginners read the screen's topic first, keys below
	press(t, m, "1", "?")
	s := screen(m)
	for _, want := range []string{"Help: Virtual machines", "Keys on this screen", "filter", "reverse order", "force off", "mark all shown", "Everywhere", "command"} {
		if !strings.Contains(s, want) {
			t.Errorf("help lacks %q:\n%s", want, s)
		}
	}
	press(t, m, "esc")
	if m.dialog != nil {
		t.Error("esc should close the help")
	}
	if len(m.stack) != 2 {
		t.Error("esc on the help dialog must not also go back")
	}
}

func TestPaletteOpensAFilteredList(t *testing.T) {
	m := start(t, 100, 30)
	press(t, m, ":")
	for _, k := range uitest.Type("vms state:paused") {
		send(t, m, k)
	}
	press(t, m, "enter")
	s := screen(m)
	if !strings.Contains(s, "filter: state:paused") || !strings.Contains(s, "dev-sandbox") || strings.Contains(s, "web-01") {
		t.Errorf("':vms state:paused' should open the list filtered:\n%s", s)
	}
}

func TestQuitAsksFirst(t *testing.T) {
	m := start(t, 80, 24)
	press(t, m, "q")
	if !strings.Contains(screen(m), "Quit hv?") {
		t.Fatalf("q should ask:\n%s", screen(m))
	}
	press(t, m, "n")
	if m.dialog != nil {
		t.Fatal("n should close the question")
	}
	press(t, m, "q")
	_, cmd := m.Update(uitest.Key("y"))
	if cmd == nil || fmt.Sprintf("%T", cmd()) != "tea.QuitMsg" {
		t.Error("y should quit")
	}
}

func TestTypingAFilterDoesNotTriggerGlobalKeys(t *testing.T) {
	m := start(t, 100, 30)
	press(t, m, "1", "/", "q", "?", ":")
	if m.dialog != nil {
		t.Fatal("keys typed into the filter opened a dialog")
	}
	if !strings.Contains(screen(m), "/ q?:") {
		t.Errorf("the typed text should be in the field:\n%s", screen(m))
	}
}

func TestConnectionLossShowsInTheStatusBar(t *testing.T) {
	m := start(t, 120, 30)
	send(t, m, ui.VMEventMsg{Event: vm.Event{Kind: vm.EventConnLost, Detail: "libvirtd closed the connection"}})
	if s := screen(m); !strings.Contains(s, "reconnecting: libvirtd closed the connection") {
		t.Errorf("status bar should say the connection is being re-established:\n%s", s)
	}
	send(t, m, ui.VMEventMsg{Event: vm.Event{Kind: vm.EventReconnected}})
	if s := screen(m); strings.Contains(s, "reconnecting") || !strings.Contains(s, "reconnected to libvirt") {
		t.Errorf("status bar should say it is back:\n%s", s)
	}
}

// rawScreen stands for an open serial console: every key goes to it.
type rawScreen struct{}

func (rawScreen) Init() tea.Cmd           { return nil }
func (rawScreen) Update(tea.Msg) tea.Cmd  { return nil }
func (rawScreen) View() string            { return "guest output" }
func (rawScreen) Title() string           { return "Console" }
func (rawScreen) Keys() ui.KeyMap         { return rawKeys{} }
func (rawScreen) Raw() bool               { return true }
func (rawKeys) ShortHelp() []key.Binding  { return []key.Binding{rawLeave} }
func (rawKeys) FullHelp() [][]key.Binding { return [][]key.Binding{{rawLeave}} }

type rawKeys struct{}

var rawLeave = key.NewBinding(key.WithKeys("f10"), key.WithHelp("F10", "leave"))

// TestRawScreenFooterOffersOnlyItsOwnKeys: while a console takes every
// key, the footer must not promise ? help, : command, esc back or q quit.
func TestRawScreenFooterOffersOnlyItsOwnKeys(t *testing.T) {
	m := start(t, 120, 30)
	m.stack, m.ids = append(m.stack, rawScreen{}), append(m.ids, "console")
	s := screen(m)
	if !strings.Contains(s, "F10 leave") {
		t.Fatalf("the footer should show the screen's own keys:\n%s", s)
	}
	for _, global := range []string{"q quit", "esc back", ": command", "? help"} {
		if strings.Contains(s, global) {
			t.Errorf("the footer offers %q, which goes to the guest:\n%s", global, s)
		}
	}
}

func TestFooterErrorLastsUntilTheNextKey(t *testing.T) {
	m := start(t, 120, 30)
	send(t, m, ui.ErrorMsg{Err: &vm.Error{Op: "start", Target: "web-01", Kind: vm.ErrDenied}})
	s := screen(m)
	if !strings.Contains(s, "Error: start web-01: permission denied") || !strings.Contains(s, "operators group") {
		t.Errorf("the footer should show the error and its fix:\n%s", s)
	}
	press(t, m, "down")
	if strings.Contains(screen(m), "Error:") {
		t.Error("the error should clear on the next key")
	}
}

func TestLinuxConsoleUsesOnlyASCIIChrome(t *testing.T) {
	m := New(Options{
		Connect: func(ctx context.Context) (vm.Hypervisor, error) { return demo.Open(ctx) },
		Where:   demo.Label, User: "operator", Term: "linux",
	})
	m.Common().Tick = uitest.NoTick
	m.noEvents = true
	send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	uitest.Drain(t, update(m), m.Init())
	t.Cleanup(func() { m.Hypervisor().Close() })
	press(t, m, "1")
	for _, r := range screen(m) {
		if r > 0x7e {
			t.Fatalf("TERM=linux frame holds %q, which the console font may lack:\n%s", r, screen(m))
		}
	}
}

// TestFirstBootShowsTheWizardOnly: run on a console nobody logged in to,
// the first-boot wizard leads nowhere else, and quits when it is done.
func TestFirstBootShowsTheWizardOnly(t *testing.T) {
	m := startWith(t, 80, 24, Options{User: "root", Term: "linux", Host: demoHostFiles(t), Start: "wizard", Only: "wizard"})
	if m.top().Title() != "Setup wizard" {
		t.Fatalf("the first screen is %q", m.top().Title())
	}
	for _, to := range []string{"vms", "features", "host"} {
		send(t, m, ui.NavigateMsg{To: to})
		if len(m.stack) != 1 || !strings.Contains(m.status.Text, "only the wizard is offered here") {
			t.Errorf("navigating to %s: stack %d deep, status %q", to, len(m.stack), m.status.Text)
		}
	}
	send(t, m, ui.NavigateMsg{To: "help", Arg: "setup-wizard"})
	if m.top().Title() == "Setup wizard" {
		t.Error("its help stays readable")
	}
	if _, cmd := m.Update(ui.NavigateMsg{To: "home"}); cmd == nil || cmd() != tea.Quit() {
		t.Error("leaving the wizard quits hv")
	}
}

// TestStatusBarFollowsAnAppliedPhase: after an apply the status bar shows
// the phase of the host file now applied, not the one read at start.
func TestStatusBarFollowsAnAppliedPhase(t *testing.T) {
	paths := demoHostFiles(t)
	m := startWith(t, 120, 30, Options{User: "operator", Term: "xterm-256color", Host: paths, Phase: "setup"})
	if !strings.Contains(screen(m), "phase: setup") {
		t.Fatalf("status bar:\n%s", screen(m))
	}
	h, data, err := nix.ReadHost(paths.Host)
	if err != nil {
		t.Fatal(err)
	}
	h.Phase = "hardened"
	if _, err := nix.WriteHost(paths.Host, h, data); err != nil {
		t.Fatal(err)
	}
	send(t, m, ui.HostAppliedMsg{})
	if !strings.Contains(screen(m), "phase: hardened") || m.Common().Phase.String() != "hardened" {
		t.Errorf("after the apply the status bar should say hardened:\n%s", screen(m))
	}
}

// Going to a screen already open goes back to it instead of piling up
// copies: ':vms' from the VM list, ':home' from deep down, and the
// finished wizard's way home, after which esc cannot reach the wizard.
func TestNavigationReplacesOrPops(t *testing.T) {
	m := start(t, 100, 30)
	press(t, m, "1")
	press(t, m, ":")
	press(t, m, strings.Split("vms", "")...)
	press(t, m, "enter")
	if got := strings.Join(m.ids, ","); got != "home,vms" {
		t.Errorf("':vms' on the VM list: stack %s", got)
	}
	press(t, m, ":")
	press(t, m, strings.Split("vms state:paused", "")...)
	press(t, m, "enter")
	if got := strings.Join(m.ids, ","); got != "home,vms" || !strings.Contains(screen(m), "2 of 14 shown") {
		t.Errorf("':vms state:paused' on the VM list: stack %s\n%s", got, screen(m))
	}
	press(t, m, "enter", ":")
	press(t, m, strings.Split("home", "")...)
	press(t, m, "enter")
	if got := strings.Join(m.ids, ","); got != "home" {
		t.Errorf("':home' from a VM's details: stack %s", got)
	}
	press(t, m, "4")
	send(t, m, ui.NavigateMsg{To: "home"}) // what the finished wizard's enter sends
	if got := strings.Join(m.ids, ","); got != "home" {
		t.Errorf("home from the wizard: stack %s", got)
	}
	press(t, m, "esc")
	if got := m.top().Title(); got != "Home" {
		t.Errorf("esc on the home screen went to %q", got)
	}
}

// enforcing is a backend that enforces its own phase, as the hv daemon does.
type enforcing struct {
	vm.Hypervisor
	phase string
}

func (e enforcing) EnforcedPhase(context.Context) (string, error) { return e.phase, nil }

// TestTheDaemonsPhaseBinds: through the hv daemon, the phase shown and
// obeyed is the one the daemon enforces, not a host file this user reads.
func TestTheDaemonsPhaseBinds(t *testing.T) {
	m := New(Options{
		Connect: func(ctx context.Context) (vm.Hypervisor, error) {
			hv, err := demo.Open(ctx)
			return enforcing{hv, "hardened"}, err
		},
		Where: "hv daemon at /run/hv/hv.sock", User: "operator", Term: "xterm-256color", Host: demoHostFiles(t),
	})
	m.Common().Tick = uitest.NoTick
	m.noEvents = true
	send(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	uitest.Drain(t, update(m), m.Init())
	t.Cleanup(func() { m.Hypervisor().Close() })
	if m.Common().Phase != "hardened" || !strings.Contains(screen(m), "phase: hardened") {
		t.Errorf("the phase the daemon enforces is not the one shown and obeyed (%s):\n%s", m.Common().Phase, screen(m))
	}
}
