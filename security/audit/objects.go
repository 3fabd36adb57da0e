package audit

import (
	"context"

	"github.com/hyper-nixos/hv/vm"
)

// Networks, pools and volumes: recorded like VM changes, the target being
// the network, the pool, or pool/volume.

func onOff(on bool) string { return map[bool]string{true: "on", false: "off"}[on] }

func (a *Hypervisor) DefineNetwork(ctx context.Context, spec vm.NetworkSpec) (vm.Network, error) {
	n, err := a.Hypervisor.DefineNetwork(ctx, spec)
	return n, a.record(ctx, "net.define", spec.Name, spec.Mode+" "+spec.IPv4, err)
}

func (a *Hypervisor) StartNetwork(ctx context.Context, name string) error {
	return a.record(ctx, "net.start", name, "", a.Hypervisor.StartNetwork(ctx, name))
}

func (a *Hypervisor) StopNetwork(ctx context.Context, name string) error {
	return a.record(ctx, "net.stop", name, "", a.Hypervisor.StopNetwork(ctx, name))
}

func (a *Hypervisor) UndefineNetwork(ctx context.Context, name string) error {
	return a.record(ctx, "net.undefine", name, "", a.Hypervisor.UndefineNetwork(ctx, name))
}

func (a *Hypervisor) SetNetworkAutostart(ctx context.Context, name string, on bool) error {
	return a.record(ctx, "net.autostart", name, onOff(on), a.Hypervisor.SetNetworkAutostart(ctx, name, on))
}

func (a *Hypervisor) DefinePool(ctx context.Context, spec vm.PoolSpec) (vm.Pool, error) {
	p, err := a.Hypervisor.DefinePool(ctx, spec)
	return p, a.record(ctx, "pool.define", spec.Name, spec.Path, err)
}

func (a *Hypervisor) UndefinePool(ctx context.Context, name string) error {
	return a.record(ctx, "pool.undefine", name, "", a.Hypervisor.UndefinePool(ctx, name))
}

func (a *Hypervisor) StartPool(ctx context.Context, name string) error {
	return a.record(ctx, "pool.start", name, "", a.Hypervisor.StartPool(ctx, name))
}

func (a *Hypervisor) StopPool(ctx context.Context, name string) error {
	return a.record(ctx, "pool.stop", name, "", a.Hypervisor.StopPool(ctx, name))
}

func (a *Hypervisor) SetPoolAutostart(ctx context.Context, name string, on bool) error {
	return a.record(ctx, "pool.autostart", name, onOff(on), a.Hypervisor.SetPoolAutostart(ctx, name, on))
}

func (a *Hypervisor) CreateVolume(ctx context.Context, pool string, spec vm.VolumeSpec) (vm.Volume, error) {
	v, err := a.Hypervisor.CreateVolume(ctx, pool, spec)
	return v, a.record(ctx, "volume.create", pool+"/"+spec.Name, vm.FormatBytes(float64(spec.CapacityBytes)), err)
}

func (a *Hypervisor) DeleteVolume(ctx context.Context, pool, name string) error {
	return a.record(ctx, "volume.delete", pool+"/"+name, "", a.Hypervisor.DeleteVolume(ctx, pool, name))
}

func (a *Hypervisor) CopyVolume(ctx context.Context, pool, src, dst string, progress func(done, total uint64)) (vm.Volume, error) {
	v, err := a.Hypervisor.CopyVolume(ctx, pool, src, dst, progress)
	return v, a.record(ctx, "volume.copy", pool+"/"+src, "to "+dst, err)
}

func (a *Hypervisor) DeletePool(ctx context.Context, name string) error {
	return a.record(ctx, "pool.delete", name, "", a.Hypervisor.DeletePool(ctx, name))
}
