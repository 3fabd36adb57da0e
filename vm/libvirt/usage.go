package libvirt

import (
	"path/filepath"
	"slices"
	"strings"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// usage is which VMs use which disks and networks, read from every
// domain's definition. It is how hv says what stopping a pool or network
// breaks, and refuses to delete a volume that is some VM's disk.
type usage struct {
	byPath    map[string][]string    // disk source path -> VM names
	byVolume  map[[2]string][]string // {pool, volume} of type='volume' disks
	byNetwork map[string][]string    // network name -> VM names
	byBridge  map[string][]string    // bridge device -> VM names
}

// readUsage reads the definitions of all VMs: one list call and one XML
// read per VM.
func readUsage(c *lv.Connect) (*usage, error) {
	doms, err := c.ListAllDomains(0)
	if err != nil {
		return nil, err
	}
	defer freeAll(doms)
	u := &usage{byPath: map[string][]string{}, byVolume: map[[2]string][]string{},
		byNetwork: map[string][]string{}, byBridge: map[string][]string{}}
	for i := range doms {
		doc, err := doms[i].GetXMLDesc(0)
		if hasCode(err, lv.ERR_NO_DOMAIN) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var d libvirtxml.Domain
		if err := d.Unmarshal(doc); err != nil || d.Devices == nil {
			continue
		}
		u.add(&d)
	}
	return u, nil
}

func (u *usage) add(d *libvirtxml.Domain) {
	for _, disk := range d.Devices.Disks {
		if disk.Source == nil {
			continue
		}
		switch s := disk.Source; {
		case s.File != nil && s.File.File != "":
			addOnce(u.byPath, filepath.Clean(s.File.File), d.Name)
		case s.Block != nil && s.Block.Dev != "":
			addOnce(u.byPath, filepath.Clean(s.Block.Dev), d.Name)
		case s.Volume != nil:
			addOnce(u.byVolume, [2]string{s.Volume.Pool, s.Volume.Volume}, d.Name)
		}
	}
	for _, nic := range d.Devices.Interfaces {
		if nic.Source == nil {
			continue
		}
		switch s := nic.Source; {
		case s.Network != nil:
			addOnce(u.byNetwork, s.Network.Network, d.Name)
		case s.Bridge != nil:
			addOnce(u.byBridge, s.Bridge.Bridge, d.Name)
		}
	}
}

func addOnce[K comparable](m map[K][]string, k K, name string) {
	if !slices.Contains(m[k], name) {
		m[k] = append(m[k], name)
	}
}

// volumeUsers are the VMs with the volume at path (in pool, named vol) as a disk.
func (u *usage) volumeUsers(pool, vol, path string) []string {
	return sorted(u.byPath[filepath.Clean(path)], u.byVolume[[2]string{pool, vol}])
}

// poolUsers are the VMs with a disk in the pool: a volume of it, or a file
// under its directory.
func (u *usage) poolUsers(pool, dir string) []string {
	var names []string
	for k, vms := range u.byVolume {
		if k[0] == pool {
			names = append(names, vms...)
		}
	}
	if dir != "" {
		prefix := filepath.Clean(dir) + "/"
		for path, vms := range u.byPath {
			if strings.HasPrefix(path, prefix) {
				names = append(names, vms...)
			}
		}
	}
	return sorted(names)
}

// networkUsers are the VMs on the network, by name or by its bridge.
func (u *usage) networkUsers(network, bridge string) []string {
	var viaBridge []string
	if bridge != "" {
		viaBridge = u.byBridge[bridge]
	}
	return sorted(u.byNetwork[network], viaBridge)
}

// sorted merges name lists without duplicates; never nil, so JSON shows [].
func sorted(lists ...[]string) []string {
	out := []string{}
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
