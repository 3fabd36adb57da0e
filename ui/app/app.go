// Package app is the root model of the TUI: connection state, the screen
// stack, the dialog overlay, the header, footer and status bar, and the
// registry of screens (the one place ui reaches into screens).
package app

import (
	"context"
	"errors"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/access"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/security/hostcheck"
	secphase "github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// Options configure the app.
type Options struct {
	// Connect opens the hypervisor; called at start and on each retry.
	Connect func(ctx context.Context) (vm.Hypervisor, error)
	// Where names the connection for people: a URI, or the demo label.
	Where string
	User  string
	Term  string // $TERM, to pick glyphs the console can draw
	// Start is the first screen's registry id ("home" when empty) and Arg its argument.
	Start, Arg string
	// Only, when set, is the one screen this app shows (with help topics):
	// the first-boot wizard runs as root on a console nobody logged in to,
	// so it must not lead to the rest of hv.
	Only string

	// Settings and Progress are the operator's level and tutorial
	// progress as loaded; changes are saved to SettingsPath and
	// ProgressPath (not saved when empty, as in tests). PrefsErr is why
	// loading failed, shown once connected.
	Settings                   help.Settings
	Progress                   help.Progress
	SettingsPath, ProgressPath string
	PrefsErr                   error

	// Host are the host-contract files the Features screen works on.
	Host nix.Paths
	// Stage stages a host-file change and starts its apply (the hv
	// daemon's for operators); Applies: the host has an apply service.
	Stage   hostchange.Func
	Applies bool
	// RecordAnswer writes the answer to a dangerous question to the
	// audit trail; nil records nothing.
	RecordAnswer func(action, target, answer string) error
	// Diagnose finds what this user may do, and checks the host, for the
	// Host screen; nil where hv cannot probe.
	Diagnose func(ctx context.Context) (*access.Report, error)
	// WizardProgress is where the setup wizard saves its answers between
	// steps ("" saves nothing); VerifyAudit checks the trail before
	// hardening; HostFiles what it reads for its choices (interfaces,
	// users) and disk check.
	WizardProgress string
	VerifyAudit    func(ctx context.Context) (int, error)
	HostFiles      hostcheck.Paths
	// Who is running hv: root may make host changes operators may not.
	Who secphase.Who
	// WatchThreats opens the threat feed once connected, so detection
	// runs for the whole session whatever screen is open, and shows a
	// banner for every notification a playbook sends.
	WatchThreats bool
	// Phase is the security phase of the applied host file ("" when there
	// is none): the status bar shows it and the screens obey it.
	Phase string
}

type phase int

const (
	connecting phase = iota
	unreachable
	ready
)

// Messages of the root.
type (
	connectedMsg struct {
		hv  vm.Hypervisor
		err error
	}
	statusExpiredMsg struct{ seq int }
	statsTickMsg     struct{}
	statsReadMsg     struct {
		samples []vm.Sample
		err     error
	}
)

// Model is the root of the TUI.
type Model struct {
	opts  Options
	c     *ui.Common
	keys  ui.GlobalKeys
	width int
	high  int

	phase   phase
	connErr error

	stack  []ui.Screen
	ids    []string // the route of each screen on the stack
	args   []string // and the argument it was opened with
	dialog ui.Dialog

	// strip is how many lines the tutorial strip takes above the footer.
	strip int
	// errTopic shows the help topic of the connection error, full screen.
	errTopic *ui.TopicView

	// noEvents leaves hypervisor events unread: tests that drive the app
	// message by message send the events they mean instead.
	noEvents bool

	status    ui.StatusMsg
	statusSeq int
	footerErr error
	lost      string // why the connection dropped, while reconnecting
	notice    int64  // the last threat notification shown
}

// New builds the root model; it connects in Init.
func New(opts Options) *Model {
	if opts.Start == "" {
		opts.Start = "home"
	}
	m := &Model{opts: opts, c: ui.NewCommon(nil, opts.User, opts.Term), keys: ui.DefaultGlobalKeys}
	m.c.Level = opts.Settings.Level
	m.c.Tutorials = help.NewTracker(m.c.Help.Tutorials, opts.Progress)
	m.c.Phase = secphase.Of(opts.Phase)
	m.c.RecordAnswer = opts.RecordAnswer
	return m
}

// Common exposes the shared state, for tests that fix the clock or ticks.
func (m *Model) Common() *ui.Common { return m.c }

// Hypervisor returns the open connection, or nil.
func (m *Model) Hypervisor() vm.Hypervisor { return m.c.HV }

func (m *Model) Init() tea.Cmd { return m.connect() }

func (m *Model) connect() tea.Cmd {
	m.phase = connecting
	open := m.opts.Connect
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		hv, err := open(ctx)
		return connectedMsg{hv, err}
	}
}

// phaseReadMsg carries the security phase of the applied host file.
type phaseReadMsg struct{ phase string }

// readPhase re-reads the phase that binds: the daemon's, when a daemon
// enforces it, else the applied host file's (after an apply, say).
func (m *Model) readPhase() tea.Cmd {
	path, hv, c := m.opts.Host.Host, m.c.HV, m.c
	return func() tea.Msg {
		if e, ok := hv.(vm.Enforcer); ok {
			ctx, cancel := c.Context()
			defer cancel()
			p, err := e.EnforcedPhase(ctx)
			if err != nil {
				return phaseReadMsg{}
			}
			return phaseReadMsg{p}
		}
		h, _, err := nix.ReadHost(path)
		if err != nil {
			return phaseReadMsg{}
		}
		return phaseReadMsg{h.Phase}
	}
}

// readStats reads every VM's counters in one bulk call. The app owns this
// tick so that screens share one reading (and one history) per interval.
func (m *Model) readStats() tea.Cmd {
	hv := m.c.HV
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		s, err := hv.Stats(ctx)
		return statsReadMsg{s, err}
	}
}

// waitEvent delivers the next hypervisor event as a message.
func (m *Model) waitEvent(ch <-chan vm.Event) tea.Cmd {
	if m.noEvents {
		return nil
	}
	return func() tea.Msg { return ui.VMEventMsg{Event: <-ch} }
}

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.high = msg.Width, msg.Height
		m.layout()
		return m, m.broadcast(msg)

	case connectedMsg:
		if msg.err != nil {
			m.phase, m.connErr = unreachable, msg.err
			return m, nil
		}
		m.phase, m.connErr, m.c.HV, m.errTopic = ready, nil, msg.hv, nil
		m.popTo(-1)
		cmds := []tea.Cmd{m.navigate(m.opts.Start, m.opts.Arg), m.waitEvent(msg.hv.Events()), m.readStats(), m.watchThreats()}
		if _, ok := msg.hv.(vm.Enforcer); ok {
			cmds = append(cmds, m.readPhase())
		}
		if err := m.opts.PrefsErr; err != nil {
			m.opts.PrefsErr = nil
			m.setStatus(ui.StatusMsg{Text: err.Error(), Level: ui.LevelError, TTL: 30 * time.Second, Topic: help.ErrorTopic(err)})
			cmds = append(cmds, m.expireStatus())
		}
		return m, tea.Batch(cmds...)

	case statsTickMsg:
		return m, m.readStats()

	case statsReadMsg:
		if msg.err == nil {
			m.c.History.Add(msg.samples)
		}
		return m, tea.Batch(m.broadcast(ui.StatsMsg{Err: msg.err}), m.c.Tick(ui.StatsInterval, func(time.Time) tea.Msg { return statsTickMsg{} }))

	case ui.VMEventMsg:
		m.c.Events.Add(msg.Event)
		threatEvent(m.c, msg.Event)
		e := msg.Event
		switch {
		case e.Host != "" && e.Kind == vm.EventConnLost:
			// One of several hosts: the others carry on.
			m.setStatus(ui.StatusMsg{Text: "host " + e.Host + " went away (" + e.Detail + "): its VMs are left out until it is back; the other hosts carry on",
				Level: ui.LevelWarning, TTL: 15 * time.Second, Topic: help.TopicHosts})
		case e.Host != "" && e.Kind == vm.EventReconnected:
			m.setStatus(ui.StatusMsg{Text: "host " + e.Host + " answers again", Level: ui.LevelSuccess, TTL: 5 * time.Second})
		case e.Kind == vm.EventConnLost:
			m.lost = e.Detail
		case e.Kind == vm.EventReconnected:
			m.lost = ""
			text := "reconnected to libvirt"
			if _, daemon := m.c.HV.(vm.Enforcer); daemon && e.Detail != "" {
				text = e.Detail // the hv daemon is back, or its events started again
			}
			m.setStatus(ui.StatusMsg{Text: text, Level: ui.LevelSuccess, TTL: 5 * time.Second})
		}
		return m, tea.Batch(m.broadcast(msg), m.waitEvent(m.c.HV.Events()), m.expireStatus(),
			m.observe(help.VMEvent(msg.Event)))

	case threatsStartedMsg, threatNoticesMsg, noticeTickMsg:
		return m, m.threatNotices(msg)

	case ui.NavigateMsg:
		if m.opts.Only != "" && msg.To != m.opts.Only && msg.To != "help" {
			if msg.To == "home" {
				return m, tea.Quit // done: the only screen asked to leave
			}
			m.setStatus(ui.StatusMsg{Text: "only the " + m.opts.Only + " is offered here: log in to use the rest of hv", Level: ui.LevelWarning})
			return m, m.expireStatus()
		}
		return m, m.navigate(msg.To, msg.Arg)

	case ui.SignalMsg:
		return m, m.observe(help.SignalSent(msg.Name, msg.Arg))

	case ui.SetLevelMsg:
		return m, m.setLevel(msg.Level)

	case ui.TutorialMsg:
		return m, m.tutorial(msg)

	case prefsSavedMsg:
		if msg.err != nil {
			m.footerErr = msg.err
		}
		return m, nil

	case ui.BackMsg:
		m.back()
		return m, nil

	case ui.HostAppliedMsg:
		return m, m.readPhase()

	case phaseReadMsg:
		if msg.phase != "" {
			m.opts.Phase, m.c.Phase = msg.phase, secphase.Of(msg.phase)
		}
		return m, nil

	case ui.StatusMsg:
		m.setStatus(msg)
		return m, m.expireStatus()

	case statusExpiredMsg:
		if msg.seq == m.statusSeq {
			m.status = ui.StatusMsg{}
		}
		return m, nil

	case ui.ErrorMsg:
		m.footerErr = msg.Err
		return m, nil

	case ui.OpenDialogMsg:
		m.dialog = msg.Dialog
		return m, nil

	case namesMsg:
		if p, ok := m.dialog.(*palette); ok {
			p.learned(msg)
		}
		return m, nil

	case tea.KeyPressMsg:
		return m, m.key(msg)

	case tea.PasteMsg:
		if m.dialog != nil {
			_, cmd := m.dialog.Update(msg)
			return m, cmd
		}
		if top := m.top(); top != nil {
			return m, top.Update(msg)
		}
	}
	return m, m.broadcast(msg)
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if r, ok := m.top().(ui.Raw); ok && r.Raw() && m.dialog == nil {
		return m.top().Update(msg)
	}
	if key.Matches(msg, m.keys.ForceQuit) {
		return tea.Quit
	}
	if m.phase != ready {
		return m.keyUnready(msg)
	}
	if m.dialog != nil {
		done, cmd := m.dialog.Update(msg)
		if done {
			m.dialog = nil
		}
		return cmd
	}
	failed := m.footerErr
	m.footerErr = nil
	top := m.top()
	if c, ok := top.(ui.Capturer); ok && c.Capturing() {
		return top.Update(msg)
	}
	switch {
	case key.Matches(msg, m.keys.Help):
		return m.help(failed)
	case key.Matches(msg, m.keys.Palette):
		m.dialog = newPalette(m.c)
		return m.dialog.(*palette).focus()
	case key.Matches(msg, m.keys.Back):
		if e, ok := top.(ui.Escaper); ok && e.Esc() {
			return nil
		}
		m.back()
	case key.Matches(msg, m.keys.Quit):
		m.dialog = ui.NewConfirm(m.c, "Quit hv?", "VMs keep running; only this console closes.", false, tea.Quit)
	default:
		return top.Update(msg)
	}
	return nil
}

// navigate opens the screen of route id. A screen already on the stack is
// gone back to, not opened again: rebuilt with arg when arg names
// something else, kept as it was otherwise. So the stack holds each route
// once, and "home" always leads back to the bottom.
func (m *Model) navigate(id, arg string) tea.Cmd {
	r, ok := RouteOf(id)
	if !ok {
		return ui.Status(ui.LevelWarning, "no screen is called "+ui.Safe(id))
	}
	for i := len(m.ids) - 1; i >= 0; i-- {
		if m.ids[i] != id {
			continue
		}
		if arg == "" || arg == m.args[i] {
			m.popTo(i)
			return m.observe(help.ScreenOpened(id))
		}
		m.popTo(i - 1)
		break
	}
	s, cmd := m.open(r, arg)
	m.stack, m.ids, m.args = append(m.stack, s), append(m.ids, id), append(m.args, arg)
	return tea.Batch(cmd, m.observe(help.ScreenOpened(id)))
}

// keyUnready handles keys while there is no connection: retry, quit, and
// the help topic of the error.
func (m *Model) keyUnready(msg tea.KeyPressMsg) tea.Cmd {
	if m.errTopic != nil {
		if follow, used := m.errTopic.Update(msg, m.high-4); follow != "" {
			if t, ok := m.c.Help.Topics.Topic(follow); ok {
				m.errTopic.SetTopic(t)
			}
		} else if !used && (msg.String() == "esc" || msg.String() == "?" || msg.String() == "q") {
			m.errTopic = nil
		}
		return nil
	}
	switch msg.String() {
	case "r", "enter":
		if m.phase == unreachable {
			return m.connect()
		}
	case "?":
		if m.phase == unreachable {
			t, _ := m.c.Help.Topics.Topic(help.ErrorTopic(m.connErr))
			m.errTopic = ui.NewTopicView(m.c, t)
		}
	case "q", "esc":
		return tea.Quit
	}
	return nil
}

// help answers '?': the whole of the error just shown, or of the status
// message when it has a topic or was cut, with its topic a key away; else
// the screen's help.
func (m *Model) help(failed error) tea.Cmd {
	switch {
	case failed != nil:
		m.dialog = newNotice(m.c, "Error", failed.Error(), failed, help.ErrorTopic(failed))
		return nil
	case m.status.Topic != "" || m.statusCut():
		s := m.status
		m.status = ui.StatusMsg{}
		m.dialog = newNotice(m.c, "Message", s.Text, nil, s.Topic)
		return nil
	}
	id := m.ids[len(m.ids)-1]
	hc := ui.HelpContext{Step: m.stepMarkdown()}
	if t, ok := m.c.Help.Topics.ForScreen(id); ok {
		hc.Topic = t
	}
	m.dialog = ui.NewHelpDialog(m.c, m.top(), m.keys, hc)
	return m.observe(help.SignalSent("help-opened", id))
}

func (m *Model) top() ui.Screen {
	if len(m.stack) == 0 {
		return nil
	}
	return m.stack[len(m.stack)-1]
}

func (m *Model) back() {
	if len(m.stack) > 1 {
		m.popTo(len(m.stack) - 2)
	}
}

// popTo closes the screens above the i-th (all of them for -1).
func (m *Model) popTo(i int) {
	for j := len(m.stack) - 1; j > i; j-- {
		if c, ok := m.stack[j].(ui.Closer); ok {
			c.Close()
		}
		m.stack[j] = nil
	}
	m.stack, m.ids, m.args = m.stack[:i+1], m.ids[:i+1], m.args[:i+1]
}

// broadcast hands a message to every screen on the stack: data and events
// must reach screens that are not on top, or their loops would stop.
func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(m.stack))
	for _, s := range m.stack {
		cmds = append(cmds, s.Update(msg))
	}
	return tea.Batch(cmds...)
}

func (m *Model) setStatus(s ui.StatusMsg) {
	if s.TTL == 0 {
		s.TTL = 5 * time.Second
	}
	m.status = s
	m.statusSeq++
}

func (m *Model) expireStatus() tea.Cmd {
	if m.status.Text == "" {
		return nil
	}
	seq := m.statusSeq
	return m.c.Tick(m.status.TTL, func(time.Time) tea.Msg { return statusExpiredMsg{seq} })
}

// connectError returns the connection failure explained, if it is one.
func connectError(err error) (*vm.ConnectError, bool) {
	var ce *vm.ConnectError
	ok := errors.As(err, &ce)
	return ce, ok
}
