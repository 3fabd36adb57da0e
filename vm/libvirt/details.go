package libvirt

import (
	"context"
	"net"
	"strings"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/hyper-nixos/hv/vm"
)

// Details reads a VM's definition (the live one while it runs).
func (b *Backend) Details(ctx context.Context, ref string) (vm.Details, error) {
	return call(ctx, b, "read details of", ref, func(c *lv.Connect) (vm.Details, error) {
		d, err := lookup(c, ref)
		if err != nil {
			return vm.Details{}, err
		}
		defer d.Free()
		base, err := describeFully(d)
		if err != nil {
			return vm.Details{}, err
		}
		xml, err := d.GetXMLDesc(0)
		if err != nil {
			return vm.Details{}, err
		}
		var dom libvirtxml.Domain
		if err := dom.Unmarshal(xml); err != nil {
			return vm.Details{}, err
		}
		det := detailsOf(&dom)
		det.VM = base
		det.Saved, _ = d.HasManagedSaveImage(0)
		return det, nil
	})
}

// detailsOf translates a domain definition into our terms.
func detailsOf(dom *libvirtxml.Domain) vm.Details {
	det := vm.Details{Description: dom.Description, Firmware: "bios"}
	if dom.Memory != nil {
		det.MaxMemoryKiB = toKiB(dom.Memory.Value, dom.Memory.Unit)
	}
	if dom.VCPU != nil {
		det.MaxVCPUs = int(dom.VCPU.Value)
	}
	if dom.CPU != nil {
		det.CPUMode = dom.CPU.Mode
		if dom.CPU.Model != nil {
			det.CPUModel = dom.CPU.Model.Value
		}
	}
	if os := dom.OS; os != nil {
		if os.Type != nil {
			det.Arch, det.Machine = os.Type.Arch, os.Type.Machine
		}
		if os.Firmware == "efi" || os.Loader != nil && os.Loader.Type == "pflash" {
			det.Firmware = "uefi"
		}
		if os.Loader != nil && os.Loader.Secure == "yes" {
			det.SecureBoot = true
		}
		if os.FirmwareInfo != nil {
			for _, f := range os.FirmwareInfo.Features {
				if f.Name == "secure-boot" && f.Enabled == "yes" {
					det.SecureBoot = true
				}
			}
		}
	}
	if dom.Devices == nil {
		return det
	}
	for _, d := range dom.Devices.Disks {
		det.Disks = append(det.Disks, diskOf(d))
	}
	for _, n := range dom.Devices.Interfaces {
		det.NICs = append(det.NICs, nicOf(n))
	}
	for _, g := range dom.Devices.Graphics {
		switch {
		case g.VNC != nil:
			det.Graphics = append(det.Graphics, vm.Graphics{Type: "vnc", Listen: g.VNC.Listen, Port: g.VNC.Port})
		case g.Spice != nil:
			det.Graphics = append(det.Graphics, vm.Graphics{Type: "spice", Listen: g.Spice.Listen, Port: g.Spice.Port})
		}
	}
	return det
}

func diskOf(d libvirtxml.DomainDisk) vm.Disk {
	out := vm.Disk{Device: d.Device, ReadOnly: d.ReadOnly != nil}
	if out.Device == "" {
		out.Device = "disk"
	}
	if d.Target != nil {
		out.Target, out.Bus = d.Target.Dev, d.Target.Bus
	}
	if d.Driver != nil {
		out.Format = d.Driver.Type
	}
	if s := d.Source; s != nil {
		switch {
		case s.File != nil:
			out.Source = s.File.File
		case s.Block != nil:
			out.Source = s.Block.Dev
		case s.Volume != nil:
			out.Source = s.Volume.Pool + "/" + s.Volume.Volume
		case s.Network != nil:
			out.Source = s.Network.Protocol + "://" + s.Network.Name
		}
	}
	return out
}

func nicOf(n libvirtxml.DomainInterface) vm.NIC {
	var out vm.NIC
	if n.MAC != nil {
		out.MAC = n.MAC.Address
	}
	if n.Model != nil {
		out.Model = n.Model.Type
	}
	if n.Target != nil {
		out.Device = n.Target.Dev
	}
	out.LinkDown = n.Link != nil && n.Link.State == "down"
	if s := n.Source; s != nil {
		switch {
		case s.Network != nil:
			out.Type, out.Source = "network", s.Network.Network
		case s.Bridge != nil:
			out.Type, out.Source = "bridge", s.Bridge.Bridge
		case s.Direct != nil:
			out.Type, out.Source = "direct", s.Direct.Dev
		case s.Ethernet != nil:
			out.Type = "ethernet"
		case s.User != nil:
			out.Type = "user"
		}
	}
	return out
}

func toKiB(v uint, unit string) uint64 {
	n := uint64(v)
	switch strings.ToLower(unit) {
	case "b", "bytes":
		return n / 1024
	case "", "k", "kib":
		return n
	case "kb":
		return n * 1000 / 1024
	case "m", "mib":
		return n << 10
	case "mb":
		return n * 1000 * 1000 / 1024
	case "g", "gib":
		return n << 20
	case "gb":
		return n * 1000 * 1000 * 1000 / 1024
	case "t", "tib":
		return n << 30
	}
	return n
}

var addressSources = []struct {
	src  lv.DomainInterfaceAddressesSource
	name string
}{
	{lv.DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, "DHCP lease"},
	{lv.DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, "guest agent"},
	{lv.DOMAIN_INTERFACE_ADDRESSES_SRC_ARP, "ARP table"},
}

// Addresses asks each source in turn; a source that cannot answer (no
// guest agent, no lease) is skipped. The first source to report an address
// wins for it, and names itself.
func (b *Backend) Addresses(ctx context.Context, ref string) ([]vm.Address, error) {
	return call(ctx, b, "read addresses of", ref, func(c *lv.Connect) ([]vm.Address, error) {
		d, err := lookup(c, ref)
		if err != nil {
			return nil, err
		}
		defer d.Free()
		if active, err := d.IsActive(); err != nil || !active {
			return nil, err
		}
		var out []vm.Address
		seen := map[string]bool{}
		for _, s := range addressSources {
			ifaces, err := d.ListAllInterfaceAddresses(s.src)
			if err != nil {
				continue
			}
			for _, iface := range ifaces {
				for _, a := range iface.Addrs {
					ip := net.ParseIP(a.Addr)
					if ip == nil || ip.IsLoopback() || seen[a.Addr] {
						continue
					}
					seen[a.Addr] = true
					out = append(out, vm.Address{MAC: iface.Hwaddr, IP: a.Addr, Prefix: int(a.Prefix), Source: s.name})
				}
			}
		}
		return out, nil
	})
}
