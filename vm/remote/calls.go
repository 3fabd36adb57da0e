package remote

import (
	"context"
	"net/url"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

// The vm.Hypervisor methods, each one route of vm/api.

func get[T any](c *Client, ctx context.Context, route string, args ...string) (T, error) {
	var v T
	err := c.get(ctx, api.Find(route), args, &v)
	return v, err
}

func send[T any](c *Client, ctx context.Context, route string, in any, args ...string) (T, error) {
	var v T
	err := c.call(ctx, api.Find(route), args, nil, in, &v)
	return v, err
}

func (c *Client) do(ctx context.Context, route string, in any, args ...string) error {
	return c.call(ctx, api.Find(route), args, nil, in, nil)
}

func applied(ctx context.Context, c *Client, route string, in any, args ...string) (vm.Applied, error) {
	w, err := send[api.When](c, ctx, route, in, args...)
	return w.Applied, err
}

func (c *Client) Host(ctx context.Context) (vm.Host, error) { return get[vm.Host](c, ctx, "host") }
func (c *Client) List(ctx context.Context) ([]vm.VM, error) { return get[[]vm.VM](c, ctx, "vm.list") }
func (c *Client) Stats(ctx context.Context) ([]vm.Sample, error) {
	return get[[]vm.Sample](c, ctx, "vm.stats")
}
func (c *Client) Lookup(ctx context.Context, ref string) (vm.VM, error) {
	return get[vm.VM](c, ctx, "vm.lookup", ref)
}
func (c *Client) Details(ctx context.Context, ref string) (vm.Details, error) {
	return get[vm.Details](c, ctx, "vm.details", ref)
}
func (c *Client) Addresses(ctx context.Context, ref string) ([]vm.Address, error) {
	return get[[]vm.Address](c, ctx, "vm.addresses", ref)
}

func (c *Client) Define(ctx context.Context, spec vm.Spec) (vm.VM, error) {
	return send[vm.VM](c, ctx, "vm.define", spec)
}
func (c *Client) DefineClone(ctx context.Context, ref, name string, disks map[string]vm.VolumeRef) (vm.VM, error) {
	return send[vm.VM](c, ctx, "vm.clone", api.CloneReq{Name: name, Disks: disks}, ref)
}
func (c *Client) Undefine(ctx context.Context, ref string) error {
	return c.do(ctx, "vm.delete", nil, ref)
}
func (c *Client) DeleteWithStorage(ctx context.Context, ref string) error {
	return c.do(ctx, "vm.delete-storage", nil, ref)
}
func (c *Client) Start(ctx context.Context, ref string) error { return c.do(ctx, "vm.start", nil, ref) }
func (c *Client) Shutdown(ctx context.Context, ref string) error {
	return c.do(ctx, "vm.shutdown", nil, ref)
}
func (c *Client) Reboot(ctx context.Context, ref string) error {
	return c.do(ctx, "vm.reboot", nil, ref)
}
func (c *Client) Destroy(ctx context.Context, ref string) error {
	return c.do(ctx, "vm.force-off", nil, ref)
}
func (c *Client) Pause(ctx context.Context, ref string) error { return c.do(ctx, "vm.pause", nil, ref) }
func (c *Client) Resume(ctx context.Context, ref string) error {
	return c.do(ctx, "vm.resume", nil, ref)
}
func (c *Client) Save(ctx context.Context, ref string) error { return c.do(ctx, "vm.save", nil, ref) }
func (c *Client) SetAutostart(ctx context.Context, ref string, on bool) error {
	return c.do(ctx, "vm.autostart", api.OnOff{On: on}, ref)
}
func (c *Client) SetLinks(ctx context.Context, ref string, up bool) error {
	return c.do(ctx, "vm.links", api.LinksUp{Up: up}, ref)
}

func (c *Client) Snapshots(ctx context.Context, ref string) ([]vm.Snapshot, error) {
	return get[[]vm.Snapshot](c, ctx, "vm.snapshot.list", ref)
}
func (c *Client) CreateSnapshot(ctx context.Context, ref string, spec vm.SnapshotSpec) (vm.Snapshot, error) {
	return send[vm.Snapshot](c, ctx, "vm.snapshot.create", spec, ref)
}
func (c *Client) RevertSnapshot(ctx context.Context, ref, name string) error {
	return c.do(ctx, "vm.snapshot.revert", nil, ref, name)
}
func (c *Client) DeleteSnapshot(ctx context.Context, ref, name string) error {
	return c.do(ctx, "vm.snapshot.delete", nil, ref, name)
}

func (c *Client) SetVCPUs(ctx context.Context, ref string, n int) (vm.Applied, error) {
	return applied(ctx, c, "vm.set.vcpus", api.Count{N: n}, ref)
}
func (c *Client) SetMemory(ctx context.Context, ref string, mib uint64) (vm.Applied, error) {
	return applied(ctx, c, "vm.set.memory", api.MiB{MiB: mib}, ref)
}
func (c *Client) AttachDisk(ctx context.Context, ref string, spec vm.DiskSpec) (vm.Applied, error) {
	return applied(ctx, c, "vm.disk.attach", spec, ref)
}
func (c *Client) DetachDisk(ctx context.Context, ref, target string) (vm.Applied, error) {
	return applied(ctx, c, "vm.disk.detach", nil, ref, target)
}
func (c *Client) AttachNIC(ctx context.Context, ref string, spec vm.NICSpec) (vm.Applied, error) {
	return applied(ctx, c, "vm.nic.attach", spec, ref)
}
func (c *Client) DetachNIC(ctx context.Context, ref, mac string) (vm.Applied, error) {
	return applied(ctx, c, "vm.nic.detach", nil, ref, mac)
}

func (c *Client) Networks(ctx context.Context) ([]vm.Network, error) {
	return get[[]vm.Network](c, ctx, "net.list")
}
func (c *Client) Network(ctx context.Context, name string) (vm.Network, error) {
	return get[vm.Network](c, ctx, "net.get", name)
}
func (c *Client) Leases(ctx context.Context, network string) ([]vm.Lease, error) {
	return get[[]vm.Lease](c, ctx, "net.leases", network)
}
func (c *Client) DefineNetwork(ctx context.Context, spec vm.NetworkSpec) (vm.Network, error) {
	return send[vm.Network](c, ctx, "net.define", spec)
}
func (c *Client) StartNetwork(ctx context.Context, name string) error {
	return c.do(ctx, "net.start", nil, name)
}
func (c *Client) StopNetwork(ctx context.Context, name string) error {
	return c.do(ctx, "net.stop", nil, name)
}
func (c *Client) UndefineNetwork(ctx context.Context, name string) error {
	return c.do(ctx, "net.undefine", nil, name)
}
func (c *Client) SetNetworkAutostart(ctx context.Context, name string, on bool) error {
	return c.do(ctx, "net.autostart", api.OnOff{On: on}, name)
}

func (c *Client) Pools(ctx context.Context) ([]vm.Pool, error) {
	return get[[]vm.Pool](c, ctx, "pool.list")
}
func (c *Client) Pool(ctx context.Context, name string) (vm.Pool, error) {
	return get[vm.Pool](c, ctx, "pool.get", name)
}
func (c *Client) DefinePool(ctx context.Context, spec vm.PoolSpec) (vm.Pool, error) {
	return send[vm.Pool](c, ctx, "pool.define", spec)
}
func (c *Client) UndefinePool(ctx context.Context, name string) error {
	return c.do(ctx, "pool.undefine", nil, name)
}
func (c *Client) DeletePool(ctx context.Context, name string) error {
	return c.do(ctx, "pool.delete", nil, name)
}
func (c *Client) StartPool(ctx context.Context, name string) error {
	return c.do(ctx, "pool.start", nil, name)
}
func (c *Client) StopPool(ctx context.Context, name string) error {
	return c.do(ctx, "pool.stop", nil, name)
}
func (c *Client) SetPoolAutostart(ctx context.Context, name string, on bool) error {
	return c.do(ctx, "pool.autostart", api.OnOff{On: on}, name)
}
func (c *Client) Volumes(ctx context.Context, pool string) ([]vm.Volume, error) {
	return get[[]vm.Volume](c, ctx, "volume.list", pool)
}
func (c *Client) CreateVolume(ctx context.Context, pool string, spec vm.VolumeSpec) (vm.Volume, error) {
	return send[vm.Volume](c, ctx, "volume.create", spec, pool)
}
func (c *Client) DeleteVolume(ctx context.Context, pool, name string) error {
	return c.do(ctx, "volume.delete", nil, pool, name)
}
func (c *Client) VolumeByPath(ctx context.Context, path string) (vm.Volume, error) {
	var v vm.Volume
	err := c.call(ctx, api.Find("volume.by-path"), nil, url.Values{"path": {path}}, nil, &v)
	return v, err
}
