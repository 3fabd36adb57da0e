package libvirt

import (
	"context"
	"errors"
	"slices"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/hyper-nixos/hv/vm"
)

// volumeNotFound is the fix for a volume that is not there.
func volumeNotFound(pool string) string {
	return "check the volume's name with 'hv pool volumes " + pool + "'"
}

// activePool looks up a pool that must be active for op; the caller frees it.
func activePool(c *lv.Connect, op, target, name string) (*lv.StoragePool, error) {
	sp, err := c.LookupStoragePoolByName(name)
	if err != nil {
		if hasCode(err, lv.ERR_NO_STORAGE_POOL) {
			return nil, refuse(op, target, vm.ErrNotFound, "no pool is called "+name, poolNotFound)
		}
		return nil, err
	}
	active, err := sp.IsActive()
	if err == nil && !active {
		err = refuse(op, target, vm.ErrInvalidState, "pool "+name+" is inactive", "start it with 'hv pool start "+name+"'")
	}
	if err != nil {
		sp.Free()
		return nil, err
	}
	return sp, nil
}

// lookupVolume finds a volume of an active pool; the caller frees it.
func lookupVolume(sp *lv.StoragePool, op, pool, name string) (*lv.StorageVol, error) {
	v, err := sp.LookupStorageVolByName(name)
	if hasCode(err, lv.ERR_NO_STORAGE_VOL) {
		return nil, refuse(op, pool+"/"+name, vm.ErrNotFound, "pool "+pool+" has no volume "+name, volumeNotFound(pool))
	}
	return v, err
}

// resolveVolume finds the volume r names in its active pool, for op on
// target.
func resolveVolume(c *lv.Connect, op, target string, r vm.VolumeRef) (vm.Volume, error) {
	sp, err := activePool(c, op, target, r.Pool)
	if err != nil {
		return vm.Volume{}, err
	}
	defer sp.Free()
	sv, err := lookupVolume(sp, op, r.Pool, r.Name)
	if err != nil {
		var ve *vm.Error
		if errors.As(err, &ve) {
			ve.Target = target // "attach a disk to web-01", not to the volume
		}
		return vm.Volume{}, err
	}
	defer sv.Free()
	return describeVolume(sv, r.Pool)
}

// Volumes lists the volumes of an active pool, sorted by name, with the VMs
// that use each.
func (b *Backend) Volumes(ctx context.Context, pool string) ([]vm.Volume, error) {
	const op = "list volumes of pool"
	return call(ctx, b, op, pool, func(c *lv.Connect) ([]vm.Volume, error) {
		sp, err := activePool(c, op, pool, pool)
		if err != nil {
			return nil, err
		}
		defer sp.Free()
		vols, err := sp.ListAllStorageVolumes(0)
		if err != nil {
			return nil, err
		}
		defer freeAll(vols)
		u, err := readUsage(c)
		if err != nil {
			return nil, err
		}
		out := make([]vm.Volume, 0, len(vols))
		for i := range vols {
			v, err := describeVolume(&vols[i], pool)
			if hasCode(err, lv.ERR_NO_STORAGE_VOL) { // deleted since the list
				continue
			}
			if err != nil {
				return nil, err
			}
			v.UsedBy = u.volumeUsers(pool, v.Name, v.Path)
			out = append(out, v)
		}
		slices.SortFunc(out, func(a, b vm.Volume) int { return byName(a.Name, b.Name) })
		return out, nil
	})
}

// describeVolume reads a volume of pool, without its users.
func describeVolume(sv *lv.StorageVol, pool string) (vm.Volume, error) {
	v := vm.Volume{Pool: pool}
	var err error
	if v.Name, err = sv.GetName(); err != nil {
		return v, err
	}
	if v.Path, err = sv.GetPath(); err != nil {
		return v, err
	}
	info, err := sv.GetInfo()
	if err != nil {
		return v, err
	}
	v.CapacityBytes, v.AllocationBytes = info.Capacity, info.Allocation
	doc, err := sv.GetXMLDesc(0)
	if err != nil {
		return v, err
	}
	var x libvirtxml.StorageVolume
	if err := x.Unmarshal(doc); err != nil {
		return v, err
	}
	if x.Target != nil && x.Target.Format != nil {
		v.Format = x.Target.Format.Type
	}
	if x.BackingStore != nil {
		v.BackingPath = x.BackingStore.Path
	}
	return v, nil
}

// volumeXML is the definition of a new, empty, thin volume.
func volumeXML(name string, capacity uint64, format string) (string, error) {
	return (&libvirtxml.StorageVolume{
		Name:       name,
		Capacity:   &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: capacity},
		Allocation: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: 0},
		Target:     &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: format}},
	}).Marshal()
}

// roomFor checks, on fresh figures, that a new volume named name of need
// bytes fits in pool sp and that the name is free.
func (b *Backend) roomFor(sp *lv.StoragePool, op, pool, name string, need uint64) error {
	if v, err := sp.LookupStorageVolByName(name); err == nil {
		v.Free()
		return refuse(op, pool+"/"+name, vm.ErrExists, "pool "+pool+" already has a volume "+name, "pick another name")
	}
	// Figures go stale when files change behind libvirt's back. Refreshing
	// fails while another copy runs in the pool; the old figures do then.
	_ = sp.Refresh(0)
	p, err := describePool(sp)
	if err != nil {
		return err
	}
	b.measure(&p)
	return vm.CheckSpace(op, pool+"/"+name, p, need)
}

// CreateVolume creates an empty thin volume; see vm.Storage.
func (b *Backend) CreateVolume(ctx context.Context, pool string, spec vm.VolumeSpec) (vm.Volume, error) {
	const op = "create volume"
	if err := vm.CheckVolumeSpec(pool, &spec); err != nil {
		return vm.Volume{}, err
	}
	doc, err := volumeXML(spec.Name, spec.CapacityBytes, spec.Format)
	if err != nil {
		return vm.Volume{}, err
	}
	return call(ctx, b, op, pool+"/"+spec.Name, func(c *lv.Connect) (vm.Volume, error) {
		sp, err := activePool(c, op, pool+"/"+spec.Name, pool)
		if err != nil {
			return vm.Volume{}, err
		}
		defer sp.Free()
		if err := b.roomFor(sp, op, pool, spec.Name, spec.CapacityBytes); err != nil {
			return vm.Volume{}, err
		}
		sv, err := sp.StorageVolCreateXML(doc, 0)
		if err != nil {
			return vm.Volume{}, err
		}
		defer sv.Free()
		v, err := describeVolume(sv, pool)
		v.UsedBy = []string{}
		return v, err
	})
}

// DeleteVolume deletes a volume that no VM uses and no other volume of its
// pool is built on.
func (b *Backend) DeleteVolume(ctx context.Context, pool, name string) error {
	const op = "delete volume"
	target := pool + "/" + name
	_, err := call(ctx, b, op, target, func(c *lv.Connect) (struct{}, error) {
		sp, err := activePool(c, op, target, pool)
		if err != nil {
			return struct{}{}, err
		}
		defer sp.Free()
		sv, err := lookupVolume(sp, op, pool, name)
		if err != nil {
			return struct{}{}, err
		}
		defer sv.Free()
		v, err := describeVolume(sv, pool)
		if err != nil {
			return struct{}{}, err
		}
		if err := inUse(c, sp, op, v); err != nil {
			return struct{}{}, err
		}
		return run(func() error { return sv.Delete(0) })
	})
	return err
}

// inUse refuses to delete v while a VM has it as a disk or another volume
// of its pool has it as backing file.
func inUse(c *lv.Connect, sp *lv.StoragePool, op string, v vm.Volume) error {
	target := v.Pool + "/" + v.Name
	u, err := readUsage(c)
	if err != nil {
		return err
	}
	v.UsedBy = u.volumeUsers(v.Pool, v.Name, v.Path)
	if err := v.Deletable(op); err != nil {
		return err
	}
	vols, err := sp.ListAllStorageVolumes(0)
	if err != nil {
		return err
	}
	defer freeAll(vols)
	for i := range vols {
		if other, err := describeVolume(&vols[i], v.Pool); err == nil && other.BackingPath == v.Path {
			return refuse(op, target, vm.ErrInvalidState, "volume "+other.Name+" is built on it (backing file)",
				"delete "+other.Name+" first")
		}
	}
	return nil
}

// VolumeByPath finds the volume behind a disk path in any active pool.
func (b *Backend) VolumeByPath(ctx context.Context, path string) (vm.Volume, error) {
	v, err := call(ctx, b, "find volume", path, func(c *lv.Connect) (vm.Volume, error) {
		sv, err := c.LookupStorageVolByPath(path)
		if err != nil {
			return vm.Volume{}, err
		}
		defer sv.Free()
		sp, err := sv.LookupPoolByVolume()
		if err != nil {
			return vm.Volume{}, err
		}
		defer sp.Free()
		pool, err := sp.GetName()
		if err != nil {
			return vm.Volume{}, err
		}
		v, err := describeVolume(sv, pool)
		if err != nil {
			return v, err
		}
		u, err := readUsage(c)
		if err != nil {
			return v, err
		}
		v.UsedBy = u.volumeUsers(pool, v.Name, v.Path)
		return v, nil
	})
	return v, hinted(err, "no active pool holds this path: start its pool, or check the path")
}
