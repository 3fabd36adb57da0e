package vm

import (
	"context"
	"errors"
	"slices"
)

// DeleteWithStorage is how a backend deletes a VM with its disks: it
// finds the volumes of the VM's disks (not its CD-ROMs, which are shared
// media, nor a volume another VM also uses, nor a file in no pool), then
// undefines the VM and deletes them.
func DeleteWithStorage(ctx context.Context, h Hypervisor, ref string) error {
	d, err := h.Details(ctx, ref)
	if err != nil {
		return err
	}
	var vols []Volume
	for _, disk := range d.Disks {
		if disk.Device != "disk" || disk.Source == "" {
			continue
		}
		vol, err := h.VolumeByPath(ctx, disk.Source)
		if err != nil {
			continue // not in a pool: hv deletes only what libvirt manages
		}
		if others := slices.DeleteFunc(slices.Clone(vol.UsedBy), func(n string) bool { return n == d.Name }); len(others) > 0 {
			continue // shared with another VM
		}
		vols = append(vols, vol)
	}
	if err := h.Undefine(ctx, d.UUID); err != nil {
		return err
	}
	var errs []error
	for _, vol := range vols {
		if err := h.DeleteVolume(ctx, vol.Pool, vol.Name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
