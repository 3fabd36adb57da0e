package ops

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/hyper-nixos/hv/vm"
)

// Clone makes a full copy of a shut-off VM: each disk copied in its pool,
// then a definition with a new UUID and new MAC addresses. Progress counts
// bytes over all disks. A failure removes the copies made so far, and so
// does cancelling ctx while the disks are copied (the error is then
// vm.ErrCancelled); once the copies are done, the clone is defined.
func Clone(ctx context.Context, h vm.Hypervisor, src vm.VM, dst string, progress Progress) (vm.VM, error) {
	fail := func(kind error, why, hint string) (vm.VM, error) {
		return vm.VM{}, &vm.Error{Op: "clone", Target: src.Name, Kind: kind, Detail: why, Hint: hint}
	}
	if !h.Access().Writable() {
		return fail(vm.ErrDenied, "read-only access", "")
	}
	// The copies and the clone are made on the VM's own host, never on
	// another one while it is away.
	h, err := vm.Reach(h, src.Host)
	if err != nil {
		return vm.VM{}, err
	}
	// The state the caller saw may be old: the disks must not change now.
	d, err := h.Details(ctx, src.UUID)
	if err != nil {
		return vm.VM{}, err
	}
	src = d.VM
	if src.State.Active() {
		return fail(vm.ErrInvalidState, src.Name+" is "+src.State.String(), "shut it down first: a running VM's disks change while they are copied")
	}
	if err := vm.ValidName("VM", dst); err != nil {
		return fail(vm.ErrInvalidArg, err.Error(), "")
	}
	if _, err := h.Lookup(ctx, dst); err == nil {
		return fail(vm.ErrExists, "a VM named "+dst+" exists", "pick another name")
	}
	type copyJob struct {
		vol     vm.Volume
		target  string // the disk's target, vda...
		newName string
	}
	var jobs []copyJob
	var total uint64
	for _, disk := range d.Disks {
		if disk.Device != "disk" || disk.Source == "" {
			continue // CD-ROMs are shared media, not copied
		}
		vol, err := h.VolumeByPath(ctx, disk.Source)
		if err != nil {
			return fail(vm.ErrUnsupported, fmt.Sprintf("disk %s (%s) is not in a storage pool", disk.Target, disk.Source),
				"hv copies disks through libvirt's storage pools")
		}
		jobs = append(jobs, copyJob{vol, disk.Target, cloneVolumeName(vol.Name, src.Name, dst, disk.Target)})
		total += vol.AllocationBytes
	}
	copies := map[string]vm.VolumeRef{}
	var made []vm.Volume
	undo := func() {
		for _, v := range made {
			h.DeleteVolume(context.WithoutCancel(ctx), v.Pool, v.Name)
		}
	}
	var done uint64
	for _, j := range jobs {
		base := done
		v, err := h.CopyVolume(ctx, j.vol.Pool, j.vol.Name, j.newName, func(d, _ uint64) {
			progress.say("copying "+j.vol.Name, base+d, total)
		})
		if err != nil {
			undo()
			return vm.VM{}, err
		}
		done += j.vol.AllocationBytes
		made = append(made, v)
		copies[j.target] = v.Ref()
	}
	if err := ctx.Err(); err != nil {
		undo()
		return fail(vm.ErrCancelled, "cancelled after the copies; they are deleted", "")
	}
	progress.say("defining "+dst, total, total)
	v, err := h.DefineClone(context.WithoutCancel(ctx), src.UUID, dst, copies)
	if err != nil {
		undo()
		return vm.VM{}, err
	}
	return v, nil
}

// cloneVolumeName names a disk's copy after the clone: web-01.qcow2 becomes
// web-02.qcow2, web-01-data.qcow2 web-02-data.qcow2, and a disk named
// otherwise becomes NEW-vdb.qcow2.
func cloneVolumeName(vol, src, dst, target string) string {
	if rest, ok := strings.CutPrefix(vol, src); ok {
		return dst + rest
	}
	return dst + "-" + target + path.Ext(vol)
}
