package ops

import (
	"context"
	"errors"
	"github.com/hyper-nixos/hv/security/phase"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/demo"
)

func demoHost(t *testing.T, readOnly bool) (vm.Hypervisor, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	open := demo.Open
	if readOnly {
		open = demo.OpenReadOnly
	}
	h, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, ctx
}

func TestCreateMakesTheDiskThenTheVM(t *testing.T) {
	h, ctx := demoHost(t, false)
	var steps []string
	v, err := Create(ctx, h, CreateSpec{Name: "app-01", VCPUs: 2, MemoryMiB: 2048, DiskBytes: 10 << 30,
		ISO: vm.VolumeRef{Pool: "default", Name: "debian-12.5.0-amd64-netinst.iso"}, Network: "default", Autostart: true, Start: true},
		func(step string, _, _ uint64) { steps = append(steps, step) })
	if err != nil {
		t.Fatal(err)
	}
	if v.State != vm.StateRunning || !v.Autostart {
		t.Errorf("created %+v, want running and autostarted", v)
	}
	d, _ := h.Details(ctx, "app-01")
	if len(d.Disks) != 2 || d.Disks[0].Source != "/var/lib/libvirt/images/app-01.qcow2" || d.Disks[1].Device != "cdrom" || len(d.NICs) != 1 {
		t.Errorf("details %+v", d)
	}
	if strings.Join(steps, ",") != "creating the disk,defining app-01,starting app-01" {
		t.Errorf("progress steps %v", steps)
	}
}

func TestCreateRefusesBeforeMakingAnything(t *testing.T) {
	h, ctx := demoHost(t, false)
	iso := vm.VolumeRef{Pool: "default", Name: "debian-12.5.0-amd64-netinst.iso"}
	tests := []struct {
		name string
		spec CreateSpec
		kind error
		want string
	}{
		{"name taken", CreateSpec{Name: "web-01", VCPUs: 1, MemoryMiB: 512}, vm.ErrExists, "a VM named web-01 exists"},
		{"bad name", CreateSpec{Name: "a/b", VCPUs: 1, MemoryMiB: 512}, vm.ErrInvalidArg, "cannot contain '/'"},
		{"not enough space", CreateSpec{Name: "big", VCPUs: 1, MemoryMiB: 512, DiskBytes: 500 << 30}, vm.ErrInvalidArg, "not enough space in pool default"},
		{"too many vCPUs", CreateSpec{Name: "x", VCPUs: 1000, MemoryMiB: 512}, vm.ErrInvalidArg, "the host has"},
		{"too little memory", CreateSpec{Name: "x", VCPUs: 1, MemoryMiB: 8}, vm.ErrInvalidArg, "at least 64M"},
		{"unknown pool", CreateSpec{Name: "x", VCPUs: 1, MemoryMiB: 512, Pool: "nope", DiskBytes: 1 << 30}, vm.ErrNotFound, ""},
		{"unknown network", CreateSpec{Name: "x", VCPUs: 1, MemoryMiB: 512, Network: "nope"}, vm.ErrNotFound, ""},
		{"missing ISO", CreateSpec{Name: "x", VCPUs: 1, MemoryMiB: 512, ISO: vm.VolumeRef{Pool: "default", Name: "nowhere.iso"}}, vm.ErrNotFound, "pool default has no volume nowhere.iso"},
		{"image and ISO", CreateSpec{Name: "x", VCPUs: 1, MemoryMiB: 512, ISO: iso, Image: iso}, vm.ErrInvalidArg, "not both"},
		{"firmware", CreateSpec{Name: "x", VCPUs: 1, MemoryMiB: 512, Firmware: "coreboot"}, vm.ErrInvalidArg, "bios or uefi"},
	}
	before, _ := h.Volumes(ctx, "default")
	for _, tt := range tests {
		_, err := Create(ctx, h, tt.spec, nil)
		if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want %v mentioning %q", tt.name, err, tt.kind, tt.want)
		}
	}
	after, _ := h.Volumes(ctx, "default")
	if len(after) != len(before) {
		t.Errorf("a refused create left volumes behind: %d before, %d after", len(before), len(after))
	}
	ro, rctx := demoHost(t, true)
	if _, err := Create(rctx, ro, CreateSpec{Name: "x", VCPUs: 1, MemoryMiB: 512}, nil); !errors.Is(err, vm.ErrDenied) {
		t.Errorf("read-only: %v, want permission denied", err)
	}
}

func TestCloneCopiesDisksWithNewIdentity(t *testing.T) {
	h, ctx := demoHost(t, false)
	// The demo's own VMs have disks larger than the free space: make a small one.
	src, err := Create(ctx, h, CreateSpec{Name: "ci-runner", VCPUs: 1, MemoryMiB: 512, DiskBytes: 2 << 30, Network: "default"}, nil)
	if !errors.Is(err, vm.ErrExists) {
		t.Fatalf("ci-runner exists on the demo: %v", err)
	}
	src, err = Create(ctx, h, CreateSpec{Name: "builder", VCPUs: 1, MemoryMiB: 512, DiskBytes: 2 << 30, Network: "default"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var last [2]uint64
	c, err := Clone(ctx, h, src, "builder-2", func(_ string, done, total uint64) { last = [2]uint64{done, total} })
	if err != nil {
		t.Fatal(err)
	}
	a, _ := h.Details(ctx, src.UUID)
	b, _ := h.Details(ctx, c.UUID)
	if b.UUID == a.UUID || len(b.Disks) != len(a.Disks) || b.VCPUs != a.VCPUs {
		t.Fatalf("clone %+v of %+v", b, a)
	}
	for i := range a.Disks {
		if b.Disks[i].Source == a.Disks[i].Source || !strings.Contains(b.Disks[i].Source, "builder-2") {
			t.Errorf("disk %d of the clone is %s (source %s)", i, b.Disks[i].Source, a.Disks[i].Source)
		}
	}
	for i := range a.NICs {
		if b.NICs[i].MAC == a.NICs[i].MAC {
			t.Errorf("the clone kept the MAC %s", a.NICs[i].MAC)
		}
	}
	if last[0] != last[1] {
		t.Errorf("progress ended at %d of %d", last[0], last[1])
	}
	running, _ := h.Lookup(ctx, "web-01")
	if _, err := Clone(ctx, h, running, "web-03", nil); !errors.Is(err, vm.ErrInvalidState) {
		t.Errorf("clone of a running VM: %v", err)
	}
	if _, err := Clone(ctx, h, src, "web-01", nil); !errors.Is(err, vm.ErrExists) {
		t.Errorf("clone onto a taken name: %v", err)
	}
}

func TestDeleteWithStorageRemovesItsVolumes(t *testing.T) {
	h, ctx := demoHost(t, false)
	v, _ := h.Lookup(ctx, "ci-runner")
	d, _ := h.Details(ctx, v.UUID)
	if err := DeleteWithStorage.Run(ctx, h, v); err != nil {
		t.Fatal(err)
	}
	for _, disk := range d.Disks {
		if _, err := h.VolumeByPath(ctx, disk.Source); !errors.Is(err, vm.ErrNotFound) {
			t.Errorf("volume %s survived: %v", disk.Source, err)
		}
	}
	if DeleteWithStorage.Policy(phase.Setup, 1).Ask != phase.TypeName || DeleteWithStorage.Risk != Critical {
		t.Error("deleting with storage is critical and asks for the name")
	}
}
