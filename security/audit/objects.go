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
	a.record("net.define", spec.Name, spec.Mode+" "+spec.IPv4, err)
	return n, err
}

func (a *Hypervisor) StartNetwork(ctx context.Context, name string) error {
	err := a.Hypervisor.StartNetwork(ctx, name)
	a.record("net.start", name, "", err)
	return err
}

func (a *Hypervisor) StopNetwork(ctx context.Context, name string) error {
	err := a.Hypervisor.StopNetwork(ctx, name)
	a.record("net.stop", name, "", err)
	return err
}

func (a *Hypervisor) UndefineNetwork(ctx context.Context, name string) error {
	err := a.Hypervisor.UndefineNetwork(ctx, name)
	a.record("net.undefine", name, "", err)
	return err
}

func (a *Hypervisor) SetNetworkAutostart(ctx context.Context, name string, on bool) error {
	err := a.Hypervisor.SetNetworkAutostart(ctx, name, on)
	a.record("net.autostart", name, onOff(on), err)
	return err
}

func (a *Hypervisor) DefinePool(ctx context.Context, spec vm.PoolSpec) (vm.Pool, error) {
	p, err := a.Hypervisor.DefinePool(ctx, spec)
	a.record("pool.define", spec.Name, spec.Path, err)
	return p, err
}

func (a *Hypervisor) UndefinePool(ctx context.Context, name string) error {
	err := a.Hypervisor.UndefinePool(ctx, name)
	a.record("pool.undefine", name, "", err)
	return err
}

func (a *Hypervisor) StartPool(ctx context.Context, name string) error {
	err := a.Hypervisor.StartPool(ctx, name)
	a.record("pool.start", name, "", err)
	return err
}

func (a *Hypervisor) StopPool(ctx context.Context, name string) error {
	err := a.Hypervisor.StopPool(ctx, name)
	a.record("pool.stop", name, "", err)
	return err
}

func (a *Hypervisor) SetPoolAutostart(ctx context.Context, name string, on bool) error {
	err := a.Hypervisor.SetPoolAutostart(ctx, name, on)
	a.record("pool.autostart", name, onOff(on), err)
	return err
}

func (a *Hypervisor) CreateVolume(ctx context.Context, pool string, spec vm.VolumeSpec) (vm.Volume, error) {
	v, err := a.Hypervisor.CreateVolume(ctx, pool, spec)
	a.record("volume.create", pool+"/"+spec.Name, vm.FormatBytes(float64(spec.CapacityBytes)), err)
	return v, err
}

func (a *Hypervisor) DeleteVolume(ctx context.Context, pool, name string) error {
	err := a.Hypervisor.DeleteVolume(ctx, pool, name)
	a.record("volume.delete", pool+"/"+name, "", err)
	return err
}

func (a *Hypervisor) CopyVolume(ctx context.Context, pool, src, dst string, progress func(done, total uint64)) (vm.Volume, error) {
	v, err := a.Hypervisor.CopyVolume(ctx, pool, src, dst, progress)
	a.record("volume.copy", pool+"/"+src, "to "+dst, err)
	return v, err
}

func (a *Hypervisor) DeletePool(ctx context.Context, name string) error {
	err := a.Hypervisor.DeletePool(ctx, name)
	a.record("pool.delete", name, "", err)
	return err
}
