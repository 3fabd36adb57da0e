package vmtest

import (
	"errors"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/vm"
)

func (c Contract) details(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	v := c.define(t, h)
	d, err := h.Details(ctx, v.Name)
	if err != nil {
		t.Fatalf("Details: %v", err)
	}
	if d.UUID != v.UUID || d.Name != v.Name || d.MaxVCPUs != 1 || d.MaxMemoryKiB != 64*1024 || d.Firmware != "bios" || d.Arch == "" {
		t.Errorf("Details = %+v, want the defined VM: 1 vCPU, 64 MiB, BIOS, an architecture", d)
	}
	if _, err := h.Details(ctx, "no-such-vm-hvtest"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("Details of an unknown VM: %v, want ErrNotFound", err)
	}
	if addrs, err := h.Addresses(ctx, v.Name); err != nil || len(addrs) != 0 {
		t.Errorf("Addresses of a shut-off VM = %v, %v; want none and no error", addrs, err)
	}
}

func (c Contract) snapshots(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	v := c.define(t, h)
	if c.RealStats {
		// A real QEMU keeps internal snapshots inside qcow2 disks, and the
		// contract's VM has none: the refusal must say so.
		_, err := h.CreateSnapshot(ctx, v.Name, vm.SnapshotSpec{Name: "first"})
		if !errors.Is(err, vm.ErrUnsupported) || !strings.Contains(err.Error(), "qcow2") {
			t.Errorf("snapshot of a VM without disks: %v, want unsupported, explained", err)
		}
		return
	}
	for _, name := range []string{"first", "second"} {
		s, err := h.CreateSnapshot(ctx, v.Name, vm.SnapshotSpec{Name: name, Description: "made by the contract"})
		if err != nil {
			t.Fatalf("CreateSnapshot %s: %v", name, err)
		}
		if s.Name != name || !s.Current || s.Description != "made by the contract" {
			t.Errorf("CreateSnapshot returned %+v, want %s, current, with its description", s, name)
		}
	}
	list, err := h.Snapshots(ctx, v.Name)
	if err != nil || len(list) != 2 {
		t.Fatalf("Snapshots = %v, %v; want two", list, err)
	}
	byName := map[string]vm.Snapshot{}
	for _, s := range list {
		byName[s.Name] = s
	}
	if byName["second"].Parent != "first" || !byName["second"].Current || byName["first"].Current {
		t.Errorf("want second (current) as a child of first: %+v", list)
	}
	if _, err := h.CreateSnapshot(ctx, v.Name, vm.SnapshotSpec{Name: "first"}); !errors.Is(err, vm.ErrExists) {
		t.Errorf("a second snapshot named first: %v, want ErrExists", err)
	}
	if _, err := h.CreateSnapshot(ctx, v.Name, vm.SnapshotSpec{Name: "bad/name"}); !errors.Is(err, vm.ErrInvalidArg) {
		t.Errorf("a snapshot named bad/name: %v, want ErrInvalidArg", err)
	}
	if err := h.RevertSnapshot(ctx, v.Name, "first"); err != nil {
		t.Fatalf("RevertSnapshot: %v", err)
	}
	if err := h.RevertSnapshot(ctx, v.Name, "nope"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("revert to an unknown snapshot: %v, want ErrNotFound", err)
	}
	if err := h.DeleteSnapshot(ctx, v.Name, "first"); err != nil {
		t.Fatalf("DeleteSnapshot: %v", err)
	}
	list, _ = h.Snapshots(ctx, v.Name)
	if len(list) != 1 || list[0].Name != "second" || list[0].Parent != "" {
		t.Errorf("after deleting first, want second alone at the root: %+v", list)
	}
	if err := h.DeleteSnapshot(ctx, v.Name, "second"); err != nil {
		t.Errorf("DeleteSnapshot second: %v", err)
	}
}

func (c Contract) saveAndRestore(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	v := c.define(t, h)
	if err := h.Save(ctx, v.Name); !errors.Is(err, vm.ErrInvalidState) {
		t.Errorf("Save of a shut-off VM: %v, want ErrInvalidState", err)
	}
	if err := h.Start(ctx, v.Name); err != nil {
		t.Fatal(err)
	}
	c.expectEvent(t, h, v.UUID, vm.EventStarted)
	if err := h.Save(ctx, v.Name); err != nil {
		t.Fatalf("Save: %v", err)
	}
	c.expectEvent(t, h, v.UUID, vm.EventStopped)
	d, err := h.Details(ctx, v.Name)
	if err != nil || d.State != vm.StateShutOff || !d.Saved {
		t.Fatalf("after Save: %+v, %v; want shut off with a saved image", d.VM, err)
	}
	if err := h.Start(ctx, v.Name); err != nil {
		t.Fatalf("Start after Save (restore): %v", err)
	}
	c.expectEvent(t, h, v.UUID, vm.EventStarted)
	if d, _ := h.Details(ctx, v.Name); d.Saved || d.State != vm.StateRunning {
		t.Errorf("after the restore: %+v; want running, the saved image gone", d.VM)
	}
}

func (c Contract) resize(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	v := c.define(t, h)
	if when, err := h.SetVCPUs(ctx, v.Name, 2); err != nil || when != vm.AppliedNextBoot {
		t.Errorf("SetVCPUs(2) on a shut-off VM = %v, %v; want at the next boot", when, err)
	}
	if when, err := h.SetMemory(ctx, v.Name, 96); err != nil || when != vm.AppliedNextBoot {
		t.Errorf("SetMemory(96) = %v, %v; want at the next boot", when, err)
	}
	d, err := h.Details(ctx, v.Name)
	if err != nil || d.VCPUs != 2 || d.MemoryKiB != 96*1024 {
		t.Errorf("after resizing: %d vCPUs, %d KiB (%v); want 2 and 96 MiB", d.VCPUs, d.MemoryKiB, err)
	}
	if _, err := h.SetVCPUs(ctx, v.Name, 0); !errors.Is(err, vm.ErrInvalidArg) {
		t.Errorf("SetVCPUs(0): %v, want ErrInvalidArg", err)
	}
	if _, err := h.SetVCPUs(ctx, v.Name, 100000); !errors.Is(err, vm.ErrInvalidArg) {
		t.Errorf("SetVCPUs beyond the host: %v, want ErrInvalidArg", err)
	}
	if _, err := h.SetMemory(ctx, v.Name, 1<<40); !errors.Is(err, vm.ErrInvalidArg) {
		t.Errorf("SetMemory beyond the host: %v, want ErrInvalidArg", err)
	}
}

func (c Contract) devices(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	p := c.pool(t, h) // before the VM: its cleanup runs after the VM's
	extra := c.volume(t, h, p.Name, vm.VolumeSpec{Name: "contract-extra.qcow2", CapacityBytes: 1 << 20})
	iso := c.volume(t, h, p.Name, vm.VolumeSpec{Name: "install.iso", CapacityBytes: 1 << 20, Format: "raw"})
	v := c.define(t, h)
	when, err := h.AttachDisk(ctx, v.Name, vm.DiskSpec{Volume: extra.Ref()})
	if c.NoHotplug {
		if !errors.Is(err, vm.ErrUnsupported) {
			t.Errorf("AttachDisk on a driver without hotplug: %v, want not supported", err)
		}
		return
	}
	if err != nil || when != vm.AppliedNextBoot {
		t.Fatalf("AttachDisk to a shut-off VM = %v, %v; want at the next boot", when, err)
	}
	if _, err := h.AttachDisk(ctx, v.Name, vm.DiskSpec{Volume: iso.Ref(), Device: "cdrom"}); err != nil {
		t.Fatalf("AttachDisk cdrom: %v", err)
	}
	d, _ := h.Details(ctx, v.Name)
	if len(d.Disks) != 2 || d.Disks[0].Target != "vda" || d.Disks[0].Format != "qcow2" || d.Disks[1].Device != "cdrom" || !d.Disks[1].ReadOnly {
		t.Errorf("after attaching a disk and a CD-ROM: %+v", d.Disks)
	}
	if _, err := h.DetachDisk(ctx, v.Name, "vda"); err != nil {
		t.Fatalf("DetachDisk: %v", err)
	}
	if _, err := h.DetachDisk(ctx, v.Name, "vdz"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("DetachDisk of a missing target: %v, want ErrNotFound", err)
	}
	if d, _ := h.Details(ctx, v.Name); len(d.Disks) != 1 {
		t.Errorf("after detaching vda: %+v", d.Disks)
	}
	if c.Network == "" {
		return
	}
	if _, err := h.AttachNIC(ctx, v.Name, vm.NICSpec{Network: c.Network, MAC: "52:54:00:12:34:56"}); err != nil {
		t.Fatalf("AttachNIC: %v", err)
	}
	d, _ = h.Details(ctx, v.Name)
	if len(d.NICs) != 1 || d.NICs[0].Source != c.Network || d.NICs[0].Model != "virtio" {
		t.Errorf("after attaching a NIC: %+v", d.NICs)
	}
	if _, err := h.DetachNIC(ctx, v.Name, "52:54:00:12:34:56"); err != nil {
		t.Fatalf("DetachNIC: %v", err)
	}
	if d, _ := h.Details(ctx, v.Name); len(d.NICs) != 0 {
		t.Errorf("after detaching: %+v", d.NICs)
	}
}
