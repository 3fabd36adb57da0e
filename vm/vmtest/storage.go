package vmtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hyper-nixos/hv/vm"
)

// pool defines and starts a directory pool of the suite's own, removed at
// the end with whatever volumes the test left in it.
func (c Contract) pool(t *testing.T, h vm.Hypervisor) vm.Pool {
	t.Helper()
	name := fmt.Sprintf("hvtest-pool-%08x", rand.Uint32())
	p, err := h.DefinePool(c.ctx(t), vm.PoolSpec{Name: name, Path: filepath.Join(c.PoolDir, name)})
	if err != nil {
		t.Fatalf("DefinePool(%s): %v", name, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = h.StartPool(ctx, name)
		vols, _ := h.Volumes(ctx, name)
		for _, v := range vols {
			_ = h.DeleteVolume(ctx, name, v.Name)
		}
		_ = h.StopPool(ctx, name)
		if err := h.DeletePool(ctx, name); err != nil {
			t.Errorf("DeletePool(%s): %v", name, err)
		}
	})
	return p
}

// volume creates a volume in pool; the pool's cleanup removes it.
func (c Contract) volume(t *testing.T, h vm.Hypervisor, pool string, spec vm.VolumeSpec) vm.Volume {
	t.Helper()
	v, err := h.CreateVolume(c.ctx(t), pool, spec)
	if err != nil {
		t.Fatalf("CreateVolume(%s, %s): %v", pool, spec.Name, err)
	}
	return v
}

func (c Contract) poolLifecycle(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	p := c.pool(t, h)
	if !p.Active || !p.Persistent || p.Type != "dir" || p.Path != filepath.Join(c.PoolDir, p.Name) || p.CapacityBytes == 0 {
		t.Errorf("DefinePool returned %+v, want an active persistent dir pool at its path with a capacity", p)
	}
	all, err := h.Pools(ctx)
	if err != nil {
		t.Fatalf("Pools: %v", err)
	}
	if !slices.ContainsFunc(all, func(x vm.Pool) bool { return x.Name == p.Name && x.UUID == p.UUID }) {
		t.Errorf("Pools does not show %s", p.Name)
	}
	if err := h.SetPoolAutostart(ctx, p.Name, true); err != nil {
		t.Fatalf("SetPoolAutostart: %v", err)
	}
	if got, err := h.Pool(ctx, p.Name); err != nil || !got.Autostart || got.UsedBy == nil {
		t.Errorf("after SetPoolAutostart(true): %+v, %v; want autostart and an empty (not nil) UsedBy", got, err)
	}
	if err := h.UndefinePool(ctx, p.Name); !errors.Is(err, vm.ErrInvalidState) {
		t.Errorf("UndefinePool of an active pool: got %v, want ErrInvalidState", err)
	}
	if err := h.DeletePool(ctx, p.Name); !errors.Is(err, vm.ErrInvalidState) {
		t.Errorf("DeletePool of an active pool: got %v, want ErrInvalidState", err)
	}
	if err := h.StopPool(ctx, p.Name); err != nil {
		t.Fatalf("StopPool: %v", err)
	}
	c.expectObjectEvent(t, h, vm.EventPool, p.Name, "stopped")
	if got, _ := h.Pool(ctx, p.Name); got.Active {
		t.Errorf("pool still active after StopPool: %+v", got)
	}
	refusals := map[string]error{
		"StopPool of an inactive pool":  h.StopPool(ctx, p.Name),
		"Volumes of an inactive pool":   second(h.Volumes(ctx, p.Name)),
		"CreateVolume in inactive pool": second(h.CreateVolume(ctx, p.Name, vm.VolumeSpec{Name: "x.qcow2", CapacityBytes: 1 << 20})),
	}
	for what, err := range refusals {
		if !errors.Is(err, vm.ErrInvalidState) || !strings.Contains(err.Error(), "inactive") {
			t.Errorf("%s: got %v, want ErrInvalidState saying it is inactive", what, err)
		}
	}
	if err := h.StartPool(ctx, p.Name); err != nil {
		t.Fatalf("StartPool: %v", err)
	}
	c.expectObjectEvent(t, h, vm.EventPool, p.Name, "started")
	if err := h.StartPool(ctx, p.Name); !errors.Is(err, vm.ErrInvalidState) {
		t.Errorf("StartPool of an active pool: got %v, want ErrInvalidState", err)
	}

	// Forgotten, the pool is gone but its directory stays: defining it
	// again over the same directory works.
	if err := h.StopPool(ctx, p.Name); err != nil {
		t.Fatal(err)
	}
	if err := h.UndefinePool(ctx, p.Name); err != nil {
		t.Fatalf("UndefinePool: %v", err)
	}
	if _, err := h.Pool(ctx, p.Name); !errors.Is(err, vm.ErrNotFound) || !strings.Contains(vm.Fix(err), "hv pool list") {
		t.Errorf("Pool after UndefinePool: got %v (fix %q), want ErrNotFound pointing at 'hv pool list'", err, vm.Fix(err))
	}
	if _, err := h.DefinePool(ctx, vm.PoolSpec{Name: p.Name, Path: p.Path}); err != nil {
		t.Errorf("DefinePool over the directory of a forgotten pool: %v", err)
	}
}

func (c Contract) volumes(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	p := c.pool(t, h)
	v, err := h.CreateVolume(ctx, p.Name, vm.VolumeSpec{Name: "disk.qcow2", CapacityBytes: 8 << 20})
	if err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	if v.Pool != p.Name || v.Format != "qcow2" || v.CapacityBytes != 8<<20 || v.Path != filepath.Join(p.Path, "disk.qcow2") {
		t.Errorf("CreateVolume returned %+v, want an 8 MiB qcow2 volume in %s", v, p.Path)
	}
	raw, err := h.CreateVolume(ctx, p.Name, vm.VolumeSpec{Name: "data.img", CapacityBytes: 4 << 20, Format: "raw"})
	if err != nil || raw.Format != "raw" {
		t.Fatalf("CreateVolume raw: %+v, %v", raw, err)
	}
	byPath, err := h.VolumeByPath(ctx, v.Path)
	if err != nil || byPath.Name != v.Name || byPath.Pool != p.Name {
		t.Errorf("VolumeByPath(%s) = %+v, %v", v.Path, byPath, err)
	}

	var mu sync.Mutex
	var last [2]uint64
	calls := 0
	cp, err := h.CopyVolume(ctx, p.Name, v.Name, "copy.qcow2", func(done, total uint64) {
		mu.Lock()
		defer mu.Unlock()
		if done > total {
			t.Errorf("progress %d of %d", done, total)
		}
		last, calls = [2]uint64{done, total}, calls+1
	})
	if err != nil {
		t.Fatalf("CopyVolume: %v", err)
	}
	mu.Lock()
	if calls == 0 || last[0] != last[1] {
		t.Errorf("CopyVolume progress: %d calls, last %d of %d; want a final call with done = total", calls, last[0], last[1])
	}
	mu.Unlock()
	if cp.Name != "copy.qcow2" || cp.CapacityBytes != v.CapacityBytes || cp.Format != "qcow2" {
		t.Errorf("CopyVolume returned %+v, want a qcow2 copy of %d bytes", cp, v.CapacityBytes)
	}

	// A copy its caller cancelled says so and leaves nothing behind (the
	// list below must not hold it).
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := h.CopyVolume(cancelled, p.Name, v.Name, "never.qcow2", nil); !errors.Is(err, vm.ErrCancelled) {
		t.Errorf("CopyVolume with a cancelled context: %v, want cancelled", err)
	}

	vols, err := h.Volumes(ctx, p.Name)
	if err != nil {
		t.Fatalf("Volumes: %v", err)
	}
	var names []string
	for _, x := range vols {
		names = append(names, x.Name)
		if x.UsedBy == nil {
			t.Errorf("volume %s has a nil UsedBy; want an empty list", x.Name)
		}
	}
	if strings.Join(names, ",") != "copy.qcow2,data.img,disk.qcow2" {
		t.Errorf("Volumes = %v, want copy, data and disk sorted", names)
	}
	for _, name := range names {
		if err := h.DeleteVolume(ctx, p.Name, name); err != nil {
			t.Errorf("DeleteVolume(%s): %v", name, err)
		}
	}
	if vols, _ := h.Volumes(ctx, p.Name); len(vols) != 0 {
		t.Errorf("volumes left after deleting all: %+v", vols)
	}
}

func (c Contract) volumeRefusals(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	p := c.pool(t, h)
	if _, err := h.CreateVolume(ctx, p.Name, vm.VolumeSpec{Name: "taken.qcow2", CapacityBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	fresh, err := h.Pool(ctx, p.Name)
	if err != nil {
		t.Fatal(err)
	}
	tooBig := fresh.AvailableBytes + 1<<30
	checks := []struct {
		what string
		err  error
		want error
		says string
	}{
		{"CreateVolume in an unknown pool", second(h.CreateVolume(ctx, "no-such-pool-hvtest", vm.VolumeSpec{Name: "a", CapacityBytes: 1 << 20})), vm.ErrNotFound, "no-such-pool-hvtest"},
		{"CreateVolume of a taken name", second(h.CreateVolume(ctx, p.Name, vm.VolumeSpec{Name: "taken.qcow2", CapacityBytes: 1 << 20})), vm.ErrExists, "already has a volume taken.qcow2"},
		{"CreateVolume larger than the free space", second(h.CreateVolume(ctx, p.Name, vm.VolumeSpec{Name: "huge.qcow2", CapacityBytes: tooBig})), vm.ErrInvalidArg, "not enough space in pool " + p.Name},
		{"CreateVolume with a slash in the name", second(h.CreateVolume(ctx, p.Name, vm.VolumeSpec{Name: "../escape", CapacityBytes: 1 << 20})), vm.ErrInvalidArg, "cannot contain '/'"},
		{"CreateVolume of 1 KiB", second(h.CreateVolume(ctx, p.Name, vm.VolumeSpec{Name: "tiny", CapacityBytes: 1024})), vm.ErrInvalidArg, "at least 1M"},
		{"DeleteVolume of an unknown volume", h.DeleteVolume(ctx, p.Name, "nothing-here"), vm.ErrNotFound, "has no volume nothing-here"},
		{"CopyVolume of an unknown volume", second(h.CopyVolume(ctx, p.Name, "nothing-here", "x", nil)), vm.ErrNotFound, "nothing-here"},
		{"CopyVolume onto a taken name", second(h.CopyVolume(ctx, p.Name, "taken.qcow2", "taken.qcow2", nil)), vm.ErrExists, "already has"},
		{"Pool of an unknown name", second(h.Pool(ctx, "no-such-pool-hvtest")), vm.ErrNotFound, ""},
		{"StartPool of an unknown name", h.StartPool(ctx, "no-such-pool-hvtest"), vm.ErrNotFound, ""},
		{"VolumeByPath of a path in no pool", second(h.VolumeByPath(ctx, "/nonexistent/hvtest.qcow2")), vm.ErrNotFound, ""},
		{"DefinePool of a taken name", second(h.DefinePool(ctx, vm.PoolSpec{Name: p.Name, Path: p.Path + "-2"})), vm.ErrExists, "exists"},
		{"DefinePool of a taken directory", second(h.DefinePool(ctx, vm.PoolSpec{Name: p.Name + "-2", Path: p.Path})), vm.ErrExists, "already uses"},
		{"DefinePool of a relative path", second(h.DefinePool(ctx, vm.PoolSpec{Name: p.Name + "-3", Path: "images"})), vm.ErrInvalidArg, "absolute"},
	}
	for _, ch := range checks {
		if !errors.Is(ch.err, ch.want) || !strings.Contains(fmt.Sprint(ch.err), ch.says) {
			t.Errorf("%s: got %v, want an error wrapping %q that says %q", ch.what, ch.err, ch.want, ch.says)
		} else if vm.Fix(ch.err) == "" {
			t.Errorf("%s: %v names no fix", ch.what, ch.err)
		}
	}
}

// expectObjectEvent waits for a network or pool event about name.
func (c Contract) expectObjectEvent(t *testing.T, h vm.Hypervisor, kind vm.EventKind, name, detail string) {
	t.Helper()
	ctx := c.ctx(t)
	for {
		select {
		case e := <-h.Events():
			if e.Kind == kind && e.Name == name && e.Detail == detail {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no %s %q event for %s within %v", kind, detail, name, c.Timeout)
		}
	}
}
