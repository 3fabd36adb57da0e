package real

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// TestExternalSnapshotOnLibvirt9: a disk-only snapshot says up front that
// this libvirt cannot revert to it, a revert asked all the same fails with
// that reason (not libvirt's bare "unsupported configuration"), and
// deleting it works, leaving the VM on its own disk again.
func TestExternalSnapshotOnLibvirt9(t *testing.T) {
	e := realEnv(t)
	b := open(t, e.uri)
	defer b.Close()
	pool, _ := flowPool(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := fmt.Sprintf("hvtest-ext-%08x", rand.Uint32())
	v, err := ops.Create(ctx, b, ops.CreateSpec{Name: name, VCPUs: 1, MemoryMiB: 64, Pool: pool, DiskBytes: 16 << 20}, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	defer ops.DeleteWithStorage.Run(context.Background(), b, v)
	before, _ := b.Details(ctx, v.UUID)

	s, err := b.CreateSnapshot(ctx, v.UUID, vm.SnapshotSpec{Name: "ext", DiskOnly: true})
	if err != nil {
		t.Fatalf("disk-only snapshot: %v", err)
	}
	host, _ := b.Host(ctx)
	if !s.External || (strings.HasPrefix(host.LibvirtVersion, "9.0.") && !strings.Contains(s.NoRevert, "cannot revert")) {
		t.Errorf("libvirt %s: snapshot %+v should say it cannot be reverted to", host.LibvirtVersion, s)
	}
	if s.NoRevert != "" {
		err := b.RevertSnapshot(ctx, v.UUID, "ext")
		if !errors.Is(err, vm.ErrUnsupported) || !strings.Contains(err.Error(), "cannot revert to a disk-only (external) snapshot") {
			t.Errorf("revert: %v, want the reason in plain words", err)
		}
	}
	if err := b.DeleteSnapshot(ctx, v.UUID, "ext"); err != nil {
		t.Fatalf("deleting the external snapshot: %v", err)
	}
	after, _ := b.Details(ctx, v.UUID)
	if after.Disks[0].Source != before.Disks[0].Source {
		t.Errorf("after the delete the disk is %s, want %s again", after.Disks[0].Source, before.Disks[0].Source)
	}
}
