package monitor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/anomaly"
	"github.com/hyper-nixos/hv/security/threat/engine"
	"github.com/hyper-nixos/hv/security/threat/intel"
	"github.com/hyper-nixos/hv/security/threat/response"
	"github.com/hyper-nixos/hv/security/threat/rules"
	"github.com/hyper-nixos/hv/security/threat/source"
	"github.com/hyper-nixos/hv/security/threat/store"
	"github.com/hyper-nixos/hv/vm"
)

// Feed is what the threat dashboard reads and acts through.
type Feed interface {
	// Mode says where findings come from: "daemon", "in-process" or "demo".
	Mode() string
	// Describe says, for people, what is watched and what is not.
	Describe() string
	Snapshot(ctx context.Context) (Snapshot, error)
	SetState(ctx context.Context, f threat.Finding, st threat.State) error
	// Playbooks lists the playbooks that apply to f, with why each cannot
	// run here when it cannot.
	Playbooks(f threat.Finding) []response.Option
	RunPlaybook(ctx context.Context, id string, f threat.Finding, actor string) (store.Action, error)
	// Undo reverses an action carried out earlier, by its id.
	Undo(ctx context.Context, action int64, actor string) (store.Action, error)
	// Notices returns the notifications sent after the one numbered
	// after (0 for all still known), for a banner.
	Notices(ctx context.Context, after int64) ([]Notice, error)
	// Event hands the feed a hypervisor event; feeds that detect
	// in-process use it, the monitor service's has its own.
	Event(e vm.Event)
	Close() error
}

// Notice is a notification a playbook sent about a finding.
type Notice struct {
	ID       int64
	Time     time.Time
	Severity threat.Severity
	Title    string
	Who      string // address, user, VM: untrusted text
}

// FeedOptions say how to open a feed.
type FeedOptions struct {
	HV       vm.Hypervisor
	Demo     bool   // the demo host: replay the bundled sample log
	DB       string // the monitor service's findings; store.DefaultPath if empty
	StateDir string // the service's state (anomaly baselines); DefaultStateDir if empty
	// AuditPath is hv's audit trail, where the dashboard's playbook runs
	// are recorded; Where names the connection in it.
	AuditPath string
	Where     string
	Now       func() time.Time
	// Static stops the demo after its first replay, for tests that need
	// the same screen every time.
	Static bool
	// JournalSocket is journald's native socket (response.JournalSocket
	// when empty); Journalctl the command that reads the journal
	// ("journalctl" when empty). Tests point them elsewhere.
	JournalSocket string
	Journalctl    string
	// FeedDir holds the downloaded blocklists (intel.DefaultFeedDir when
	// empty): in-session detection uses them, the dashboard shows their age.
	FeedDir string
}

// DefaultStateDir is the monitor service's state directory.
const DefaultStateDir = "/var/lib/hv"

// OpenFeed picks the feed: the demo replay, the monitor service's
// findings when its database is readable, or detection in-process.
func OpenFeed(ctx context.Context, o FeedOptions) (Feed, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DB == "" {
		o.DB = store.DefaultPath
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir
	}
	if o.FeedDir == "" {
		o.FeedDir = intel.DefaultFeedDir
	}
	set, err := rules.Load(content.ThreatRules(), rules.DefaultDropIn)
	if err != nil {
		return nil, err
	}
	cfg, err := response.LoadConfig(content.ThreatPlaybooks, response.DefaultFile)
	if err != nil {
		return nil, err
	}
	notes := &noticeBoard{}
	var notify response.Notifiers
	if response.JournalRunning(o.JournalSocket) {
		notify = append(notify, &response.Journal{Socket: o.JournalSocket})
	}
	notify = append(notify, notes) // the banner: every notification shows in the session
	runner := &response.Runner{Playbooks: cfg.Playbooks, Now: o.Now, Do: response.Responder{Notify: notify}}
	// The dashboard acts as its operator, through the hypervisor it was
	// given (the daemon's client, for operators); it never has root.
	runner.Do.NoFirewall = "blocking addresses needs root and nftables: only the monitor service blocks, when blocking is on (hyperNixos.threatMonitor.blocking)"
	switch {
	case o.HV == nil:
	case !o.HV.Access().Writable(): // no operator, or hv started with --read-only
		runner.Do.NoVMs = "pausing, snapshotting or isolating a VM needs write access: " + o.HV.Access().Why()
	default:
		runner.Do.VMs = o.HV
	}
	if o.AuditPath != "" {
		runner.Audit = &response.Trail{Log: audit.Open(o.AuditPath), Where: o.Where}
	}
	if o.Demo {
		return startDemo(ctx, set, runner, notes, o)
	}
	if _, err := os.Stat(o.DB); err == nil {
		if f, err := openStoreFeed(ctx, o, runner); err == nil {
			return f, nil
		}
	}
	return startLocal(ctx, set, runner, notes, o)
}

// noticeBoard keeps the notifications of this session, for its banner.
type noticeBoard struct {
	mu   sync.Mutex
	next int64
	list []Notice // the last 50
}

func (n *noticeBoard) Notify(_ context.Context, f threat.Finding) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.next++
	n.list = append(n.list, Notice{ID: n.next, Time: f.Time, Severity: f.Severity, Title: f.Title, Who: whoOf(f)})
	if len(n.list) > 50 {
		n.list = n.list[1:]
	}
	return nil
}

func (n *noticeBoard) String() string { return "this session's banner" }

func (n *noticeBoard) after(id int64) []Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []Notice
	for _, x := range n.list {
		if x.ID > id {
			out = append(out, x)
		}
	}
	return out
}

func whoOf(f threat.Finding) string {
	var parts []string
	for _, kv := range [][2]string{{"ip", f.IP}, {"user", f.User}, {"vm", f.VM}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, " ")
}

// localFeed runs detection in this process.
type localFeed struct {
	mon    *Monitor
	runner *response.Runner
	notes  *noticeBoard
	mode   string
	note   string
	feeds  *feedWatch
	cancel context.CancelFunc
	wg     sync.WaitGroup
	now    func() time.Time
	events *eventSource
}

func (l *localFeed) Mode() string     { return l.mode }
func (l *localFeed) Describe() string { return l.note }

func (l *localFeed) Snapshot(context.Context) (Snapshot, error) {
	s := l.mon.View().Snapshot(l.now(), 30)
	s.Feeds = l.feeds.status()
	return s, nil
}

func (l *localFeed) SetState(_ context.Context, f threat.Finding, st threat.State) error {
	if !l.mon.View().SetState(f.ID, st) {
		return fmt.Errorf("finding %d is no longer in view", f.ID)
	}
	return nil
}

func (l *localFeed) Playbooks(f threat.Finding) []response.Option { return l.runner.For(f) }

func (l *localFeed) RunPlaybook(ctx context.Context, id string, f threat.Finding, actor string) (store.Action, error) {
	a, err := l.runner.RunNow(ctx, id, f, actor)
	if a.Mode != "" {
		a = l.mon.View().addAction(a)
	}
	return a, err
}

func (l *localFeed) Undo(ctx context.Context, id int64, actor string) (store.Action, error) {
	a, ok := l.mon.View().action(id)
	if !ok {
		return store.Action{}, fmt.Errorf("action %d is no longer in view", id)
	}
	if err := l.runner.Undo(ctx, a, actor); err != nil {
		return a, err
	}
	l.mon.View().markUndone(id)
	a.Undone = true
	return a, nil
}

func (l *localFeed) Notices(_ context.Context, after int64) ([]Notice, error) {
	return l.notes.after(after), nil
}

func (l *localFeed) Event(e vm.Event) {
	if l.events != nil {
		l.events.push(e)
	}
}

func (l *localFeed) Close() error {
	l.cancel()
	l.wg.Wait()
	return nil
}

// startLocal watches what this user can read.
func startLocal(ctx context.Context, set *rules.Set, runner *response.Runner, notes *noticeBoard, o FeedOptions) (Feed, error) {
	feeds := newFeedWatch(o.FeedDir, true)
	opt := engine.Options{}
	if feeds.lists != nil {
		opt.Intel = feeds.lists
	}
	mon := New(set, opt)
	mon.Now, mon.Runner, mon.VMs = o.Now, runner, o.HV
	var srcs []Source
	var yes, no []string
	switch why := journalUnreadable(ctx, o); why {
	case "":
		j := &source.Journal{}
		if o.Journalctl != "" {
			j.Command = []string{o.Journalctl}
		}
		srcs = append(srcs, j)
		yes = append(yes, "the journal")
	default:
		no = append(no, "the journal ("+why+")")
	}
	for _, p := range []string{"/var/log/auth.log", "/var/log/syslog", "/var/log/kern.log"} {
		if f, err := os.Open(p); err == nil {
			f.Close()
			srcs = append(srcs, &source.File{Path: p})
			yes = append(yes, p)
		} else if !errors.Is(err, os.ErrNotExist) {
			no = append(no, p)
		}
	}
	l := &localFeed{mon: mon, runner: runner, notes: notes, mode: "in-process", now: o.Now, feeds: feeds}
	runCtx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	if o.HV != nil {
		yes = append(yes, "libvirt events", "VM metrics")
		l.events = newEventSource(o.Now)
		srcs = append(srcs, l.events)
		l.wg.Add(1)
		go func() { defer l.wg.Done(); metricsLoop(runCtx, mon, &source.Metrics{HV: o.HV}, time.Minute) }()
	}
	if len(yes) == 0 {
		l.note = "No monitor service here, and nothing this session can watch: no readable log, no hypervisor."
	} else {
		l.note = "No monitor service here: detecting in this session only, over " + strings.Join(yes, ", ") + "."
	}
	if len(no) > 0 {
		l.note += " Not read: " + strings.Join(no, ", ") + "."
	}
	l.wg.Add(1)
	go func() { defer l.wg.Done(); mon.Run(runCtx, srcs...) }()
	return l, nil
}

// journalUnreadable says why this user cannot follow the system journal,
// or "" when they can. journalctl exits 0 with nothing to show where no
// journald runs, and with a hint when the user sees only their own
// journal: neither counts.
func journalUnreadable(ctx context.Context, o FeedOptions) string {
	if !response.JournalRunning(o.JournalSocket) {
		return "journald does not run here"
	}
	cmd := o.Journalctl
	if cmd == "" {
		cmd = "journalctl"
	}
	if _, err := exec.LookPath(cmd); err != nil {
		return "journalctl is not installed"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cmd, "--system", "--lines=1", "--quiet", "--no-pager").CombinedOutput()
	switch {
	case err != nil, strings.Contains(string(out), "not seeing messages"):
		return "join the systemd-journal or adm group"
	case len(strings.TrimSpace(string(out))) == 0:
		return "the system journal is empty"
	}
	return ""
}

func metricsLoop(ctx context.Context, mon *Monitor, m *source.Metrics, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		pts, err := m.Sample(ctx)
		if err == nil && len(pts) > 0 {
			mon.Observe(pts)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// storeFeed reads the monitor service's findings.
type storeFeed struct {
	st       *store.Store
	readOnly bool
	runner   *response.Runner
	db       string
	stateDir string
	now      func() time.Time
	feeds    *feedWatch
}

func openStoreFeed(ctx context.Context, o FeedOptions, runner *response.Runner) (Feed, error) {
	// SQLite opens a file it cannot write for writing all the same, and
	// fails at the first write: ask the file system first.
	ro := !writable(o.DB)
	st, err := store.Open(ctx, o.DB, ro)
	if err != nil && !ro {
		ro = true
		st, err = store.Open(ctx, o.DB, true)
	}
	if err != nil {
		return nil, err
	}
	runner.Store = st
	return &storeFeed{st: st, readOnly: ro, runner: runner, db: o.DB, stateDir: o.StateDir, now: o.Now, feeds: newFeedWatch(o.FeedDir, false)}, nil
}

// writable reports whether this user can write the database: the file,
// and its directory (SQLite's journal lives beside it).
func writable(db string) bool {
	const wOK = 2 // W_OK
	return syscall.Access(db, wOK) == nil && syscall.Access(filepath.Dir(db), wOK) == nil
}

func (s *storeFeed) Mode() string { return "daemon" }

func (s *storeFeed) Describe() string {
	d := "Findings of the hv monitor service (" + s.db + ")."
	if s.readOnly {
		d += " " + readOnlyNote
	}
	if s.st.Frozen() {
		d += " Nothing has it open (the monitor service is not running): these are the findings it left."
	}
	return d
}

const readOnlyNote = "Read-only for you: acknowledging and running playbooks need write access to it (the monitor's readers group)."

func (s *storeFeed) Snapshot(ctx context.Context) (Snapshot, error) {
	now := s.now()
	day := now.Add(-24 * time.Hour)
	var snap Snapshot
	var err error
	snap.Since = day
	if snap.Counts, err = s.st.Counts(ctx, day); err != nil {
		return snap, err
	}
	start := now.Truncate(time.Minute).Add(-29 * time.Minute)
	if snap.Timeline, err = s.st.Timeline(ctx, start, time.Minute, 30); err != nil {
		return snap, err
	}
	snap.Sources, _ = s.st.Top(ctx, "ip", day, 10)
	vms, _ := s.st.Top(ctx, "vm", day, 10)
	for _, v := range vms {
		snap.Targets = append(snap.Targets, store.Count{Value: "vm " + v.Value, N: v.N})
	}
	users, _ := s.st.Top(ctx, "user", day, 10)
	for _, u := range users {
		snap.Targets = append(snap.Targets, store.Count{Value: "user " + u.Value, N: u.N})
	}
	snap.Recent, err = s.st.List(ctx, store.Query{Since: day, MinSeverity: threat.Low, Limit: 300})
	if err != nil {
		return snap, err
	}
	snap.Actions, _ = s.st.Actions(ctx, 50)
	snap.Sparks, snap.SparksErr = readSparks(filepath.Join(s.stateDir, "anomaly.json"))
	snap.Feeds = s.feeds.status()
	return snap, nil
}

// readSparks reads the service's anomaly baselines for the sparklines,
// saying why when it cannot: an unreadable file is not "no metrics yet".
func readSparks(path string) ([]Spark, string) {
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, ""
	case errors.Is(err, fs.ErrPermission):
		return nil, "VM baselines (" + path + ") are not readable for you: join the monitor's readers group"
	case err != nil:
		return nil, "VM baselines not readable: " + err.Error()
	}
	defer f.Close()
	d := anomaly.New(anomaly.DefaultConfig)
	if err := d.Load(f); err != nil {
		return nil, "VM baselines not readable: " + err.Error()
	}
	v := NewView()
	v.setSparks(d)
	return v.sparks, ""
}

func (s *storeFeed) SetState(ctx context.Context, f threat.Finding, st threat.State) error {
	if s.readOnly {
		return errors.New(readOnlyNote)
	}
	return s.explain(s.st.SetState(ctx, f.ID, st))
}

// explain turns SQLite's "attempt to write a readonly database" into
// what the operator can do about it.
func (s *storeFeed) explain(err error) error {
	if err != nil && strings.Contains(err.Error(), "readonly database") {
		s.readOnly = true
		return errors.New(readOnlyNote)
	}
	return err
}

func (s *storeFeed) Playbooks(f threat.Finding) []response.Option { return s.runner.For(f) }

func (s *storeFeed) RunPlaybook(ctx context.Context, id string, f threat.Finding, actor string) (store.Action, error) {
	if s.readOnly {
		return store.Action{Playbook: id}, errors.New(readOnlyNote)
	}
	return s.runner.RunNow(ctx, id, f, actor)
}

func (s *storeFeed) Undo(ctx context.Context, id int64, actor string) (store.Action, error) {
	if s.readOnly {
		return store.Action{}, errors.New(readOnlyNote)
	}
	a, err := s.st.Action(ctx, id)
	if err != nil {
		return a, err
	}
	if err := s.runner.Undo(ctx, a, actor); err != nil {
		return a, s.explain(err)
	}
	a.Undone = true
	return a, nil
}

func (s *storeFeed) Notices(ctx context.Context, after int64) ([]Notice, error) {
	acts, err := s.st.Notifications(ctx, after, 20)
	if err != nil {
		return nil, err
	}
	var out []Notice
	for _, a := range acts {
		n := Notice{ID: a.ID, Time: a.Time, Title: a.Target}
		if f, err := s.st.Get(ctx, a.Finding); err == nil {
			n.Severity, n.Title, n.Who = f.Severity, f.Title, whoOf(f)
		}
		out = append(out, n)
	}
	return out, nil
}

func (s *storeFeed) Event(vm.Event) {} // the monitor service watches libvirt itself

func (s *storeFeed) Close() error { return s.st.Close() }
