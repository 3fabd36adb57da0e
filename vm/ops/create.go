package ops

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/hyper-nixos/hv/vm"
)

// CreateSpec is a new VM as the operator describes it: the disk is made
// (blank, or a copy of an image) in a pool, then the VM is defined.
type CreateSpec struct {
	Name      string
	VCPUs     int
	MemoryMiB uint64
	Pool      string       // where the new disk goes ("default" when empty)
	DiskBytes uint64       // a new blank disk of this size; 0 for none
	Image     vm.VolumeRef // an existing disk or cloud image, copied as the disk (in its pool)
	ISO       vm.VolumeRef // an install image, booted first
	Network   string
	Firmware  string // bios (default) or uefi
	Autostart bool
	Start     bool
}

// Progress reports long work: what is happening, and bytes done of total
// when it is a copy (0, 0 otherwise).
type Progress func(step string, done, total uint64)

func (p Progress) say(step string, done, total uint64) {
	if p != nil {
		p(step, done, total)
	}
}

func refused(what string, kind error, why, hint string) error {
	return &vm.Error{Op: "create", Target: what, Kind: kind, Detail: why, Hint: hint}
}

// Check validates a spec against the host before anything is made, so a
// refusal never leaves a half-made VM: the name is free, the sizes fit the
// host, the pool has the space, the media and network exist.
func (s *CreateSpec) Check(ctx context.Context, h vm.Hypervisor) error {
	if !h.Access().Writable() {
		return refused(s.Name, vm.ErrDenied, "read-only access", "")
	}
	if err := vm.ValidName("VM", s.Name); err != nil {
		return refused(s.Name, vm.ErrInvalidArg, err.Error(), "")
	}
	if _, err := h.Lookup(ctx, s.Name); err == nil {
		return refused(s.Name, vm.ErrExists, "a VM named "+s.Name+" exists", "pick another name")
	} else if !errors.Is(err, vm.ErrNotFound) {
		return err
	}
	host, err := h.Host(ctx)
	if err != nil {
		return err
	}
	switch {
	case s.VCPUs < 1 || s.VCPUs > host.CPUs:
		return refused(s.Name, vm.ErrInvalidArg, fmt.Sprintf("%d vCPUs: the host has %d CPUs", s.VCPUs, host.CPUs), "use 1 to "+fmt.Sprint(host.CPUs))
	case s.MemoryMiB < 64:
		return refused(s.Name, vm.ErrInvalidArg, "at least 64M of memory is needed", "")
	case s.MemoryMiB<<10 > host.MemoryKiB:
		return refused(s.Name, vm.ErrInvalidArg, fmt.Sprintf("%s of memory: the host has %s", vm.FormatKiB(s.MemoryMiB<<10), vm.FormatKiB(host.MemoryKiB)), "")
	case s.Firmware != "" && s.Firmware != "bios" && s.Firmware != "uefi":
		return refused(s.Name, vm.ErrInvalidArg, "firmware is bios or uefi, not "+s.Firmware, "")
	case !s.Image.IsZero() && s.DiskBytes > 0:
		return refused(s.Name, vm.ErrInvalidArg, "give a disk size or an image to copy, not both", "")
	case !s.Image.IsZero() && !s.ISO.IsZero():
		return refused(s.Name, vm.ErrInvalidArg, "give an install ISO or a disk image, not both", "")
	}
	if s.Pool == "" {
		s.Pool = "default"
	}
	if s.DiskBytes > 0 {
		p, err := h.Pool(ctx, s.Pool)
		if err != nil {
			return err
		}
		if err := vm.CheckSpace("create", s.Name, p, s.DiskBytes); err != nil {
			return err
		}
		if err := freeVolumeName(ctx, h, s.Pool, s.Name+".qcow2"); err != nil {
			return err
		}
	}
	if !s.Image.IsZero() {
		img, err := vm.FindVolume(ctx, h, s.Image)
		if err != nil {
			return err
		}
		p, err := h.Pool(ctx, img.Pool)
		if err != nil {
			return err
		}
		if err := vm.CheckSpace("create", s.Name, p, max(img.AllocationBytes, 1)); err != nil {
			return err
		}
		if err := freeVolumeName(ctx, h, img.Pool, s.Name+path.Ext(img.Name)); err != nil {
			return err
		}
	}
	if !s.ISO.IsZero() {
		if _, err := vm.FindVolume(ctx, h, s.ISO); err != nil {
			return err
		}
	}
	if s.Network != "" {
		n, err := h.Network(ctx, s.Network)
		if err != nil {
			return err
		}
		if s.Start && !n.Active {
			return refused(s.Name, vm.ErrInvalidState, "network "+n.Name+" is inactive", "start it with 'hv net start "+n.Name+"'")
		}
	}
	return nil
}

func freeVolumeName(ctx context.Context, h vm.Hypervisor, pool, name string) error {
	vols, err := h.Volumes(ctx, pool)
	if err != nil {
		return err
	}
	for _, v := range vols {
		if v.Name == name {
			return refused(strings.TrimSuffix(name, path.Ext(name)), vm.ErrExists,
				"pool "+pool+" already has a volume "+name, "delete it, or pick another VM name")
		}
	}
	return nil
}

// Create checks spec, makes the disk, defines the VM, then sets autostart
// and starts it as asked. A failure after the disk was made removes it, and
// so does cancelling ctx before the VM is defined (the error is then
// vm.ErrCancelled); from there on the work runs to its end.
func Create(ctx context.Context, h vm.Hypervisor, spec CreateSpec, progress Progress) (vm.VM, error) {
	if err := spec.Check(ctx, h); err != nil {
		return vm.VM{}, err
	}
	def := vm.Spec{Name: spec.Name, VCPUs: spec.VCPUs, MemoryMiB: spec.MemoryMiB, ISO: spec.ISO,
		Network: spec.Network, Firmware: spec.Firmware, VNC: !spec.ISO.IsZero()}
	var made *vm.Volume
	switch {
	case spec.DiskBytes > 0:
		progress.say("creating the disk", 0, 0)
		v, err := h.CreateVolume(ctx, spec.Pool, vm.VolumeSpec{Name: spec.Name + ".qcow2", CapacityBytes: spec.DiskBytes})
		if err != nil {
			return vm.VM{}, err
		}
		made = &v
	case !spec.Image.IsZero():
		img, err := vm.FindVolume(ctx, h, spec.Image)
		if err != nil {
			return vm.VM{}, err
		}
		v, err := h.CopyVolume(ctx, img.Pool, img.Name, spec.Name+path.Ext(img.Name), func(done, total uint64) {
			progress.say("copying "+img.Name, done, total)
		})
		if err != nil {
			return vm.VM{}, err
		}
		made = &v
	}
	undo := func() {
		if made != nil {
			h.DeleteVolume(context.WithoutCancel(ctx), made.Pool, made.Name)
		}
	}
	if err := ctx.Err(); err != nil {
		undo()
		return vm.VM{}, refused(spec.Name, vm.ErrCancelled, "cancelled before the VM was defined; its disk is deleted", "")
	}
	ctx = context.WithoutCancel(ctx)
	if made != nil {
		def.Disks = []vm.DiskSpec{{Volume: made.Ref()}}
	}
	progress.say("defining "+spec.Name, 0, 0)
	v, err := h.Define(ctx, def)
	if err != nil {
		undo()
		return vm.VM{}, err
	}
	if spec.Autostart {
		if err := h.SetAutostart(ctx, v.Ref(), true); err != nil {
			return v, err
		}
		v.Autostart = true
	}
	if spec.Start {
		progress.say("starting "+spec.Name, 0, 0)
		if err := h.Start(ctx, v.Ref()); err != nil {
			return v, err
		}
		v.State = vm.StateRunning
	}
	return v, nil
}
