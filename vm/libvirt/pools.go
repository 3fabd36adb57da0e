package libvirt

import (
	"context"
	"errors"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/hyper-nixos/hv/vm"
)

const poolNotFound = "check the pool's name with 'hv pool list'"

// Pools lists every pool, active or not, sorted by name, with the VMs that
// have disks in each.
func (b *Backend) Pools(ctx context.Context) ([]vm.Pool, error) {
	return call(ctx, b, "list pools", "", func(c *lv.Connect) ([]vm.Pool, error) {
		all, err := listPools(c)
		if err != nil {
			return nil, err
		}
		u, err := readUsage(c)
		if err != nil {
			return nil, err
		}
		for i := range all {
			b.measure(&all[i])
			all[i].UsedBy = u.poolUsers(all[i].Name, all[i].Path)
		}
		return all, nil
	})
}

// listPools describes every pool, without users, sorted by name.
func listPools(c *lv.Connect) ([]vm.Pool, error) {
	pools, err := c.ListAllStoragePools(0)
	if err != nil {
		return nil, err
	}
	defer freeAll(pools)
	out := make([]vm.Pool, 0, len(pools))
	for i := range pools {
		p, err := describePool(&pools[i])
		if hasCode(err, lv.ERR_NO_STORAGE_POOL) { // undefined since the list
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b vm.Pool) int { return byName(a.Name, b.Name) })
	return out, nil
}

// Pool returns one pool by name.
func (b *Backend) Pool(ctx context.Context, name string) (vm.Pool, error) {
	p, err := call(ctx, b, "look up pool", name, func(c *lv.Connect) (vm.Pool, error) {
		sp, err := c.LookupStoragePoolByName(name)
		if err != nil {
			return vm.Pool{}, err
		}
		defer sp.Free()
		p, err := describePool(sp)
		if err != nil {
			return p, err
		}
		b.measure(&p)
		u, err := readUsage(c)
		if err != nil {
			return p, err
		}
		p.UsedBy = u.poolUsers(p.Name, p.Path)
		return p, nil
	})
	return p, hinted(err, poolNotFound)
}

// describePool reads what hv shows of a pool, without its users.
func describePool(sp *lv.StoragePool) (vm.Pool, error) {
	var p vm.Pool
	var err error
	if p.Name, err = sp.GetName(); err != nil {
		return p, err
	}
	if p.UUID, err = sp.GetUUIDString(); err != nil {
		return p, err
	}
	if err = readSizes(sp, &p); err != nil {
		return p, err
	}
	if p.Autostart, err = sp.GetAutostart(); err != nil {
		return p, err
	}
	if p.Persistent, err = sp.IsPersistent(); err != nil {
		return p, err
	}
	doc, err := sp.GetXMLDesc(0)
	if err != nil {
		return p, err
	}
	var x libvirtxml.StoragePool
	if err := x.Unmarshal(doc); err != nil {
		return p, err
	}
	p.Type = x.Type
	if x.Target != nil {
		p.Path = x.Target.Path
	}
	return p, nil
}

// readSizes fills in whether the pool is active and, when it is, its sizes.
func readSizes(sp *lv.StoragePool, p *vm.Pool) error {
	info, err := sp.GetInfo()
	if err != nil {
		return err
	}
	p.Active = info.State == lv.STORAGE_POOL_RUNNING || info.State == lv.STORAGE_POOL_DEGRADED
	if p.Active {
		p.CapacityBytes, p.AllocationBytes, p.AvailableBytes = info.Capacity, info.Allocation, info.Available
	}
	return nil
}

// onPool runs fn on the pool called name when it is in the state op needs.
func (b *Backend) onPool(ctx context.Context, op, name string, want need, hint string, fn func(*lv.StoragePool) error) error {
	lookup := func(c *lv.Connect) (*lv.StoragePool, error) { return c.LookupStoragePoolByName(name) }
	return hinted(onObject(ctx, b, op, name, want, hint, lookup, fn), poolNotFound)
}

func (b *Backend) StartPool(ctx context.Context, name string) error {
	return b.onPool(ctx, "start pool", name, needInactive, "it is already running: nothing to do",
		func(sp *lv.StoragePool) error { return sp.Create(0) })
}

// StopPool stops a pool. Running VMs keep the disks they have open, but
// no VM with a disk in it can start, and its volumes cannot be listed or
// changed, until it starts again.
func (b *Backend) StopPool(ctx context.Context, name string) error {
	return b.onPool(ctx, "stop pool", name, needActive, "it is already stopped: nothing to do",
		func(sp *lv.StoragePool) error { return sp.Destroy() })
}

func (b *Backend) SetPoolAutostart(ctx context.Context, name string, on bool) error {
	return b.onPool(ctx, "set autostart of pool", name, anyState, "",
		func(sp *lv.StoragePool) error { return sp.SetAutostart(on) })
}

// UndefinePool forgets an inactive pool. Its directory and files stay.
func (b *Backend) UndefinePool(ctx context.Context, name string) error {
	return b.onPool(ctx, "undefine pool", name, needInactive, "stop it first: hv pool stop "+name,
		func(sp *lv.StoragePool) error { return sp.Undefine() })
}

// DeletePool removes an inactive pool's empty directory, then forgets it.
func (b *Backend) DeletePool(ctx context.Context, name string) error {
	err := b.onPool(ctx, "delete pool", name, needInactive, "stop it first: hv pool stop "+name,
		func(sp *lv.StoragePool) error {
			if err := sp.Delete(0); err != nil {
				return err
			}
			return sp.Undefine()
		})
	var ve *vm.Error
	if errors.As(err, &ve) && ve.Hint == "" && strings.Contains(strings.ToLower(ve.Detail), "not empty") {
		ve.Hint = "delete its volumes first: hv pool volumes " + name
	}
	return err
}

// DefinePool defines a directory pool, has libvirt create the directory
// (as the daemon's user, so an operator needs no rights on the path) and
// starts it. A pool that cannot be built or started is undefined again.
func (b *Backend) DefinePool(ctx context.Context, spec vm.PoolSpec) (vm.Pool, error) {
	const op = "define pool"
	if err := vm.CheckPoolSpec(spec); err != nil {
		return vm.Pool{}, err
	}
	doc, err := (&libvirtxml.StoragePool{Type: "dir", Name: spec.Name,
		Target: &libvirtxml.StoragePoolTarget{Path: spec.Path}}).Marshal()
	if err != nil {
		return vm.Pool{}, err
	}
	return call(ctx, b, op, spec.Name, func(c *lv.Connect) (vm.Pool, error) {
		if err := poolFree(c, spec); err != nil {
			return vm.Pool{}, err
		}
		sp, err := c.StoragePoolDefineXML(doc, 0)
		if err != nil {
			return vm.Pool{}, err
		}
		defer sp.Free()
		if err := sp.Build(0); err != nil {
			sp.Undefine()
			return vm.Pool{}, err
		}
		if err := sp.Create(0); err != nil {
			sp.Undefine()
			return vm.Pool{}, err
		}
		p, err := describePool(sp)
		b.measure(&p)
		p.UsedBy = []string{}
		return p, err
	})
}

// measure replaces libvirt's free space of a pool whose directory is on
// this machine by what an unprivileged writer can use, as the host checks
// measure it: libvirt counts the blocks reserved for root, which QEMU
// running as its own user cannot fill. It also names the filesystem, so
// that pools sharing one are counted once.
func (b *Backend) measure(p *vm.Pool) {
	if !b.local || !p.Active || p.Path == "" || !slices.Contains([]string{"dir", "fs", "netfs"}, p.Type) {
		return
	}
	var fs syscall.Statfs_t
	fi, err := os.Stat(p.Path)
	if err != nil || syscall.Statfs(p.Path, &fs) != nil {
		return // not ours to see: libvirt's figures stand
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		p.Filesystem = strconv.FormatUint(st.Dev, 16)
	}
	p.AvailableBytes = min(p.AvailableBytes, fs.Bavail*uint64(fs.Frsize))
}

// onThisHost reports whether uri reaches a libvirtd on this machine, whose
// pool directories hv can measure: not a remote host, nor the test
// driver's imaginary pools.
func onThisHost(uri string) bool {
	u, err := url.Parse(uri)
	return err == nil && u.Host == "" && !strings.HasPrefix(u.Scheme, "test")
}

// poolFree refuses a pool name or directory another pool has.
func poolFree(c *lv.Connect, spec vm.PoolSpec) error {
	all, err := listPools(c)
	if err != nil {
		return err
	}
	for _, p := range all {
		switch {
		case p.Name == spec.Name:
			return refuse("define pool", spec.Name, vm.ErrExists, "a pool with this name exists", "pick another name")
		case p.Path == spec.Path:
			return refuse("define pool", spec.Name, vm.ErrExists, "pool "+p.Name+" already uses "+spec.Path, "pick another directory, or use pool "+p.Name)
		}
	}
	return nil
}
