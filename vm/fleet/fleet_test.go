package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/libvirt"
	"github.com/hyper-nixos/hv/vm/ops"
)

// host writes a test-driver host with the named VMs (running, with UUIDs
// unique to prefix) and returns its URI.
func host(t *testing.T, prefix string, names ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("<node>\n")
	for i, n := range names {
		fmt.Fprintf(&b, "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>%s</name>"+
			"<uuid>%s-0000-4000-8000-%012d</uuid><memory unit='MiB'>512</memory><vcpu>2</vcpu><os><type>hvm</type></os>"+
			"<test:runstate>5</test:runstate></domain>\n", n, prefix, i)
	}
	b.WriteString("</node>\n")
	path := filepath.Join(t.TempDir(), prefix+".xml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return "test://" + path
}

// slow is a host that takes its time to list (a daemon stuck, a link
// dropping packets): List and Stats wait delay, or until asked to stop.
type slow struct {
	vm.Hypervisor
	delay atomic.Int64
}

func (s *slow) wait(ctx context.Context) error {
	select {
	case <-time.After(time.Duration(s.delay.Load())):
		return nil
	case <-ctx.Done():
		return &vm.Error{Op: "list", Kind: vm.ErrTimeout}
	}
}

func (s *slow) List(ctx context.Context) ([]vm.VM, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Hypervisor.List(ctx)
}

func (s *slow) Stats(ctx context.Context) ([]vm.Sample, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Hypervisor.Stats(ctx)
}

func opener(uri string) func(context.Context) (vm.Hypervisor, error) {
	return func(ctx context.Context) (vm.Hypervisor, error) { return libvirt.Open(ctx, uri) }
}

func open(t *testing.T, members ...Member) *Fleet {
	t.Helper()
	return openWithin(t, DefaultBudget, members...)
}

// openWithin opens members waiting budget for each host.
func openWithin(t *testing.T, budget time.Duration, members ...Member) *Fleet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, err := Open(ctx, members, Options{Wait: 5 * time.Second, Budget: budget})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func names(vms []vm.VM) []string {
	var out []string
	for _, v := range vms {
		out = append(out, v.Host+"/"+v.Name)
	}
	slices.Sort(out)
	return out
}

func status(f *Fleet, name string) vm.HostStatus {
	for _, h := range f.Hosts() {
		if h.Name == name {
			return h
		}
	}
	return vm.HostStatus{}
}

// TestListsEveryHostAndRoutesToTheVMsHost: one list of both hosts' VMs,
// each with its host; an action reaches the VM's host and no other.
func TestListsEveryHostAndRoutesToTheVMsHost(t *testing.T) {
	f := open(t, Member{Name: "a", Open: opener(host(t, "aaaaaaaa", "web", "db"))},
		Member{Name: "b", Open: opener(host(t, "bbbbbbbb", "mail", "db"))})
	ctx := context.Background()
	vms, err := f.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(vms), []string{"a/db", "a/web", "b/db", "b/mail"}; !slices.Equal(got, want) {
		t.Fatalf("list: %v, want %v", got, want)
	}
	filter, _ := vm.ParseFilter("host:b")
	var onB []string
	for _, v := range vms {
		if filter.Match(v) {
			onB = append(onB, v.Name)
		}
	}
	if !slices.Equal(onB, []string{"mail", "db"}) && !slices.Equal(onB, []string{"db", "mail"}) {
		t.Errorf("host:b keeps %v", onB)
	}

	if err := f.Start(ctx, "mail"); err != nil {
		t.Fatalf("start mail (only b has it): %v", err)
	}
	if err := f.Start(ctx, "db"); err == nil || !strings.Contains(err.Error(), "hosts a and b each have a VM db") || !strings.Contains(vm.Fix(err), "a/db") {
		t.Errorf("a name both hosts have: %v (fix %q)", err, vm.Fix(err))
	}
	if err := f.Start(ctx, "b/db"); err != nil {
		t.Fatalf("start b/db: %v", err)
	}
	v, err := f.Lookup(ctx, "bbbbbbbb-0000-4000-8000-000000000001")
	if err != nil || v.Host != "b" || v.Name != "db" || v.State != vm.StateRunning {
		t.Errorf("b's db by UUID: %+v %v", v, err)
	}
	if v, err := f.Lookup(ctx, "a/db"); err != nil || v.State != vm.StateShutOff {
		t.Errorf("a's db was started too: %+v %v", v, err)
	}
	if _, err := f.Lookup(ctx, "c/db"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("an unknown host: %v", err)
	}
	if err := f.Migrate(ctx, "b/mail", "b", nil); err == nil || !strings.Contains(err.Error(), "on b already") {
		t.Errorf("moving a VM where it is: %v", err)
	}
}

// TestASlowHostHoldsUpNoOther: a host that does not answer in time is
// shown as slow with its VMs as last seen, and the list comes back within
// the budget; it is up again once it answers.
func TestASlowHostHoldsUpNoOther(t *testing.T) {
	lagging := &slow{}
	f := openWithin(t, 200*time.Millisecond, Member{Name: "a", Open: opener(host(t, "aaaaaaaa", "web"))},
		Member{Name: "b", Open: func(ctx context.Context) (vm.Hypervisor, error) {
			b, err := libvirt.Open(ctx, host(t, "bbbbbbbb", "mail"))
			lagging.Hypervisor = b
			return lagging, err
		}})
	ctx := context.Background()
	if vms, err := f.List(ctx); err != nil || len(vms) != 2 {
		t.Fatalf("first list: %v %v", names(vms), err)
	}
	lagging.delay.Store(int64(10 * time.Second))
	start := time.Now()
	vms, err := f.List(ctx)
	if took := time.Since(start); err != nil || took > 2*time.Second {
		t.Fatalf("list with b stuck: %v after %s", err, took)
	}
	if got := names(vms); !slices.Equal(got, []string{"a/web", "b/mail"}) {
		t.Errorf("b's VMs as last seen: %v", got)
	}
	if s := status(f, "b"); s.State != vm.HostSlow || !strings.Contains(s.Err, "no answer within") {
		t.Errorf("b: %+v", s)
	}
	if s := status(f, "a"); s.State != vm.HostUp || s.VMs != 1 {
		t.Errorf("a: %+v", s)
	}
	if _, err := f.Stats(ctx); err != nil {
		t.Errorf("stats with b stuck: %v", err)
	}
	lagging.delay.Store(0)
	if _, err := f.List(ctx); err != nil || status(f, "b").State != vm.HostUp {
		t.Errorf("b answers again: %+v %v", status(f, "b"), err)
	}
}

// TestADownHostIsRetriedAndComesBack: a host that cannot be reached does
// not stop hv from opening the others; it is retried in the background,
// and its return is an event with its name.
func TestADownHostIsRetriedAndComesBack(t *testing.T) {
	defer func(m time.Duration) { retryMax = m }(retryMax)
	retryMax = 100 * time.Millisecond
	var reachable atomic.Bool
	uri := host(t, "bbbbbbbb", "mail")
	f := open(t, Member{Name: "a", Open: opener(host(t, "aaaaaaaa", "web"))},
		Member{Name: "b", Where: "ssh://b", Open: func(ctx context.Context) (vm.Hypervisor, error) {
			if !reachable.Load() {
				return nil, errors.New("ssh: connect to host b port 22: Connection refused")
			}
			return libvirt.Open(ctx, uri)
		}})
	ctx := context.Background()
	if s := status(f, "b"); s.State != vm.HostDown || !strings.Contains(s.Err, "Connection refused") {
		t.Fatalf("b while unreachable: %+v", s)
	}
	if vms, err := f.List(ctx); err != nil || !slices.Equal(names(vms), []string{"a/web"}) {
		t.Errorf("list without b: %v %v", names(vms), err)
	}
	if err := f.Start(ctx, "b/mail"); !errors.Is(err, vm.ErrConnLost) {
		t.Errorf("an action on b while it is down: %v", err)
	}
	// What is b's own (its pools, its networks) is not asked of a instead.
	if hv, err := vm.Reach(f, "b"); hv != nil || !errors.Is(err, vm.ErrConnLost) || !strings.Contains(err.Error(), "(down: ssh: connect") {
		t.Errorf("reaching b while it is down: %v %v", hv, err)
	}
	if _, err := vm.Reach(f, "c"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("reaching a host no one is called: %v", err)
	}
	if hv, err := vm.Reach(f, ""); err != nil || hv != vm.Hypervisor(f) {
		t.Errorf("reaching no host in particular is the fleet (its calls go to the first host): %v %v", hv, err)
	}
	// Nor is b's VM cloned on a, with a's volumes, while b is away.
	if _, err := ops.Clone(ctx, f, vm.VM{Name: "mail", Host: "b", UUID: "b/mail"}, "mail-copy", nil); !errors.Is(err, vm.ErrConnLost) {
		t.Errorf("cloning b's VM while b is down: %v", err)
	}
	reachable.Store(true)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-f.Events():
			if e.Kind != vm.EventReconnected || e.Host != "b" {
				continue
			}
		case <-deadline:
			t.Fatal("no event says b is back")
		}
		break
	}
	if vms, err := f.List(ctx); err != nil || !slices.Equal(names(vms), []string{"a/web", "b/mail"}) {
		t.Errorf("list with b back: %v %v", names(vms), err)
	}
	if s := status(f, "b"); s.State != vm.HostUp {
		t.Errorf("b back: %+v", s)
	}
	if hv, err := vm.Reach(f, "b"); err != nil || hv.URI() != uri {
		t.Errorf("reaching b once back: %v %v", hv, err)
	}
}

// TestEventsCarryTheirHost: an event from a host says which.
func TestEventsCarryTheirHost(t *testing.T) {
	f := open(t, Member{Name: "a", Open: opener(host(t, "aaaaaaaa", "web"))},
		Member{Name: "b", Open: opener(host(t, "bbbbbbbb", "mail"))})
	if err := f.Start(context.Background(), "mail"); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-f.Events():
		if e.Host != "b" || e.Name != "mail" || e.Kind != vm.EventStarted {
			t.Errorf("event %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
}

// TestOpenFailsOnlyWhenNoHostAnswers names every host and why.
func TestOpenFailsOnlyWhenNoHostAnswers(t *testing.T) {
	down := func(why string) func(context.Context) (vm.Hypervisor, error) {
		return func(context.Context) (vm.Hypervisor, error) { return nil, errors.New(why) }
	}
	_, err := Open(context.Background(), []Member{{Name: "a", Open: down("refused")}, {Name: "b", Open: down("no route")}}, Options{Wait: time.Second})
	if err == nil || !strings.Contains(err.Error(), "a: refused") || !strings.Contains(err.Error(), "b: no route") {
		t.Errorf("Open: %v", err)
	}
}

func TestEntries(t *testing.T) {
	got, err := ParseEntries([]string{"hv2=ssh://alice@hv2.example.org", "lab=ssh://lab:2222", "here=unix:///run/hv/hv.sock"})
	if err != nil || len(got) != 3 || got[1].Address != "ssh://lab:2222" {
		t.Fatalf("%+v %v", got, err)
	}
	for _, bad := range []string{"hv2", "=ssh://x", "hv2=http://x", "hv 2=ssh://x", "hv2=ssh://-oProxyCommand=x", "hv2=ssh://a:b@x"} {
		if _, err := ParseEntry(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	merged := Merge([]Entry{{"hv2", "ssh://me@hv2"}}, []Entry{{"HV2", "ssh://hv2"}, {"hv3", "ssh://hv3"}})
	if len(merged) != 2 || merged[0].Address != "ssh://me@hv2" {
		t.Errorf("the operator's own entry wins: %+v", merged)
	}
}

// TestOpenDoesNotWaitForAHostThatHangs: once one host is up, a host that
// neither answers nor fails holds hv up for the budget at most.
func TestOpenDoesNotWaitForAHostThatHangs(t *testing.T) {
	hang := func(ctx context.Context) (vm.Hypervisor, error) { <-ctx.Done(); return nil, ctx.Err() }
	start := time.Now()
	f := openWithin(t, 300*time.Millisecond, Member{Name: "a", Open: opener(host(t, "aaaaaaaa", "web"))}, Member{Name: "b", Open: hang})
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("opening waited %s for a host that hangs", took)
	}
	if s := status(f, "b"); s.State != vm.HostConnecting {
		t.Errorf("b: %+v", s)
	}
}

// A VM no host has is not found, and every host that said so is still up.
func TestAnUnknownVMLeavesTheHostsUp(t *testing.T) {
	f := open(t, Member{Name: "a", Open: opener(host(t, "aaaaaaaa", "web"))}, Member{Name: "b", Open: opener(host(t, "bbbbbbbb", "mail"))})
	if _, err := f.Lookup(context.Background(), "typo"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("looking up a VM no host has: %v", err)
	}
	for _, name := range []string{"a", "b"} {
		if s := status(f, name); s.State != vm.HostUp {
			t.Errorf("host %s after the look-up: %+v", name, s)
		}
	}
}
