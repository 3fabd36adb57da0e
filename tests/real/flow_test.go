package real

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
	"github.com/hyper-nixos/hv/vm/vmtest"
)

// flowPool makes a directory pool holding the tiny guest's ISO, as an
// administrator would put install media where operators can use them.
func flowPool(t *testing.T, e env) (pool, iso string) { // iso: POOL/VOLUME
	t.Helper()
	src := guestISO(t)
	dir, err := os.MkdirTemp("/var/lib/hv-test", "pool-")
	if err != nil {
		if os.MkdirAll("/var/lib/hv-test", 0o755) == nil {
			dir, err = os.MkdirTemp("/var/lib/hv-test", "pool-")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tiny-guest.iso"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	b := open(t, e.uri)
	defer b.Close()
	pool = fmt.Sprintf("hvtest-flow-%08x", rand.Uint32())
	if _, err := b.DefinePool(context.Background(), vm.PoolSpec{Name: pool, Path: dir}); err != nil {
		t.Fatalf("DefinePool: %v", err)
	}
	t.Cleanup(func() {
		b := open(t, e.uri)
		defer b.Close()
		ctx := context.Background()
		b.StopPool(ctx, pool)
		b.UndefinePool(ctx, pool)
		os.RemoveAll(dir)
	})
	return pool, pool + "/tiny-guest.iso"
}

// TestVMOperationsFlowAsOperator is issue 3's walk through a VM's life, as
// the operator (no root, no sudo: the polkit rule grants the rights),
// through the same code the TUI and the CLI call.
func TestVMOperationsFlowAsOperator(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to prepare the pool and switch to the operator")
	pool, iso := flowPool(t, e)
	out, err := runAs(t, e.operator, "^TestVMOperationsFlow$", []string{"HV_REAL_FLOW_POOL=" + pool, "HV_REAL_FLOW_ISO=" + iso})
	t.Logf("as %s:\n%s", e.operator, out)
	if err != nil {
		t.Fatalf("the VM operations flow failed as the operator %s: %v", e.operator, err)
	}
	out, err = runAs(t, e.outsider, "^TestVMOperationsRefusedReadOnly$", []string{"HV_REAL_FLOW_POOL=" + pool, "HV_REAL_FLOW_ISO=" + iso})
	t.Logf("as %s:\n%s", e.outsider, out)
	if err != nil {
		t.Fatalf("the outsider's refusals failed: %v", err)
	}
}

func TestVMOperationsFlow(t *testing.T) {
	e := realEnv(t)
	pool, iso := os.Getenv("HV_REAL_FLOW_POOL"), os.Getenv("HV_REAL_FLOW_ISO")
	if pool == "" {
		t.Skip("run by TestVMOperationsFlowAsOperator")
	}
	if os.Getuid() == 0 {
		t.Fatal("this flow must run as the operator, not root")
	}
	b := vmtest.Answering(connect(t, e))
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	name := fmt.Sprintf("hvtest-flow-%08x", rand.Uint32())

	// Create from the tiny bootable guest, with a new qcow2 disk.
	isoRef, _ := vm.ParseVolumeRef(iso)
	v, err := ops.Create(ctx, b, ops.CreateSpec{Name: name, VCPUs: 1, MemoryMiB: 128, Pool: pool, DiskBytes: 64 << 20, ISO: isoRef}, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	defer func() { ops.DeleteWithStorage.Run(context.Background(), b, v) }()
	if _, err := ops.Create(ctx, b, ops.CreateSpec{Name: name, VCPUs: 1, MemoryMiB: 128}, nil); !errors.Is(err, vm.ErrExists) {
		t.Errorf("a second VM with the same name: %v, want name taken", err)
	}
	if _, err := ops.Create(ctx, b, ops.CreateSpec{Name: name + "-huge", VCPUs: 1, MemoryMiB: 128, Pool: pool, DiskBytes: 1 << 50}, nil); err == nil || !errors.Is(err, vm.ErrInvalidArg) {
		t.Errorf("a disk larger than the pool: %v, want not enough space", err)
	}

	// Start it and read its console; type on it.
	run := func(a *ops.Action, kind vm.EventKind) {
		t.Helper()
		if err := a.Run(ctx, b, v); err != nil {
			t.Fatalf("%s: %v", a.ID, err)
		}
		waitFor(t, b, 60*time.Second, a.ID+" event", func(ev vm.Event) bool { return ev.UUID == v.UUID && ev.Kind == kind })
	}
	run(ops.Start, vm.EventStarted)
	con := console(t, ctx, b, v)
	con.waitFor(t, "HV-TINY-GUEST READY", 90*time.Second)
	con.con.Write([]byte("echo hv-$((6*7))\r"))
	con.waitFor(t, "hv-42", 30*time.Second)
	if err := ops.Start.Run(ctx, b, v); !errors.Is(err, vm.ErrInvalidState) {
		t.Errorf("start of a running VM: %v, want wrong state", err)
	}

	run(ops.Pause, vm.EventSuspended)
	run(ops.Resume, vm.EventResumed)

	// Snapshot with memory, change the guest, revert: the console reopens.
	if _, err := b.CreateSnapshot(ctx, v.UUID, vm.SnapshotSpec{Name: "before", Memory: true}); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	con.con.Write([]byte("echo changed-$((1+1))\r"))
	con.waitFor(t, "changed-2", 30*time.Second)
	if err := b.RevertSnapshot(ctx, v.UUID, "before"); err != nil {
		t.Fatalf("revert: %v", err)
	}
	con.con.Close()
	snaps, _ := b.Snapshots(ctx, v.UUID)
	if len(snaps) != 1 || !snaps[0].Current || !snaps[0].Memory {
		t.Errorf("after the revert: %+v", snaps)
	}
	if d, _ := b.Details(ctx, v.UUID); d.State != vm.StateRunning {
		t.Errorf("a VM reverted to a running snapshot runs: %v", d.State)
	}
	con = console(t, ctx, b, v)
	con.con.Write([]byte("echo back-$((2+2))\r"))
	con.waitFor(t, "back-4", 30*time.Second)
	con.con.Close()

	// Clone needs it shut off: ACPI first, the guest powers itself off.
	if _, err := ops.Clone(ctx, b, v, name+"-c", nil); !errors.Is(err, vm.ErrInvalidState) {
		t.Errorf("clone of a running VM: %v, want wrong state", err)
	}
	if err := ops.Shutdown.Run(ctx, b, v); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	waitFor(t, b, 60*time.Second, "stopped after ACPI shutdown", func(ev vm.Event) bool {
		return ev.UUID == v.UUID && ev.Kind == vm.EventStopped && ev.Detail == "shut down"
	})
	v, _ = b.Lookup(ctx, v.UUID)
	c, err := ops.Clone(ctx, b, v, name+"-c", nil)
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	orig, _ := b.Details(ctx, v.UUID)
	clone, _ := b.Details(ctx, c.UUID)
	if clone.UUID == orig.UUID || len(clone.Disks) != len(orig.Disks) || clone.Disks[0].Source == orig.Disks[0].Source {
		t.Errorf("clone %+v of %+v", clone.Disks, orig.Disks)
	}

	// Delete both with their storage: their volumes go, the ISO stays.
	for _, x := range []vm.VM{c, v} {
		d, _ := b.Details(ctx, x.UUID)
		if err := ops.DeleteWithStorage.Run(ctx, b, x); err != nil {
			t.Fatalf("delete %s with storage: %v", x.Name, err)
		}
		if _, err := b.VolumeByPath(ctx, d.Disks[0].Source); !errors.Is(err, vm.ErrNotFound) {
			t.Errorf("%s's disk %s survived: %v", x.Name, d.Disks[0].Source, err)
		}
	}
	if _, err := vm.FindVolume(ctx, b, isoRef); err != nil {
		t.Errorf("the install ISO must stay: %v", err)
	}
}

// TestVMOperationsRefusedReadOnly: the outsider, connected read-only, is
// refused each operation with a reason and a fix.
func TestVMOperationsRefusedReadOnly(t *testing.T) {
	e := realEnv(t)
	pool, iso := os.Getenv("HV_REAL_FLOW_POOL"), os.Getenv("HV_REAL_FLOW_ISO")
	if pool == "" {
		t.Skip("run by TestVMOperationsFlowAsOperator")
	}
	b := connect(t, e)
	defer b.Close()
	ctx := context.Background()
	if b.Access() != vm.ReadOnly {
		t.Fatalf("the outsider has %v access", b.Access())
	}
	isoRef, _ := vm.ParseVolumeRef(iso)
	_, err := ops.Create(ctx, b, ops.CreateSpec{Name: "hvtest-ro", VCPUs: 1, MemoryMiB: 128, Pool: pool, DiskBytes: 1 << 20, ISO: isoRef}, nil)
	if !errors.Is(err, vm.ErrDenied) || vm.Fix(err) == "" {
		t.Errorf("create as the outsider: %v (fix %q)", err, vm.Fix(err))
	}
	v := vm.VM{Name: "any", UUID: "00000000-0000-0000-0000-000000000001", State: vm.StateShutOff, Persistent: true}
	for _, a := range ops.Lifecycle {
		if why := a.Unavailable(v, b.Access()); why == "" {
			t.Errorf("%s is offered to a read-only user", a.ID)
		}
	}
	if _, err := ops.Clone(ctx, b, v, "hvtest-ro-c", nil); !errors.Is(err, vm.ErrDenied) {
		t.Errorf("clone as the outsider: %v", err)
	}
	if _, err := b.CreateVolume(ctx, pool, vm.VolumeSpec{Name: "x.qcow2", CapacityBytes: 1 << 20}); !errors.Is(err, vm.ErrDenied) {
		t.Errorf("create volume as the outsider: %v", err)
	}
}

// console opens v's console and returns a screen over it.
func console(t *testing.T, ctx context.Context, b vm.Hypervisor, v vm.VM) *screen {
	t.Helper()
	con, err := b.OpenConsole(ctx, v.UUID)
	if err != nil {
		t.Fatalf("console: %v", err)
	}
	return &screen{con: con}
}
