package libvirt

import (
	"context"
	"fmt"
	"slices"
	"strings"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/hyper-nixos/hv/vm"
)

// AttachDisk adds a disk or CD-ROM on the first free target of its bus.
func (b *Backend) AttachDisk(ctx context.Context, ref string, spec vm.DiskSpec) (vm.Applied, error) {
	const op = "attach a disk to"
	if spec.Volume.IsZero() {
		return 0, &vm.Error{Op: op, Target: ref, Kind: vm.ErrInvalidArg, Detail: "the disk's volume is required"}
	}
	if spec.Device == "" {
		spec.Device = "disk"
	}
	if spec.Bus == "" {
		spec.Bus = map[string]string{"disk": "virtio", "cdrom": "sata"}[spec.Device]
	}
	return b.changeDevices(ctx, op, ref, func(c *lv.Connect, dom *libvirtxml.Domain) (string, bool, error) {
		v, err := resolveVolume(c, op, ref, spec.Volume)
		if err != nil {
			return "", false, err
		}
		m := mediumOf(v)
		target := freeTarget(dom, spec.Bus)
		disk := libvirtxml.DomainDisk{
			Device: spec.Device,
			Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: m.format},
			Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: m.path}},
			Target: &libvirtxml.DomainDiskTarget{Dev: target, Bus: spec.Bus},
		}
		if spec.ReadOnly || spec.Device == "cdrom" {
			disk.ReadOnly = &libvirtxml.DomainDiskReadOnly{}
		}
		if err := b.vetDisk(disk); err != nil {
			return "", false, err
		}
		xml, err := disk.Marshal()
		return xml, true, err
	})
}

// DetachDisk removes the disk on target (vdb, sda...).
func (b *Backend) DetachDisk(ctx context.Context, ref, target string) (vm.Applied, error) {
	const op = "detach a disk from"
	return b.changeDevices(ctx, op, ref, func(_ *lv.Connect, dom *libvirtxml.Domain) (string, bool, error) {
		if dom.Devices != nil {
			for _, disk := range dom.Devices.Disks {
				if disk.Target != nil && disk.Target.Dev == target {
					xml, err := disk.Marshal()
					return xml, false, err
				}
			}
		}
		return "", false, refuse(op, ref, vm.ErrNotFound, "no disk on "+target, "check the disk's target (vda, sdb...) with 'hv vm show "+ref+"'")
	})
}

// AttachNIC adds an interface on a libvirt network.
func (b *Backend) AttachNIC(ctx context.Context, ref string, spec vm.NICSpec) (vm.Applied, error) {
	if spec.Network == "" {
		return 0, &vm.Error{Op: "attach a NIC to", Target: ref, Kind: vm.ErrInvalidArg, Detail: "a network is required"}
	}
	if spec.Model == "" {
		spec.Model = "virtio"
	}
	return b.changeDevices(ctx, "attach a NIC to", ref, func(_ *lv.Connect, dom *libvirtxml.Domain) (string, bool, error) {
		nic := libvirtxml.DomainInterface{
			Source: &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: spec.Network}},
			Model:  &libvirtxml.DomainInterfaceModel{Type: spec.Model},
		}
		if spec.MAC != "" {
			nic.MAC = &libvirtxml.DomainInterfaceMAC{Address: spec.MAC}
		}
		xml, err := nic.Marshal()
		return xml, true, err
	})
}

// DetachNIC removes the interface with this MAC address.
func (b *Backend) DetachNIC(ctx context.Context, ref, mac string) (vm.Applied, error) {
	const op = "detach a NIC from"
	return b.changeDevices(ctx, op, ref, func(_ *lv.Connect, dom *libvirtxml.Domain) (string, bool, error) {
		if dom.Devices != nil {
			for _, n := range dom.Devices.Interfaces {
				if n.MAC != nil && strings.EqualFold(n.MAC.Address, mac) {
					xml, err := n.Marshal()
					return xml, false, err
				}
			}
		}
		return "", false, refuse(op, ref, vm.ErrNotFound, "no NIC with MAC "+mac, "check the MAC address with 'hv vm show "+ref+"'")
	})
}

// changeDevices builds a device's XML from the persistent definition, then
// attaches or detaches it: on the running VM and its definition, or on the
// definition alone when the VM is off or cannot take it live.
func (b *Backend) changeDevices(ctx context.Context, op, ref string,
	device func(*lv.Connect, *libvirtxml.Domain) (xml string, attach bool, err error)) (vm.Applied, error) {
	return call(ctx, b, op, ref, func(c *lv.Connect) (vm.Applied, error) {
		d, err := lookup(c, ref)
		if err != nil {
			return 0, err
		}
		defer d.Free()
		conf, err := d.GetXMLDesc(lv.DOMAIN_XML_INACTIVE)
		if err != nil {
			return 0, err
		}
		var dom libvirtxml.Domain
		if err := dom.Unmarshal(conf); err != nil {
			return 0, err
		}
		xml, attach, err := device(c, &dom)
		if err != nil {
			return 0, err
		}
		return applyLiveOrConfig(d, func(live bool) error {
			flags := lv.DOMAIN_DEVICE_MODIFY_CONFIG
			if live {
				flags |= lv.DOMAIN_DEVICE_MODIFY_LIVE
			}
			if attach {
				return d.AttachDeviceFlags(xml, flags)
			}
			return d.DetachDeviceFlags(xml, flags)
		})
	})
}

// freeTarget returns the first unused device name on bus: vda, vdb... for
// virtio, sda, sdb... for sata and scsi, hda... for ide.
func freeTarget(dom *libvirtxml.Domain, bus string) string {
	prefix := map[string]string{"virtio": "vd", "sata": "sd", "scsi": "sd", "usb": "sd", "ide": "hd"}[bus]
	if prefix == "" {
		prefix = "vd"
	}
	var used []string
	if dom.Devices != nil {
		for _, d := range dom.Devices.Disks {
			if d.Target != nil {
				used = append(used, d.Target.Dev)
			}
		}
	}
	for c := 'a'; c <= 'z'; c++ {
		if t := prefix + string(c); !slices.Contains(used, t) {
			return t
		}
	}
	return fmt.Sprintf("%saa", prefix)
}

// SetLinks updates each NIC of the running VM with its link state.
func (b *Backend) SetLinks(ctx context.Context, ref string, up bool) error {
	state := map[bool]string{true: "up", false: "down"}[up]
	return b.change(ctx, "set the links "+state+" of", ref, vm.FromActive, func(d *lv.Domain) error {
		xml, err := d.GetXMLDesc(0)
		if err != nil {
			return err
		}
		var dom libvirtxml.Domain
		if err := dom.Unmarshal(xml); err != nil {
			return err
		}
		if dom.Devices == nil || len(dom.Devices.Interfaces) == 0 {
			return &vm.Error{Kind: vm.ErrInvalidArg, Detail: "it has no NIC"}
		}
		for _, n := range dom.Devices.Interfaces {
			n.Link = &libvirtxml.DomainInterfaceLink{State: state}
			nx, err := n.Marshal()
			if err != nil {
				return err
			}
			if err := d.UpdateDeviceFlags(nx, lv.DOMAIN_DEVICE_MODIFY_LIVE); err != nil {
				return err
			}
		}
		return nil
	})
}
