// Package vmtest is the contract every vm.Hypervisor backend must meet,
// run against libvirt's test driver always and a real libvirtd when present.
package vmtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/vm"
)

// Contract describes a backend under test.
type Contract struct {
	// Open returns a fresh connection; the suite closes it.
	Open func(t *testing.T) vm.Hypervisor
	// RealStats demands CPU time that grows while a VM runs (a real QEMU
	// does; libvirt's test driver reports only states).
	RealStats bool
	// Timeout bounds each wait for an event or a state (default 30 s).
	Timeout time.Duration
	// Network is an existing libvirt network to attach NICs to; without
	// one the NIC checks are left out.
	Network string
	// NoHotplug says the driver cannot attach devices at all (libvirt's
	// test driver): the contract then wants a clear "not supported".
	NoHotplug bool
	// PoolDir is a directory in which the suite may define directory pools
	// of its own (default /var/lib/hv-test/pools). libvirtd creates and
	// owns them; the test driver only records the path.
	PoolDir string
}

// Run runs the whole contract as subtests.
func Run(t *testing.T, c Contract) {
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.PoolDir == "" {
		c.PoolDir = "/var/lib/hv-test/pools"
	}
	t.Run("LookupAndList", func(t *testing.T) { c.lookupAndList(t) })
	t.Run("RefusesBadRequests", func(t *testing.T) { c.refusals(t) })
	t.Run("Lifecycle", func(t *testing.T) { c.lifecycle(t) })
	t.Run("Details", func(t *testing.T) { c.details(t) })
	t.Run("Snapshots", func(t *testing.T) { c.snapshots(t) })
	t.Run("SaveAndRestore", func(t *testing.T) { c.saveAndRestore(t) })
	t.Run("Resize", func(t *testing.T) { c.resize(t) })
	t.Run("Devices", func(t *testing.T) { c.devices(t) })
	t.Run("PoolLifecycle", func(t *testing.T) { c.poolLifecycle(t) })
	t.Run("Volumes", func(t *testing.T) { c.volumes(t) })
	t.Run("VolumeRefusals", func(t *testing.T) { c.volumeRefusals(t) })
	t.Run("NetworkLifecycle", func(t *testing.T) { c.networkLifecycle(t) })
	t.Run("NetworkAddresses", func(t *testing.T) { c.networkAddresses(t) })
	t.Run("NetworkRefusals", func(t *testing.T) { c.networkRefusals(t) })
}

func (c Contract) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	t.Cleanup(cancel)
	return ctx
}

func (c Contract) open(t *testing.T) vm.Hypervisor {
	h := c.Open(t)
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h
}

// define creates a small VM with a unique name and removes it at the end.
func (c Contract) define(t *testing.T, h vm.Hypervisor) vm.VM {
	t.Helper()
	name := fmt.Sprintf("hvtest-%08x", rand.Uint32())
	v, err := h.Define(c.ctx(t), vm.Spec{Name: name, VCPUs: 1, MemoryMiB: 64})
	if err != nil {
		t.Fatalf("Define(%s): %v", name, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = h.Destroy(ctx, v.UUID)
		_ = h.Undefine(ctx, v.UUID)
	})
	return v
}

func (c Contract) lookupAndList(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	v := c.define(t, h)
	if v.Name == "" || v.UUID == "" || v.State != vm.StateShutOff || v.VCPUs != 1 || v.MemoryKiB != 64*1024 {
		t.Errorf("Define returned %+v, want a shut-off VM with 1 vCPU and 64 MiB", v)
	}
	list, err := h.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	found := false
	for _, x := range list {
		if x.UUID == v.UUID {
			found = true
			if x.Name != v.Name || !x.Persistent || x.Autostart {
				t.Errorf("List shows %+v, want name %s, persistent, no autostart", x, v.Name)
			}
		}
	}
	if !found {
		t.Fatalf("List does not show the new VM %s among %d", v.Name, len(list))
	}
	byName, err := h.Lookup(ctx, v.Name)
	if err != nil {
		t.Fatalf("Lookup by name: %v", err)
	}
	byUUID, err := h.Lookup(ctx, v.UUID)
	if err != nil {
		t.Fatalf("Lookup by UUID: %v", err)
	}
	if byName != byUUID || byName.UUID != v.UUID {
		t.Errorf("Lookup by name %+v and by UUID %+v differ", byName, byUUID)
	}
	if err := h.SetAutostart(ctx, v.Name, true); err != nil {
		t.Fatalf("SetAutostart: %v", err)
	}
	if got, _ := h.Lookup(ctx, v.Name); !got.Autostart {
		t.Errorf("autostart not shown after SetAutostart(true): %+v", got)
	}
}

func (c Contract) refusals(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	v := c.define(t, h)
	checks := []struct {
		what string
		err  error
		want error
	}{
		{"Lookup of an unknown name", second(h.Lookup(ctx, "no-such-vm-hvtest")), vm.ErrNotFound},
		{"Start of an unknown VM", h.Start(ctx, "no-such-vm-hvtest"), vm.ErrNotFound},
		{"Define of a taken name", second(h.Define(ctx, vm.Spec{Name: v.Name, VCPUs: 1, MemoryMiB: 64})), vm.ErrExists},
		{"Define without a name", second(h.Define(ctx, vm.Spec{VCPUs: 1, MemoryMiB: 64})), vm.ErrInvalidArg},
		{"Pause of a shut-off VM", h.Pause(ctx, v.Name), vm.ErrInvalidState},
		{"Resume of a shut-off VM", h.Resume(ctx, v.Name), vm.ErrInvalidState},
		{"Destroy of a shut-off VM", h.Destroy(ctx, v.Name), vm.ErrInvalidState},
	}
	for _, ch := range checks {
		if !errors.Is(ch.err, ch.want) {
			t.Errorf("%s: got %v, want an error wrapping %q", ch.what, ch.err, ch.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func (c Contract) lifecycle(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	v := c.define(t, h)

	step := func(what string, op func(context.Context, string) error, kind vm.EventKind, want vm.State) {
		t.Helper()
		if err := op(ctx, v.Name); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		c.expectEvent(t, h, v.UUID, kind)
		if got, err := h.Lookup(ctx, v.UUID); err != nil || got.State != want {
			t.Fatalf("after %s: state %v (err %v), want %v", what, got.State, err, want)
		}
	}
	step("Start", h.Start, vm.EventStarted, vm.StateRunning)
	c.checkStats(t, h, v.UUID, vm.StateRunning)
	if err := h.Start(ctx, v.Name); !errors.Is(err, vm.ErrInvalidState) {
		t.Errorf("Start of a running VM: got %v, want ErrInvalidState", err)
	}
	step("Pause", h.Pause, vm.EventSuspended, vm.StatePaused)
	step("Resume", h.Resume, vm.EventResumed, vm.StateRunning)
	step("Destroy", h.Destroy, vm.EventStopped, vm.StateShutOff)

	if err := h.Undefine(ctx, v.Name); err != nil {
		t.Fatalf("Undefine: %v", err)
	}
	c.expectEvent(t, h, v.UUID, vm.EventUndefined)
	if _, err := h.Lookup(ctx, v.UUID); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("Lookup after Undefine: got %v, want ErrNotFound", err)
	}
}

// checkStats finds the VM in a bulk stats reading; with RealStats it also
// sees its CPU time grow between two readings.
func (c Contract) checkStats(t *testing.T, h vm.Hypervisor, uuid string, want vm.State) {
	t.Helper()
	find := func() vm.Sample {
		t.Helper()
		all, err := h.Stats(c.ctx(t))
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		for _, s := range all {
			if s.UUID == uuid {
				return s
			}
		}
		t.Fatalf("Stats has no sample for %s among %d", uuid, len(all))
		return vm.Sample{}
	}
	first := find()
	if first.State != want {
		t.Errorf("Stats state %v, want %v", first.State, want)
	}
	if !c.RealStats {
		return
	}
	deadline := time.Now().Add(c.Timeout)
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		next := find()
		if first.Has&vm.HasCPU == 0 || next.Has&vm.HasCPU == 0 {
			t.Fatalf("Stats report no CPU time for a running VM: %+v", next)
		}
		if next.CPUTimeNs > first.CPUTimeNs {
			r := vm.ComputeRates(first, next)
			t.Logf("CPU time grew %d ns -> %d ns (%.1f%% of %d vCPU)", first.CPUTimeNs, next.CPUTimeNs, r.CPU, next.VCPUs)
			return
		}
	}
	t.Errorf("CPU time of a running VM did not grow within %v", c.Timeout)
}

// expectEvent waits for an event of kind about uuid, passing over others.
func (c Contract) expectEvent(t *testing.T, h vm.Hypervisor, uuid string, kind vm.EventKind) vm.Event {
	t.Helper()
	timeout := time.After(c.Timeout)
	for {
		select {
		case e := <-h.Events():
			if e.UUID == uuid && e.Kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("no %q event for %s within %v", kind, uuid, c.Timeout)
			return vm.Event{}
		}
	}
}
