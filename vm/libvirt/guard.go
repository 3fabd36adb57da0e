package libvirt

import (
	"context"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// Reach is what a VM definition reaches on the host beyond its own
// process: the files and devices behind its disks, and anything else
// that touches the host (listed in words).
type Reach struct {
	Disks []string // file or block-device sources of disks and CD-ROMs
	Other []string // e.g. "a <hostdev>", "qemu:commandline"
}

// Guard vets a definition before libvirt sees it: the hv daemon's payload
// policy, which refuses what operators must not reach. A backend without
// one (root, the demo) defines what it is given.
type Guard func(Reach) error

// SetGuard makes every definition, clone and device change pass g first.
func (b *Backend) SetGuard(g Guard) {
	b.mu.Lock()
	b.guard = g
	b.mu.Unlock()
}

// vet passes what dom reaches to the guard, if there is one.
func (b *Backend) vet(dom *libvirtxml.Domain) error {
	b.mu.Lock()
	g := b.guard
	b.mu.Unlock()
	if g == nil {
		return nil
	}
	return g(reachOf(dom))
}

// vetXML is vet for a definition in XML.
func (b *Backend) vetXML(xml string) error {
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(xml); err != nil {
		return err
	}
	return b.vet(&dom)
}

// vetDisk passes one disk being attached.
func (b *Backend) vetDisk(disk libvirtxml.DomainDisk) error {
	return b.vet(&libvirtxml.Domain{Devices: &libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{disk}}})
}

// reachOf lists what a definition reaches on the host (pure, tested).
func reachOf(dom *libvirtxml.Domain) Reach {
	var r Reach
	other := func(what string) { r.Other = append(r.Other, what) }
	if dom.QEMUCommandline != nil || dom.QEMUCapabilities != nil || dom.QEMUOverride != nil || dom.QEMUDeprecation != nil {
		other("qemu:commandline (raw QEMU arguments)")
	}
	if os := dom.OS; os != nil && (os.Kernel != "" || os.Initrd != "" || os.DTB != "") {
		other("a kernel, initrd or device tree from a host path")
	}
	d := dom.Devices
	if d == nil {
		return r
	}
	for _, disk := range d.Disks {
		if disk.Source == nil {
			continue
		}
		switch s := disk.Source; {
		case s.File != nil:
			r.Disks = append(r.Disks, s.File.File)
		case s.Block != nil:
			r.Disks = append(r.Disks, s.Block.Dev)
		case s.Dir != nil:
			other("a disk over a host directory (" + s.Dir.Dir + ")")
		case s.Network != nil:
			other("a network disk (" + s.Network.Protocol + ")")
		case s.Volume != nil:
			other("a disk named by pool and volume (hv gives disks as files of their volumes)")
		case s.NVME != nil || s.VHostUser != nil || s.VHostVDPA != nil:
			other("a disk on a host device")
		}
	}
	if len(d.Filesystems) > 0 {
		other("a <filesystem> (a host directory shared with the guest)")
	}
	if len(d.Hostdevs) > 0 {
		other("a <hostdev> (a host device passed through)")
	}
	if len(d.Smartcards) > 0 || len(d.RedirDevs) > 0 || len(d.Shmems) > 0 {
		other("a smartcard, USB redirection or shared memory device")
	}
	chardev := func(kind string, s *libvirtxml.DomainChardevSource) {
		if s == nil {
			return
		}
		switch {
		case s.File != nil:
			other("a " + kind + " writing to a host file (" + s.File.Path + ")")
		case s.Dev != nil || s.Pipe != nil:
			other("a " + kind + " on a host device or pipe")
		case s.UNIX != nil && s.UNIX.Path != "":
			other("a " + kind + " on a host socket (" + s.UNIX.Path + ")")
		case s.TCP != nil || s.UDP != nil:
			other("a " + kind + " on the network")
		}
	}
	for _, s := range d.Serials {
		chardev("serial port", s.Source)
	}
	for _, c := range d.Consoles {
		chardev("console", c.Source)
	}
	for _, p := range d.Parallels {
		chardev("parallel port", p.Source)
	}
	for _, c := range d.Channels {
		chardev("channel", c.Source)
	}
	return r
}

// Vet passes ref's definition as it stands to the guard: what operators
// may move to another host is what they could have defined here (a VM
// root made by hand, with a host device, stays root's to move).
func (b *Backend) Vet(ctx context.Context, ref string) error {
	return b.onDomain(ctx, "check", ref, func(d *lv.Domain) error {
		doc, err := d.GetXMLDesc(lv.DOMAIN_XML_INACTIVE)
		if err != nil {
			return err
		}
		return b.vetXML(doc)
	})
}
