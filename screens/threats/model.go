// Package threats is the threat dashboard: live counts by severity, a
// timeline, top sources and targets, per-VM anomaly sparklines, and the
// findings, with their evidence shown as inert text, to acknowledge,
// resolve or answer with a playbook after confirmation. Findings come from
// the monitor service when it runs; without it, detection runs in this
// session over what the user can read, and the screen says so. The demo
// host replays a bundled sample log through the same engine.
package threats

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/monitor"
	"github.com/hyper-nixos/hv/security/threat/response"
	"github.com/hyper-nixos/hv/security/threat/store"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// RefreshInterval is how often the dashboard reads its feed.
const RefreshInterval = time.Second

// Open opens the feed for a connection; tests replace it.
var Open = func(ctx context.Context, c *ui.Common) (monitor.Feed, error) {
	return monitor.OpenFeed(ctx, monitor.FeedOptions{HV: c.HV, Demo: IsDemo(c.HV), Now: c.Now,
		AuditPath: audit.DefaultPath(stateDir()), Where: c.HV.URI()})
}

// IsDemo reports whether hv is the demo host (libvirt's test driver).
func IsDemo(hv vm.Hypervisor) bool { return hv != nil && strings.HasPrefix(hv.URI(), "test://") }

// feeds keeps one feed per connection for the life of the program: the
// dashboard is opened and left many times, and detection in-process must
// not start again (or twice) each time.
var feeds = struct {
	sync.Mutex
	m map[vm.Hypervisor]monitor.Feed
}{m: map[vm.Hypervisor]monitor.Feed{}}

func sharedFeed(ctx context.Context, c *ui.Common) (monitor.Feed, error) {
	feeds.Lock()
	defer feeds.Unlock()
	if f, ok := feeds.m[c.HV]; ok {
		return f, nil
	}
	f, err := Open(ctx, c)
	if err == nil {
		feeds.m[c.HV] = f
	}
	return f, err
}

// opened returns the feed of c's connection if it is open.
func opened(c *ui.Common) monitor.Feed {
	feeds.Lock()
	defer feeds.Unlock()
	return feeds.m[c.HV]
}

// StartedMsg says whether the session's threat feed opened.
type StartedMsg struct{ Err error }

// Start opens the threat feed of c's connection, so that detection runs
// from the start of the session whatever screen is open (the root app
// calls it once connected).
func Start(c *ui.Common) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := c.Context()
		defer cancel()
		_, err := sharedFeed(ctx, c)
		return StartedMsg{err}
	}
}

// Event hands a hypervisor event to the session's threat feed, if open:
// the root app gives it every event, whatever screen is open.
func Event(c *ui.Common, e vm.Event) {
	if f := opened(c); f != nil {
		f.Event(e)
	}
}

// NoticesMsg carries notifications sent since the last ones seen.
type NoticesMsg struct{ Notices []monitor.Notice }

// Notices returns a command that reads the notifications after the one
// numbered after, for the root app's banner.
func Notices(c *ui.Common, after int64) tea.Cmd {
	return func() tea.Msg {
		f := opened(c)
		if f == nil {
			return NoticesMsg{}
		}
		ctx, cancel := c.Context()
		defer cancel()
		ns, _ := f.Notices(ctx, after)
		return NoticesMsg{ns}
	}
}

// Banner is the status line that announces a notification.
func Banner(n monitor.Notice) ui.StatusMsg {
	text := fmt.Sprintf("%s threat: %s", strings.ToUpper(n.Severity.String()), ui.Safe(n.Title))
	if n.Who != "" {
		text += " (" + ui.Safe(n.Who) + ")"
	}
	level := ui.LevelWarning
	if n.Severity >= threat.High {
		level = ui.LevelError
	}
	return ui.StatusMsg{Text: text + ": see Threats", Level: level, TTL: 30 * time.Second}
}

// Messages, private to the screen, tagged with its id.
type (
	feedOpenedMsg struct {
		id   int
		feed monitor.Feed
		err  error
	}
	tickMsg     struct{ id int }
	snapshotMsg struct {
		id   int
		snap monitor.Snapshot
		err  error
	}
	stateSetMsg struct {
		id  int
		st  threat.State
		err error
	}
	playbookRanMsg struct {
		id     int
		action store.Action
		err    error
	}
	undoneMsg struct {
		id     int
		action store.Action
		err    error
	}
)

var lastID atomic.Int64

// Model is the dashboard.
type Model struct {
	c    *ui.Common
	id   int
	feed monitor.Feed
	err  error

	snap    monitor.Snapshot
	all     []threat.Finding // the snapshot's findings; snap.Recent is what the filter and order leave
	minSev  threat.Severity
	newest  bool // newest first instead of most severe first
	loaded  bool
	cursor  int
	offset  int
	details bool
	search  *ui.Search
	// selected keeps the cursor on the same finding as new ones arrive.
	selected int64
}

// New returns the dashboard.
func New(c *ui.Common) *Model {
	return &Model{c: c, id: int(lastID.Add(1)), minSev: threat.Low, search: ui.NewSearch(c, "search", "rule, address, user, VM or evidence")}
}

func (m *Model) Title() string { return "Threats" }

func (m *Model) Keys() ui.KeyMap {
	if m.search.Typing() {
		return ui.SearchHelp
	}
	return keys
}

func (m *Model) Capturing() bool { return m.search.Typing() }

func (m *Model) Help() string {
	return "Findings of threat detection, most severe first (o: newest first; f: raise the minimum severity; / searches): " +
		"from the monitor service when it runs, " +
		"otherwise from detection in this session over the logs you can read. Counts are by severity; " +
		"the timeline covers the last 30 minutes; sparklines show each VM's recent CPU, outbound traffic " +
		"and disk writes, marked ! when outside what the VM usually does. Evidence is shown as text: " +
		"control characters and escape sequences from logs appear spelled out, never acted on. " +
		"Playbooks run only after you confirm, those that cannot run here say why, every action is audited, " +
		"and u undoes the last action taken on a finding."
}

// Esc closes the details, then clears the search, before esc means back.
func (m *Model) Esc() bool {
	switch {
	case m.details:
		m.details = false
	case m.search.Clear():
		m.arrange()
	default:
		return false
	}
	return true
}

func (m *Model) Init() tea.Cmd {
	id, c := m.id, m.c
	return func() tea.Msg {
		ctx, cancel := c.Context()
		defer cancel()
		f, err := sharedFeed(ctx, c)
		return feedOpenedMsg{id: id, feed: f, err: err}
	}
}

func (m *Model) tick() tea.Cmd {
	id := m.id
	return m.c.Tick(RefreshInterval, func(time.Time) tea.Msg { return tickMsg{id: id} })
}

func (m *Model) refresh() tea.Cmd {
	id, f, c := m.id, m.feed, m.c
	if f == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := c.Context()
		defer cancel()
		s, err := f.Snapshot(ctx)
		return snapshotMsg{id: id, snap: s, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.search.Handle(msg, m.narrow, m.key); ok { // keys and pastes
		return cmd
	}
	switch msg := msg.(type) {
	case feedOpenedMsg:
		if msg.id != m.id {
			return nil
		}
		m.feed, m.err = msg.feed, msg.err
		return m.refresh()
	case tickMsg:
		if msg.id == m.id {
			return m.refresh()
		}
	case snapshotMsg:
		if msg.id != m.id {
			return nil
		}
		m.err = msg.err
		if msg.err == nil {
			m.snap, m.all, m.loaded = msg.snap, msg.snap.Recent, true
			m.arrange()
		}
		return m.tick()
	case stateSetMsg:
		if msg.id != m.id {
			return nil
		}
		if msg.err != nil {
			return ui.Fail(msg.err)
		}
		return tea.Batch(ui.Status(ui.LevelSuccess, "finding "+string(msg.st)), m.refresh())
	case playbookRanMsg:
		if msg.id != m.id {
			return nil
		}
		if msg.err != nil {
			return tea.Batch(ui.Fail(fmt.Errorf("playbook %s: %w", msg.action.Playbook, msg.err)), m.refresh())
		}
		return tea.Batch(ui.Status(ui.LevelSuccess, fmt.Sprintf("%s %s: %s", msg.action.Action, ui.Safe(msg.action.Target), msg.action.Result)), m.refresh())
	case undoneMsg:
		if msg.id != m.id {
			return nil
		}
		if msg.err != nil {
			return tea.Batch(ui.Fail(fmt.Errorf("undo %s %s: %w", msg.action.Action, ui.Safe(msg.action.Target), msg.err)), m.refresh())
		}
		return tea.Batch(ui.Status(ui.LevelSuccess, fmt.Sprintf("undone: %s %s", msg.action.Action, ui.Safe(msg.action.Target))), m.refresh())
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return nil
}

// narrow shows what the search matches.
func (m *Model) narrow() tea.Cmd {
	m.arrange()
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, keys.Search) {
		return m.search.Open()
	}
	n := len(m.snap.Recent)
	if c, ok := keys.Move(msg, m.cursor, n, m.listHeight()); ok {
		m.cursor = c
		m.remember()
		return nil
	}
	f, ok := m.current()
	switch {
	case key.Matches(msg, keys.Refresh):
		return m.refresh()
	case key.Matches(msg, keys.Filter):
		m.minSev = (m.minSev + 1) % (threat.Critical + 1)
		if m.minSev == threat.Info {
			m.minSev = threat.Low // info is never listed: low means all
		}
		m.arrange()
		return ui.Signal("threats-filter", m.minSev.String())
	case key.Matches(msg, keys.Order):
		m.newest = !m.newest
		m.arrange()
		if m.newest {
			return ui.Status(ui.LevelInfo, "newest first")
		}
		return ui.Status(ui.LevelInfo, "most severe first")
	case !ok:
		return nil
	case key.Matches(msg, keys.Details):
		m.details = !m.details
		if m.details {
			return ui.Signal("finding-opened", f.Rule)
		}
	case key.Matches(msg, keys.Ack):
		return m.setState(f, threat.Acknowledged)
	case key.Matches(msg, keys.Resolve):
		return m.setState(f, threat.Resolved)
	case key.Matches(msg, keys.Reopen):
		return m.setState(f, threat.Open)
	case key.Matches(msg, keys.Playbook):
		pbs := m.feed.Playbooks(f)
		if len(pbs) == 0 {
			return ui.Status(ui.LevelWarning, "no playbook applies: playbooks act on a source address or a VM")
		}
		return func() tea.Msg { return ui.OpenDialogMsg{Dialog: newPicker(m, f, pbs)} }
	case key.Matches(msg, keys.Undo):
		a, ok := m.undoable(f)
		if !ok {
			return ui.Status(ui.LevelWarning, "nothing to undo on this finding: no action was carried out on it, or it was undone")
		}
		body := fmt.Sprintf("Reverse %s on %s (playbook %s, %s)? This is written to the audit log.",
			a.Action, ui.Safe(a.Target), a.Playbook, a.Time.Format("2006-01-02 15:04"))
		confirm := ui.NewConfirm(m.c, "Undo this action?", body, true, m.undo(a))
		return func() tea.Msg { return ui.OpenDialogMsg{Dialog: confirm} }
	}
	return nil
}

// actionsOn are the actions taken on f, newest first.
func (m *Model) actionsOn(f threat.Finding) []store.Action {
	var out []store.Action
	for _, a := range m.snap.Actions {
		if a.Finding == f.ID && a.Mode != "undo" {
			out = append(out, a)
		}
	}
	return out
}

// undoable is the newest action on f that can be undone.
func (m *Model) undoable(f threat.Finding) (store.Action, bool) {
	for _, a := range m.actionsOn(f) {
		if response.Undoable(a) {
			return a, true
		}
	}
	return store.Action{}, false
}

func (m *Model) undo(a store.Action) tea.Cmd {
	id, feed, c := m.id, m.feed, m.c
	_, name, _, _ := response.UndoStep(a)
	return func() tea.Msg {
		ctx, cancel := c.Context()
		defer cancel()
		// The dialog's yes goes with the change (the hv daemon asks for
		// one before deleting a snapshot).
		ctx = vm.WithConfirmation(ctx, vm.Confirmation{How: "dialog", Name: name})
		_, err := feed.Undo(ctx, a.ID, c.User)
		return undoneMsg{id: id, action: a, err: err}
	}
}

func (m *Model) current() (threat.Finding, bool) {
	if m.cursor < 0 || m.cursor >= len(m.snap.Recent) {
		return threat.Finding{}, false
	}
	return m.snap.Recent[m.cursor], true
}

func (m *Model) remember() {
	if f, ok := m.current(); ok {
		m.selected = f.ID
	}
}

// arrange applies the severity filter and the order to the snapshot's
// findings, keeping the cursor on the same finding.
func (m *Model) arrange() {
	list := make([]threat.Finding, 0, len(m.all))
	for _, f := range m.all {
		if f.Severity >= m.minSev && m.search.Match(f.Rule, f.Title, f.IP, f.User, f.VM, f.Service, f.Evidence) {
			list = append(list, f)
		}
	}
	if !m.newest { // most severe first, newest first within a severity
		slices.SortStableFunc(list, func(a, b threat.Finding) int { return cmp.Compare(b.Severity, a.Severity) })
	}
	m.snap.Recent = list
	m.keepSelection()
}

// keepSelection puts the cursor back on the selected finding after a
// refresh shifted the list.
func (m *Model) keepSelection() {
	for i, f := range m.snap.Recent {
		if f.ID == m.selected && m.selected != 0 {
			m.cursor = i
			return
		}
	}
	m.cursor = min(m.cursor, max(len(m.snap.Recent)-1, 0))
	m.remember()
}

func (m *Model) setState(f threat.Finding, st threat.State) tea.Cmd {
	id, feed, c := m.id, m.feed, m.c
	return func() tea.Msg {
		ctx, cancel := c.Context()
		defer cancel()
		return stateSetMsg{id: id, st: st, err: feed.SetState(ctx, f, st)}
	}
}

// runPlaybook runs a playbook the operator confirmed.
func (m *Model) runPlaybook(pb response.Option, f threat.Finding) tea.Cmd {
	id, feed, c := m.id, m.feed, m.c
	return func() tea.Msg {
		ctx, cancel := c.Context()
		defer cancel()
		ctx = vm.WithConfirmation(ctx, vm.Confirmation{How: "dialog"})
		a, err := feed.RunPlaybook(ctx, pb.ID, f, c.User)
		if a.Playbook == "" {
			a.Playbook = pb.ID
		}
		return playbookRanMsg{id: id, action: a, err: err}
	}
}
