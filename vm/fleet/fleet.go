// Package fleet is one vm.Hypervisor over several hosts, for an operator
// who manages more than one: each host keeps its own connection (its own
// events, statistics and reconnects), the VM list is every host's, and a
// call about a VM goes to its host. A host that is down or slow never
// holds up the others: lists and statistics wait for each host a bounded
// time (its budget), a slow host's VMs stay as last seen, a down host's are
// left out until it is back, and Hosts says which is which. Networks,
// storage and new VMs are the primary host's: the one hv was opened on.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

// Member is one host of a fleet.
type Member struct {
	Name  string // as the operator calls it
	Where string // how it is reached, for people
	// Open connects to the host; a fleet calls it again, with backoff,
	// until it succeeds.
	Open func(ctx context.Context) (vm.Hypervisor, error)
}

// DefaultBudget is how long a list or a statistics reading waits for one
// host, unless Options say: past it, the host counts as slow and the
// others are shown without it (the TUI's tick is 2 s).
const DefaultBudget = 2 * time.Second

// retryMax bounds the wait between attempts to reach a host.
var retryMax = 30 * time.Second

// Fleet is a vm.Hypervisor over the hosts of Open's members; the first
// is the primary.
type Fleet struct {
	members  []*member
	events   *vm.EventQueue
	readOnly bool
	budget   time.Duration
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

var (
	_ vm.Hypervisor = (*Fleet)(nil)
	_ vm.Spanning   = (*Fleet)(nil)
	_ vm.Migrator   = (*Fleet)(nil)
)

// member is one host and what the fleet last learnt of it.
type member struct {
	Member
	primary bool
	tried   chan struct{} // closed once the first attempt to connect ended

	mu      sync.Mutex
	hv      vm.Hypervisor // nil until connected
	state   vm.HostState
	err     string
	since   time.Time
	latency time.Duration
	vms     []vm.VM // as last listed, each with its Host
	host    vm.Host
	id      api.Identity
}

// Options change how a fleet behaves.
type Options struct {
	// ReadOnly: the operator asked to look only (--read-only).
	ReadOnly bool
	// Wait bounds how long Open waits for the hosts' first answers; the
	// ones still connecting then carry on in the background.
	Wait time.Duration
	// Budget is how long a call to every host waits for each
	// (DefaultBudget when 0): a command run once waits longer than a
	// screen refreshed every two seconds.
	Budget time.Duration
}

// Open connects to every member at once and returns when each has
// answered or failed once (or o.Wait has passed). It fails only when no
// host could be reached; the others are retried in the background, and
// their EventReconnected (with their Host) says when they are back.
func Open(ctx context.Context, members []Member, o Options) (*Fleet, error) {
	if len(members) == 0 {
		return nil, errors.New("no hosts to open")
	}
	if o.Wait == 0 {
		o.Wait = 15 * time.Second
	}
	if o.Budget == 0 {
		o.Budget = DefaultBudget
	}
	runCtx, stop := context.WithCancel(context.Background())
	f := &Fleet{events: vm.NewEventQueue(), readOnly: o.ReadOnly, budget: o.Budget, stop: stop}
	for i, m := range members {
		mm := &member{Member: m, primary: i == 0, tried: make(chan struct{}), since: time.Now()}
		f.members = append(f.members, mm)
		f.wg.Add(1)
		go f.follow(runCtx, mm)
	}
	f.awaitFirstTries(ctx, o.Wait)
	var errs []string
	for _, m := range f.members {
		m.mu.Lock()
		up, why := m.hv != nil, m.err
		m.mu.Unlock()
		if up {
			return f, nil
		}
		if why == "" {
			why = "no answer yet"
		}
		errs = append(errs, m.Name+": "+why)
	}
	f.Close()
	return nil, &vm.ConnectError{URI: f.names(), Cause: vm.CauseUnreachable, Daemon: true, Detail: strings.Join(errs, "; ")}
}

// awaitFirstTries waits until every host has answered or failed once, at
// most wait; once one host is up, the others get the budget more: a host that
// does not answer is left to the background, not waited for.
func (f *Fleet) awaitFirstTries(ctx context.Context, wait time.Duration) {
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	graced := false
	for !f.allTried() && time.Now().Before(deadline) {
		if !graced && f.anyUp() {
			graced = true
			if grace := time.Now().Add(f.budget); grace.Before(deadline) {
				deadline = grace
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (f *Fleet) allTried() bool {
	for _, m := range f.members {
		select {
		case <-m.tried:
		default:
			return false
		}
	}
	return true
}

func (f *Fleet) anyUp() bool {
	for _, m := range f.members {
		if _, err := m.live(); err == nil {
			return true
		}
	}
	return false
}

// follow connects m (again and again until it works), then passes its
// events on, each with its Host, keeping m's state in step.
func (f *Fleet) follow(ctx context.Context, m *member) {
	defer f.wg.Done()
	wait := time.Second
	first := true
	for ctx.Err() == nil {
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		hv, err := m.Open(octx)
		cancel()
		if err == nil {
			m.connected(ctx, hv)
			if !first {
				f.events.Push(vm.Event{Kind: vm.EventReconnected, Host: m.Name, Detail: m.Name + " answers again", At: time.Now()})
			}
		} else {
			m.set(vm.HostDown, err.Error())
		}
		if first {
			close(m.tried)
			first = false
		}
		if err == nil {
			f.forward(ctx, m, hv)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, retryMax)
	}
}

// connected records a new connection to m and what the host says of
// itself.
func (m *member) connected(ctx context.Context, hv vm.Hypervisor) {
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	host, _ := hv.Host(hctx)
	cancel()
	m.mu.Lock()
	m.hv, m.host = hv, host
	if i, ok := hv.(interface{ Identity() api.Identity }); ok {
		m.id = i.Identity()
	}
	m.mu.Unlock()
	m.set(vm.HostUp, "")
}

// forward passes m's events on until the fleet closes.
func (f *Fleet) forward(ctx context.Context, m *member, hv vm.Hypervisor) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-hv.Events():
			e.Host = m.Name
			switch e.Kind {
			case vm.EventConnLost:
				m.set(vm.HostDown, e.Detail)
				e.Detail = m.Name + ": " + e.Detail
			case vm.EventReconnected:
				m.set(vm.HostUp, "")
			}
			f.events.Push(e)
		}
	}
}

// set moves m to state s for why.
func (m *member) set(s vm.HostState, why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state != s {
		m.since = time.Now()
	}
	m.state, m.err = s, why
}

// live is m's connection, or why there is none.
func (m *member) live() (vm.Hypervisor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hv == nil || m.state == vm.HostDown {
		why := m.err
		if why == "" {
			why = "not reached yet"
		}
		return nil, &vm.Error{Op: "reach", Target: m.Name, Kind: vm.ErrConnLost, Detail: why,
			Hint: "hv keeps trying; the Hosts screen (or 'hv hosts') shows when it is back"}
	}
	return m.hv, nil
}

// Close ends every connection.
func (f *Fleet) Close() error {
	f.stop()
	f.wg.Wait()
	for _, m := range f.members {
		m.mu.Lock()
		if m.hv != nil {
			m.hv.Close()
		}
		m.mu.Unlock()
	}
	f.events.Close()
	return nil
}

func (f *Fleet) names() string {
	names := make([]string, len(f.members))
	for i, m := range f.members {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}

// URI names the connection: the primary host's, and how many others.
func (f *Fleet) URI() string {
	p := f.members[0]
	uri := p.Where
	if hv, err := p.live(); err == nil {
		uri = hv.URI()
	}
	if n := len(f.members) - 1; n > 0 {
		uri += fmt.Sprintf(" and %d other host", n)
		if n > 1 {
			uri += "s"
		}
	}
	return uri
}

// Access is read-write when any host lets this user change something:
// what each allows, its daemon decides.
func (f *Fleet) Access() vm.Access {
	if f.readOnly {
		return vm.ReadOnlyAsked
	}
	access := vm.ReadOnly
	for _, m := range f.members {
		if hv, err := m.live(); err == nil && hv.Access().Writable() {
			access = vm.ReadWrite
		}
	}
	return access
}

// Permitted is "" when some reachable host grants change: which hosts
// do, each one's daemon decides when asked.
func (f *Fleet) Permitted(change string) string {
	why := ""
	for _, m := range f.members {
		if hv, err := m.live(); err == nil {
			if why = vm.Permitted(hv, change); why == "" {
				return ""
			}
		}
	}
	return why
}

// Events delivers every host's events, each with its Host.
func (f *Fleet) Events() <-chan vm.Event { return f.events.Out() }

// Hosts says how each host answers, the primary first.
func (f *Fleet) Hosts() []vm.HostStatus {
	out := make([]vm.HostStatus, 0, len(f.members))
	for _, m := range f.members {
		m.mu.Lock()
		s := vm.HostStatus{Name: m.Name, Where: m.Where, State: m.state, Err: m.err, Since: m.since, Primary: m.primary,
			Latency: m.latency, Hostname: m.id.Hostname, Version: m.id.Version, Phase: m.id.Phase,
			CPUs: m.host.CPUs, HostMemoryKiB: m.host.MemoryKiB}
		s.Count(m.vms)
		m.mu.Unlock()
		out = append(out, s)
	}
	return out
}

// Member is the hypervisor of the host called name.
func (f *Fleet) Member(name string) (vm.Hypervisor, bool) {
	m := f.byName(name)
	if m == nil {
		return nil, false
	}
	hv, err := m.live()
	return hv, err == nil
}

func (f *Fleet) byName(name string) *member {
	for _, m := range f.members {
		if strings.EqualFold(m.Name, name) {
			return m
		}
	}
	return nil
}

// eachHost runs fn on every host that is reachable, at once, each within
// the fleet's budget, and records how each answered: in time (up), late (slow) or
// not at all (down). It returns the answers of those that answered.
func eachHost[T any](ctx context.Context, f *Fleet, fn func(ctx context.Context, hv vm.Hypervisor) (T, error)) (map[*member]T, error) {
	type answer struct {
		m    *member
		v    T
		err  error
		took time.Duration
	}
	ch := make(chan answer, len(f.members))
	asked := 0
	var firstErr error
	for _, m := range f.members {
		hv, err := m.live()
		if err != nil {
			firstErr = cmpErr(firstErr, err)
			continue
		}
		asked++
		go func() {
			cctx, cancel := context.WithTimeout(ctx, f.budget)
			defer cancel()
			start := time.Now()
			v, err := fn(cctx, hv)
			ch <- answer{m, v, err, time.Since(start)}
		}()
	}
	got := map[*member]T{}
	for range asked {
		a := <-ch
		switch {
		case a.err == nil:
			a.m.mu.Lock()
			a.m.latency = a.took
			a.m.mu.Unlock()
			a.m.set(vm.HostUp, "")
			got[a.m] = a.v
		case ctx.Err() != nil:
			firstErr = cmpErr(firstErr, a.err) // the caller gave up, not the host
		case errors.Is(a.err, vm.ErrTimeout):
			a.m.set(vm.HostSlow, fmt.Sprintf("no answer within %s", f.budget))
			firstErr = cmpErr(firstErr, a.err)
		case errors.Is(a.err, vm.ErrConnLost):
			a.m.set(vm.HostDown, a.err.Error())
			firstErr = cmpErr(firstErr, a.err)
		case errors.Is(a.err, vm.ErrNotFound):
			a.m.set(vm.HostUp, "") // it answered: it has no such thing
			firstErr = cmpErr(firstErr, a.err)
		default:
			// It answers, but not this: shown as last seen, with why.
			a.m.set(vm.HostSlow, a.err.Error())
			firstErr = cmpErr(firstErr, a.err)
		}
	}
	if len(got) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return got, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// List is every reachable host's VMs, each with its Host; a slow host's
// as they were last listed.
func (f *Fleet) List(ctx context.Context) ([]vm.VM, error) {
	got, err := eachHost(ctx, f, func(ctx context.Context, hv vm.Hypervisor) ([]vm.VM, error) { return hv.List(ctx) })
	if err != nil {
		return nil, err
	}
	var out []vm.VM
	for _, m := range f.members {
		vms, answered := got[m]
		m.mu.Lock()
		if answered {
			for i := range vms {
				vms[i].Host = m.Name
			}
			m.vms = vms
		}
		if answered || m.state == vm.HostSlow {
			out = append(out, m.vms...)
		}
		m.mu.Unlock()
	}
	return out, nil
}

// Stats is one reading of every reachable host's VMs.
func (f *Fleet) Stats(ctx context.Context) ([]vm.Sample, error) {
	got, err := eachHost(ctx, f, func(ctx context.Context, hv vm.Hypervisor) ([]vm.Sample, error) { return hv.Stats(ctx) })
	if err != nil {
		return nil, err
	}
	var out []vm.Sample
	for _, m := range f.members {
		out = append(out, got[m]...)
	}
	return out, nil
}

// route finds the host of VM ref: "HOST/REF" names it; otherwise the
// host whose last list has a VM of that name or UUID, else the one that
// answers for it. A VM two hosts have must be named with its host.
func (f *Fleet) route(ctx context.Context, ref string) (vm.Hypervisor, *member, string, error) {
	if host, rest, ok := strings.Cut(ref, "/"); ok {
		m := f.byName(host)
		if m == nil {
			return nil, nil, "", &vm.Error{Op: "find", Target: ref, Kind: vm.ErrNotFound, Detail: "no host is called " + host,
				Hint: "the Hosts screen (or 'hv hosts') lists them"}
		}
		hv, err := m.live()
		return hv, m, rest, err
	}
	var holders []*member
	for _, m := range f.members {
		m.mu.Lock()
		if slices.ContainsFunc(m.vms, func(v vm.VM) bool { return v.UUID == ref || v.Name == ref }) {
			holders = append(holders, m)
		}
		m.mu.Unlock()
	}
	if len(holders) == 0 {
		got, _ := eachHost(ctx, f, func(ctx context.Context, hv vm.Hypervisor) (vm.VM, error) { return hv.Lookup(ctx, ref) })
		for _, m := range f.members {
			if _, ok := got[m]; ok {
				holders = append(holders, m)
			}
		}
	}
	switch len(holders) {
	case 0:
		return nil, nil, "", &vm.Error{Op: "find", Target: ref, Kind: vm.ErrNotFound, Detail: "no reachable host has this VM",
			Hint: "'hv vm list --all-hosts' lists them; a host that is down is left out"}
	case 1:
		hv, err := holders[0].live()
		return hv, holders[0], ref, err
	}
	names := make([]string, len(holders))
	for i, m := range holders {
		names[i] = m.Name
	}
	return nil, nil, "", &vm.Error{Op: "find", Target: ref, Kind: vm.ErrInvalidArg, Detail: "hosts " + strings.Join(names, " and ") + " each have a VM " + ref,
		Hint: "name it with its host, e.g. " + names[0] + "/" + ref}
}

// onVM runs fn on the host of VM ref, with the ref that host knows.
func onVM[T any](ctx context.Context, f *Fleet, ref string, fn func(hv vm.Hypervisor, ref string) (T, error)) (T, error) {
	hv, _, r, err := f.route(ctx, ref)
	if err != nil {
		var zero T
		return zero, err
	}
	return fn(hv, r)
}

// doVM is onVM for calls that return only an error.
func (f *Fleet) doVM(ctx context.Context, ref string, fn func(hv vm.Hypervisor, ref string) error) error {
	_, err := onVM(ctx, f, ref, func(hv vm.Hypervisor, r string) (struct{}, error) { return struct{}{}, fn(hv, r) })
	return err
}

// primary is the primary host's connection.
func (f *Fleet) primary() (vm.Hypervisor, error) { return f.members[0].live() }

// Migrate moves VM ref to the host called host, through both hosts' hv
// daemons (see vm/remote.Migrate).
func (f *Fleet) Migrate(ctx context.Context, ref, host string, progress func(vm.MigrationProgress)) error {
	src, from, r, err := f.route(ctx, ref)
	if err != nil {
		return err
	}
	to := f.byName(host)
	if to == nil {
		return &vm.Error{Op: "migrate", Target: ref, Kind: vm.ErrNotFound, Detail: "no host is called " + host, Hint: "the Hosts screen (or 'hv hosts') lists them"}
	}
	if to == from {
		return &vm.Error{Op: "migrate", Target: ref, Kind: vm.ErrInvalidArg, Detail: "it is on " + host + " already"}
	}
	dst, err := to.live()
	if err != nil {
		return err
	}
	return migrate(ctx, src, dst, r, progress)
}
