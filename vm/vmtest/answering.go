package vmtest

import (
	"context"

	"github.com/hyper-nixos/hv/vm"
)

// Answering wraps a backend so that every change carries the answer a
// script gives with --yes (the VM's or volume's name for a name
// question): the contract tests the operations; the questions the hv
// daemon asks are tested on their own. Backends that do not ask (libvirt
// itself) ignore the answers.
func Answering(h vm.Hypervisor) vm.Hypervisor { return answering{h} }

type answering struct{ vm.Hypervisor }

func yes(ctx context.Context, name string) context.Context {
	return vm.WithConfirmation(ctx, vm.Confirmation{How: "--yes", Name: name})
}

// vmName is the name a question about the VM ref wants typed.
func (a answering) vmName(ctx context.Context, ref string) string {
	if v, err := a.Hypervisor.Lookup(ctx, ref); err == nil {
		return v.Name
	}
	return ref
}

func (a answering) Shutdown(ctx context.Context, ref string) error {
	return a.Hypervisor.Shutdown(yes(ctx, ""), ref)
}
func (a answering) Reboot(ctx context.Context, ref string) error {
	return a.Hypervisor.Reboot(yes(ctx, ""), ref)
}
func (a answering) Destroy(ctx context.Context, ref string) error {
	return a.Hypervisor.Destroy(yes(ctx, ""), ref)
}
func (a answering) Save(ctx context.Context, ref string) error {
	return a.Hypervisor.Save(yes(ctx, ""), ref)
}
func (a answering) SetLinks(ctx context.Context, ref string, up bool) error {
	return a.Hypervisor.SetLinks(yes(ctx, ""), ref, up)
}
func (a answering) Undefine(ctx context.Context, ref string) error {
	return a.Hypervisor.Undefine(yes(ctx, a.vmName(ctx, ref)), ref)
}
func (a answering) DeleteWithStorage(ctx context.Context, ref string) error {
	return a.Hypervisor.DeleteWithStorage(yes(ctx, a.vmName(ctx, ref)), ref)
}
func (a answering) RevertSnapshot(ctx context.Context, ref, name string) error {
	return a.Hypervisor.RevertSnapshot(yes(ctx, name), ref, name)
}
func (a answering) DeleteSnapshot(ctx context.Context, ref, name string) error {
	return a.Hypervisor.DeleteSnapshot(yes(ctx, name), ref, name)
}
func (a answering) StopNetwork(ctx context.Context, name string) error {
	return a.Hypervisor.StopNetwork(yes(ctx, name), name)
}
func (a answering) UndefineNetwork(ctx context.Context, name string) error {
	return a.Hypervisor.UndefineNetwork(yes(ctx, name), name)
}
func (a answering) StopPool(ctx context.Context, name string) error {
	return a.Hypervisor.StopPool(yes(ctx, name), name)
}
func (a answering) UndefinePool(ctx context.Context, name string) error {
	return a.Hypervisor.UndefinePool(yes(ctx, name), name)
}
func (a answering) DeletePool(ctx context.Context, name string) error {
	return a.Hypervisor.DeletePool(yes(ctx, name), name)
}
func (a answering) DeleteVolume(ctx context.Context, pool, name string) error {
	return a.Hypervisor.DeleteVolume(yes(ctx, name), pool, name)
}
