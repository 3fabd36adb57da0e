package libvirt

import (
	"context"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/hyper-nixos/hv/vm"
)

// DefineClone defines a copy of ref's stored definition for a clone.
// What must be unique is left for libvirt to choose: the UUID, the MAC
// addresses, the NVRAM file (copied from the firmware's template), the
// host-side NIC names and the graphics ports.
func (b *Backend) DefineClone(ctx context.Context, ref, name string, disks map[string]vm.VolumeRef) (vm.VM, error) {
	if err := vm.ValidName("VM", name); err != nil {
		return vm.VM{}, &vm.Error{Op: "clone", Target: ref, Kind: vm.ErrInvalidArg, Detail: err.Error()}
	}
	return call(ctx, b, "clone", ref, func(c *lv.Connect) (vm.VM, error) {
		src, err := lookup(c, ref)
		if err != nil {
			return vm.VM{}, err
		}
		defer src.Free()
		xml, err := src.GetXMLDesc(lv.DOMAIN_XML_INACTIVE | lv.DOMAIN_XML_SECURE)
		if err != nil {
			return vm.VM{}, err
		}
		var dom libvirtxml.Domain
		if err := dom.Unmarshal(xml); err != nil {
			return vm.VM{}, err
		}
		copies := make(map[string]medium, len(disks))
		for target, r := range disks {
			v, err := resolveVolume(c, "clone", ref, r)
			if err != nil {
				return vm.VM{}, err
			}
			copies[target] = mediumOf(v)
		}
		cloneDefinition(&dom, name, copies)
		if err := b.vet(&dom); err != nil {
			return vm.VM{}, err
		}
		out, err := dom.Marshal()
		if err != nil {
			return vm.VM{}, err
		}
		return defineNew(c, "clone", ref, name, out)
	})
}

// cloneDefinition turns a definition into its clone's (pure, tested).
func cloneDefinition(dom *libvirtxml.Domain, name string, disks map[string]medium) {
	dom.Name, dom.UUID, dom.ID = name, "", nil
	if dom.OS != nil && dom.OS.NVRam != nil {
		dom.OS.NVRam.NVRam, dom.OS.NVRam.Source = "", nil // a fresh copy of the template
	}
	dom.SecLabel = nil
	if dom.Devices == nil {
		return
	}
	for i := range dom.Devices.Disks {
		d := &dom.Devices.Disks[i]
		if d.Target == nil {
			continue
		}
		if to, ok := disks[d.Target.Dev]; ok {
			d.Source = &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: to.path}}
			if d.Driver == nil {
				d.Driver = &libvirtxml.DomainDiskDriver{Name: "qemu"}
			}
			d.Driver.Type = to.format
		}
	}
	for i := range dom.Devices.Interfaces {
		n := &dom.Devices.Interfaces[i]
		n.MAC, n.Target, n.Alias = nil, nil, nil
	}
	for i := range dom.Devices.Graphics {
		g := &dom.Devices.Graphics[i]
		if g.VNC != nil && g.VNC.AutoPort != "yes" {
			g.VNC.Port, g.VNC.AutoPort = 0, "yes"
		}
		if g.Spice != nil && g.Spice.AutoPort != "yes" {
			g.Spice.Port, g.Spice.TLSPort, g.Spice.AutoPort = 0, 0, "yes"
		}
	}
}
