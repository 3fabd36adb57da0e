package monitor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/anomaly"
	"github.com/hyper-nixos/hv/security/threat/engine"
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
	// Playbooks lists what can be run on f.
	Playbooks(f threat.Finding) []response.Playbook
	RunPlaybook(ctx context.Context, id string, f threat.Finding, actor string) (store.Action, error)
	Close() error
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
	set, err := rules.Load(content.ThreatRules(), rules.DefaultDropIn)
	if err != nil {
		return nil, err
	}
	pbs, err := response.LoadPlaybooks(content.ThreatPlaybooks, response.DefaultFile)
	if err != nil {
		return nil, err
	}
	runner := &response.Runner{Playbooks: pbs, Now: o.Now, Do: response.Responder{Notify: &response.LogNotifier{W: discard{}}}}
	if o.HV != nil {
		runner.Do.VMs, runner.Do.Snapshots = o.HV, o.HV
		if l, ok := o.HV.(response.LinkSetter); ok {
			runner.Do.Links = l
		}
	}
	if o.AuditPath != "" {
		runner.Audit = &response.Trail{Log: audit.Open(o.AuditPath), Where: o.Where}
	}
	if o.Demo {
		return startDemo(ctx, set, runner, o)
	}
	if _, err := os.Stat(o.DB); err == nil {
		if f, err := openStoreFeed(ctx, o, runner); err == nil {
			return f, nil
		}
	}
	return startLocal(ctx, set, runner, o)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// localFeed runs detection in this process.
type localFeed struct {
	mon    *Monitor
	runner *response.Runner
	mode   string
	note   string
	cancel context.CancelFunc
	wg     sync.WaitGroup
	now    func() time.Time
	events *eventSource
}

func (l *localFeed) Mode() string     { return l.mode }
func (l *localFeed) Describe() string { return l.note }

func (l *localFeed) Snapshot(context.Context) (Snapshot, error) {
	return l.mon.View().Snapshot(l.now(), 30), nil
}

func (l *localFeed) SetState(_ context.Context, f threat.Finding, st threat.State) error {
	if !l.mon.View().SetState(f.ID, st) {
		return fmt.Errorf("finding %d is no longer in view", f.ID)
	}
	return nil
}

func (l *localFeed) Playbooks(f threat.Finding) []response.Playbook { return l.runner.For(f) }

func (l *localFeed) RunPlaybook(ctx context.Context, id string, f threat.Finding, actor string) (store.Action, error) {
	a, err := l.runner.RunNow(ctx, id, f, actor)
	l.mon.View().addActions([]store.Action{a})
	return a, err
}

func (l *localFeed) Close() error {
	l.cancel()
	l.wg.Wait()
	return nil
}

// startLocal watches what this user can read.
func startLocal(ctx context.Context, set *rules.Set, runner *response.Runner, o FeedOptions) (Feed, error) {
	mon := New(set, engine.Options{})
	mon.Now = o.Now
	var srcs []Source
	var yes, no []string
	if journalReadable(ctx) {
		srcs = append(srcs, &source.Journal{})
		yes = append(yes, "the journal")
	} else {
		no = append(no, "the journal (join the systemd-journal or adm group)")
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
	l := &localFeed{mon: mon, runner: runner, mode: "in-process", now: o.Now}
	runCtx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	if o.HV != nil {
		yes = append(yes, "libvirt events", "VM metrics")
		l.events = newEventSource()
		srcs = append(srcs, l.events)
		l.wg.Add(1)
		go func() { defer l.wg.Done(); metricsLoop(runCtx, mon, &source.Metrics{HV: o.HV}, time.Minute) }()
	}
	l.note = "No monitor service here: detecting in this session only, over " + strings.Join(yes, ", ") + "."
	if len(no) > 0 {
		l.note += " Not readable by you: " + strings.Join(no, ", ") + "."
	}
	l.wg.Add(1)
	go func() { defer l.wg.Done(); mon.Run(runCtx, srcs...) }()
	return l, nil
}

func journalReadable(ctx context.Context) bool {
	if _, err := exec.LookPath("journalctl"); err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	// journalctl exits 0 with a hint when the user sees only their own
	// journal; ask for system entries, which it refuses then.
	out, err := exec.CommandContext(ctx, "journalctl", "--system", "--lines=1", "--quiet", "--no-pager").CombinedOutput()
	return err == nil && !strings.Contains(string(out), "not seeing messages")
}

// eventSource passes hypervisor events to the monitor's loop. In the TUI
// the root app owns the backend's event channel and hands events to
// screens; the dashboard forwards them here with PushEvent.
type eventSource struct{ ch chan source.Item }

func newEventSource() *eventSource { return &eventSource{ch: make(chan source.Item, 256)} }

func (e *eventSource) Run(ctx context.Context, out chan<- source.Item) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case it := <-e.ch:
			select {
			case out <- it:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// PushEvent hands a hypervisor event to a feed that runs detection
// in-process. It never blocks the caller (the UI): past 256 waiting
// events, the oldest news is the least useful and newer ones are dropped.
func PushEvent(f Feed, e vm.Event) {
	l, ok := f.(*localFeed)
	if !ok || l.events == nil {
		return
	}
	r := source.EventRecord(e)
	select {
	case l.events.ch <- source.Item{Record: &r, Source: "libvirt"}:
	default:
	}
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
}

func openStoreFeed(ctx context.Context, o FeedOptions, runner *response.Runner) (Feed, error) {
	st, err := store.Open(ctx, o.DB, false)
	ro := false
	if err != nil {
		if st, err = store.Open(ctx, o.DB, true); err != nil {
			return nil, err
		}
		ro = true
	}
	runner.Store = st
	return &storeFeed{st: st, readOnly: ro, runner: runner, db: o.DB, stateDir: o.StateDir, now: o.Now}, nil
}

func (s *storeFeed) Mode() string { return "daemon" }

func (s *storeFeed) Describe() string {
	d := "Findings of the hv monitor service (" + s.db + ")."
	if s.readOnly {
		d += " Read-only for you: acknowledging needs write access to it."
	}
	return d
}

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
	if f, err := os.Open(filepath.Join(s.stateDir, "anomaly.json")); err == nil {
		d := anomaly.New(anomaly.DefaultConfig)
		if d.Load(f) == nil {
			v := NewView()
			v.setSparks(d)
			snap.Sparks = v.sparks
		}
		f.Close()
	}
	return snap, nil
}

func (s *storeFeed) SetState(ctx context.Context, f threat.Finding, st threat.State) error {
	if s.readOnly {
		return errors.New("the findings database is read-only for you")
	}
	return s.st.SetState(ctx, f.ID, st)
}

func (s *storeFeed) Playbooks(f threat.Finding) []response.Playbook { return s.runner.For(f) }

func (s *storeFeed) RunPlaybook(ctx context.Context, id string, f threat.Finding, actor string) (store.Action, error) {
	return s.runner.RunNow(ctx, id, f, actor)
}

func (s *storeFeed) Close() error { return s.st.Close() }
