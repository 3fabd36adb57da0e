package fleet

import (
	"context"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/remote"
)

// The calls about one VM go to its host; VMs that come back carry it.

func (f *Fleet) Lookup(ctx context.Context, ref string) (vm.VM, error) {
	hv, m, r, err := f.route(ctx, ref)
	if err != nil {
		return vm.VM{}, err
	}
	v, err := hv.Lookup(ctx, r)
	v.Host = m.Name
	return v, err
}

func (f *Fleet) Details(ctx context.Context, ref string) (vm.Details, error) {
	hv, m, r, err := f.route(ctx, ref)
	if err != nil {
		return vm.Details{}, err
	}
	d, err := hv.Details(ctx, r)
	d.Host = m.Name
	return d, err
}

func (f *Fleet) DefineClone(ctx context.Context, ref, name string, disks map[string]vm.VolumeRef) (vm.VM, error) {
	hv, m, r, err := f.route(ctx, ref)
	if err != nil {
		return vm.VM{}, err
	}
	v, err := hv.DefineClone(ctx, r, name, disks)
	v.Host = m.Name
	return v, err
}

func (f *Fleet) Addresses(ctx context.Context, ref string) ([]vm.Address, error) {
	return onVM(ctx, f, ref, func(hv vm.Hypervisor, r string) ([]vm.Address, error) { return hv.Addresses(ctx, r) })
}

func (f *Fleet) Undefine(ctx context.Context, ref string) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.Undefine(ctx, r) })
}
func (f *Fleet) DeleteWithStorage(ctx context.Context, ref string) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.DeleteWithStorage(ctx, r) })
}
func (f *Fleet) Start(ctx context.Context, ref string) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.Start(ctx, r) })
}
func (f *Fleet) Shutdown(ctx context.Context, ref string) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.Shutdown(ctx, r) })
}
func (f *Fleet) Reboot(ctx context.Context, ref string) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.Reboot(ctx, r) })
}
func (f *Fleet) Destroy(ctx context.Context, ref string) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.Destroy(ctx, r) })
}
func (f *Fleet) Pause(ctx context.Context, ref string) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.Pause(ctx, r) })
}
func (f *Fleet) Resume(ctx context.Context, ref string) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.Resume(ctx, r) })
}
func (f *Fleet) Save(ctx context.Context, ref string) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.Save(ctx, r) })
}
func (f *Fleet) SetAutostart(ctx context.Context, ref string, on bool) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.SetAutostart(ctx, r, on) })
}
func (f *Fleet) SetLinks(ctx context.Context, ref string, up bool) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.SetLinks(ctx, r, up) })
}

func (f *Fleet) Snapshots(ctx context.Context, ref string) ([]vm.Snapshot, error) {
	return onVM(ctx, f, ref, func(hv vm.Hypervisor, r string) ([]vm.Snapshot, error) { return hv.Snapshots(ctx, r) })
}
func (f *Fleet) CreateSnapshot(ctx context.Context, ref string, spec vm.SnapshotSpec) (vm.Snapshot, error) {
	return onVM(ctx, f, ref, func(hv vm.Hypervisor, r string) (vm.Snapshot, error) { return hv.CreateSnapshot(ctx, r, spec) })
}
func (f *Fleet) RevertSnapshot(ctx context.Context, ref, name string) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.RevertSnapshot(ctx, r, name) })
}
func (f *Fleet) DeleteSnapshot(ctx context.Context, ref, name string) error {
	return f.doVM(ctx, ref, func(hv vm.Hypervisor, r string) error { return hv.DeleteSnapshot(ctx, r, name) })
}

func (f *Fleet) SetVCPUs(ctx context.Context, ref string, n int) (vm.Applied, error) {
	return onVM(ctx, f, ref, func(hv vm.Hypervisor, r string) (vm.Applied, error) { return hv.SetVCPUs(ctx, r, n) })
}
func (f *Fleet) SetMemory(ctx context.Context, ref string, mib uint64) (vm.Applied, error) {
	return onVM(ctx, f, ref, func(hv vm.Hypervisor, r string) (vm.Applied, error) { return hv.SetMemory(ctx, r, mib) })
}
func (f *Fleet) AttachDisk(ctx context.Context, ref string, spec vm.DiskSpec) (vm.Applied, error) {
	return onVM(ctx, f, ref, func(hv vm.Hypervisor, r string) (vm.Applied, error) { return hv.AttachDisk(ctx, r, spec) })
}
func (f *Fleet) DetachDisk(ctx context.Context, ref, target string) (vm.Applied, error) {
	return onVM(ctx, f, ref, func(hv vm.Hypervisor, r string) (vm.Applied, error) { return hv.DetachDisk(ctx, r, target) })
}
func (f *Fleet) AttachNIC(ctx context.Context, ref string, spec vm.NICSpec) (vm.Applied, error) {
	return onVM(ctx, f, ref, func(hv vm.Hypervisor, r string) (vm.Applied, error) { return hv.AttachNIC(ctx, r, spec) })
}
func (f *Fleet) DetachNIC(ctx context.Context, ref, mac string) (vm.Applied, error) {
	return onVM(ctx, f, ref, func(hv vm.Hypervisor, r string) (vm.Applied, error) { return hv.DetachNIC(ctx, r, mac) })
}
func (f *Fleet) OpenConsole(ctx context.Context, ref string) (vm.Console, error) {
	return onVM(ctx, f, ref, func(hv vm.Hypervisor, r string) (vm.Console, error) { return hv.OpenConsole(ctx, r) })
}

// The primary host's: the machine, new VMs, networks and storage.

func onPrimary[T any](f *Fleet, fn func(hv vm.Hypervisor) (T, error)) (T, error) {
	hv, err := f.primary()
	if err != nil {
		var zero T
		return zero, err
	}
	return fn(hv)
}

func (f *Fleet) doPrimary(fn func(hv vm.Hypervisor) error) error {
	hv, err := f.primary()
	if err != nil {
		return err
	}
	return fn(hv)
}

func (f *Fleet) Host(ctx context.Context) (vm.Host, error) {
	return onPrimary(f, func(hv vm.Hypervisor) (vm.Host, error) { return hv.Host(ctx) })
}
func (f *Fleet) Define(ctx context.Context, spec vm.Spec) (vm.VM, error) {
	v, err := onPrimary(f, func(hv vm.Hypervisor) (vm.VM, error) { return hv.Define(ctx, spec) })
	v.Host = f.members[0].Name
	return v, err
}
func (f *Fleet) Networks(ctx context.Context) ([]vm.Network, error) {
	return onPrimary(f, func(hv vm.Hypervisor) ([]vm.Network, error) { return hv.Networks(ctx) })
}
func (f *Fleet) Network(ctx context.Context, name string) (vm.Network, error) {
	return onPrimary(f, func(hv vm.Hypervisor) (vm.Network, error) { return hv.Network(ctx, name) })
}
func (f *Fleet) DefineNetwork(ctx context.Context, spec vm.NetworkSpec) (vm.Network, error) {
	return onPrimary(f, func(hv vm.Hypervisor) (vm.Network, error) { return hv.DefineNetwork(ctx, spec) })
}
func (f *Fleet) StartNetwork(ctx context.Context, name string) error {
	return f.doPrimary(func(hv vm.Hypervisor) error { return hv.StartNetwork(ctx, name) })
}
func (f *Fleet) StopNetwork(ctx context.Context, name string) error {
	return f.doPrimary(func(hv vm.Hypervisor) error { return hv.StopNetwork(ctx, name) })
}
func (f *Fleet) UndefineNetwork(ctx context.Context, name string) error {
	return f.doPrimary(func(hv vm.Hypervisor) error { return hv.UndefineNetwork(ctx, name) })
}
func (f *Fleet) SetNetworkAutostart(ctx context.Context, name string, on bool) error {
	return f.doPrimary(func(hv vm.Hypervisor) error { return hv.SetNetworkAutostart(ctx, name, on) })
}
func (f *Fleet) Leases(ctx context.Context, network string) ([]vm.Lease, error) {
	return onPrimary(f, func(hv vm.Hypervisor) ([]vm.Lease, error) { return hv.Leases(ctx, network) })
}
func (f *Fleet) Pools(ctx context.Context) ([]vm.Pool, error) {
	return onPrimary(f, func(hv vm.Hypervisor) ([]vm.Pool, error) { return hv.Pools(ctx) })
}
func (f *Fleet) Pool(ctx context.Context, name string) (vm.Pool, error) {
	return onPrimary(f, func(hv vm.Hypervisor) (vm.Pool, error) { return hv.Pool(ctx, name) })
}
func (f *Fleet) DefinePool(ctx context.Context, spec vm.PoolSpec) (vm.Pool, error) {
	return onPrimary(f, func(hv vm.Hypervisor) (vm.Pool, error) { return hv.DefinePool(ctx, spec) })
}
func (f *Fleet) UndefinePool(ctx context.Context, name string) error {
	return f.doPrimary(func(hv vm.Hypervisor) error { return hv.UndefinePool(ctx, name) })
}
func (f *Fleet) DeletePool(ctx context.Context, name string) error {
	return f.doPrimary(func(hv vm.Hypervisor) error { return hv.DeletePool(ctx, name) })
}
func (f *Fleet) StartPool(ctx context.Context, name string) error {
	return f.doPrimary(func(hv vm.Hypervisor) error { return hv.StartPool(ctx, name) })
}
func (f *Fleet) StopPool(ctx context.Context, name string) error {
	return f.doPrimary(func(hv vm.Hypervisor) error { return hv.StopPool(ctx, name) })
}
func (f *Fleet) SetPoolAutostart(ctx context.Context, name string, on bool) error {
	return f.doPrimary(func(hv vm.Hypervisor) error { return hv.SetPoolAutostart(ctx, name, on) })
}
func (f *Fleet) Volumes(ctx context.Context, pool string) ([]vm.Volume, error) {
	return onPrimary(f, func(hv vm.Hypervisor) ([]vm.Volume, error) { return hv.Volumes(ctx, pool) })
}
func (f *Fleet) CreateVolume(ctx context.Context, pool string, spec vm.VolumeSpec) (vm.Volume, error) {
	return onPrimary(f, func(hv vm.Hypervisor) (vm.Volume, error) { return hv.CreateVolume(ctx, pool, spec) })
}
func (f *Fleet) DeleteVolume(ctx context.Context, pool, name string) error {
	return f.doPrimary(func(hv vm.Hypervisor) error { return hv.DeleteVolume(ctx, pool, name) })
}
func (f *Fleet) VolumeByPath(ctx context.Context, path string) (vm.Volume, error) {
	return onPrimary(f, func(hv vm.Hypervisor) (vm.Volume, error) { return hv.VolumeByPath(ctx, path) })
}
func (f *Fleet) CopyVolume(ctx context.Context, pool, src, dst string, progress func(done, total uint64)) (vm.Volume, error) {
	return onPrimary(f, func(hv vm.Hypervisor) (vm.Volume, error) { return hv.CopyVolume(ctx, pool, src, dst, progress) })
}

// migrate moves r from src's host to dst's: both must be hv daemons.
func migrate(ctx context.Context, src, dst vm.Hypervisor, r string, progress func(vm.MigrationProgress)) error {
	s, ok1 := src.(*remote.Client)
	d, ok2 := dst.(*remote.Client)
	if !ok1 || !ok2 {
		return &vm.Error{Op: "migrate", Target: r, Kind: vm.ErrUnsupported, Detail: "both hosts must be reached through their hv daemons",
			Hint: "name the hosts by their daemons (ssh://HOST, or the local socket), not by libvirt URIs"}
	}
	return remote.Migrate(ctx, s, d, r, progress)
}
