package libvirt

import (
	"context"
	"errors"
	"testing"

	"github.com/hyper-nixos/hv/vm"
)

// A shut-off VM with snapshots is deleted with them, on a driver that
// knows no NVRAM flag (the test driver): the fallback keeps the snapshot
// flag instead of dropping every flag.
func TestUndefineAVMWithSnapshots(t *testing.T) {
	h := openDemo(t)
	ctx := context.Background()
	snaps, err := h.Snapshots(ctx, "db-primary")
	if err != nil || len(snaps) == 0 {
		t.Fatalf("the demo's db-primary should have snapshots: %v, %v", snaps, err)
	}
	if err := h.Destroy(ctx, "db-primary"); err != nil {
		t.Fatal(err)
	}
	if err := h.Undefine(ctx, "db-primary"); err != nil {
		t.Fatalf("deleting a VM with %d snapshots: %v", len(snaps), err)
	}
	if _, err := h.Lookup(ctx, "db-primary"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("db-primary is still there: %v", err)
	}
}
