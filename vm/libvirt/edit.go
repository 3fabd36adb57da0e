package libvirt

import (
	"context"
	"fmt"
	"strings"

	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

// Save is libvirt's managed save: memory to disk, VM stopped; Start restores.
func (b *Backend) Save(ctx context.Context, ref string) error {
	return b.change(ctx, "save", ref, vm.FromSavable,
		func(d *lv.Domain) error { return d.ManagedSave(0) })
}

// SetVCPUs changes the vCPU count of the definition, raising its maximum
// when needed, and of the running VM when it can take the change live.
func (b *Backend) SetVCPUs(ctx context.Context, ref string, n int) (vm.Applied, error) {
	if n < 1 {
		return 0, &vm.Error{Op: "set vCPUs of", Target: ref, Kind: vm.ErrInvalidArg, Detail: "at least one vCPU is required"}
	}
	return call(ctx, b, "set vCPUs of", ref, func(c *lv.Connect) (vm.Applied, error) {
		d, err := lookup(c, ref)
		if err != nil {
			return 0, err
		}
		defer d.Free()
		if ni, err := c.GetNodeInfo(); err == nil && n > int(ni.Cpus) {
			return 0, &vm.Error{Op: "set vCPUs of", Target: ref, Kind: vm.ErrInvalidArg,
				Detail: fmt.Sprintf("the host has %d CPUs; a VM may have at most that many vCPUs", ni.Cpus)}
		}
		if max, err := d.GetVcpusFlags(lv.DOMAIN_VCPU_CONFIG | lv.DOMAIN_VCPU_MAXIMUM); err == nil && n > int(max) {
			if err := d.SetVcpusFlags(uint(n), lv.DOMAIN_VCPU_CONFIG|lv.DOMAIN_VCPU_MAXIMUM); err != nil {
				return 0, err
			}
		}
		return applyLiveOrConfig(d, func(live bool) error {
			flags := lv.DOMAIN_VCPU_CONFIG
			if live {
				flags |= lv.DOMAIN_VCPU_LIVE
			}
			return d.SetVcpusFlags(uint(n), flags)
		})
	})
}

// SetMemory changes the memory of the definition, raising its maximum when
// needed, and of the running VM (through the balloon) when within it.
func (b *Backend) SetMemory(ctx context.Context, ref string, mib uint64) (vm.Applied, error) {
	if mib < 16 {
		return 0, &vm.Error{Op: "set memory of", Target: ref, Kind: vm.ErrInvalidArg, Detail: "at least 16 MiB is required"}
	}
	kib := mib << 10
	return call(ctx, b, "set memory of", ref, func(c *lv.Connect) (vm.Applied, error) {
		d, err := lookup(c, ref)
		if err != nil {
			return 0, err
		}
		defer d.Free()
		if ni, err := c.GetNodeInfo(); err == nil && kib > ni.Memory {
			return 0, &vm.Error{Op: "set memory of", Target: ref, Kind: vm.ErrInvalidArg,
				Detail: fmt.Sprintf("the host has %s of memory", vm.FormatKiB(ni.Memory))}
		}
		info, err := d.GetInfo()
		if err != nil {
			return 0, err
		}
		if kib > info.MaxMem {
			if err := d.SetMemoryFlags(kib, lv.DOMAIN_MEM_CONFIG|lv.DOMAIN_MEM_MAXIMUM); err != nil {
				return 0, err
			}
		}
		return applyLiveOrConfig(d, func(live bool) error {
			flags := lv.DOMAIN_MEM_CONFIG
			if live {
				flags |= lv.DOMAIN_MEM_LIVE
			}
			return d.SetMemoryFlags(kib, flags)
		})
	})
}

// applyLiveOrConfig applies a change to the running VM and its definition,
// or to the definition alone when the VM is off or refuses it live.
func applyLiveOrConfig(d *lv.Domain, set func(live bool) error) (vm.Applied, error) {
	active, err := d.IsActive()
	if err != nil {
		return 0, err
	}
	if active {
		if err := set(true); err == nil {
			return vm.AppliedNow, nil
		}
	}
	if err := set(false); err != nil {
		if le, ok := err.(lv.Error); ok && strings.Contains(le.Message, "transient") {
			return 0, &vm.Error{Kind: vm.ErrUnsupported, Detail: "a transient VM has no definition to change"}
		}
		return 0, err
	}
	return vm.AppliedNextBoot, nil
}
