package libvirt

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/hyper-nixos/hv/vm"
)

const networkNotFound = "check the network's name with 'hv net list'"

// Networks lists every network, active or not, sorted by name, with the
// VMs on each.
func (b *Backend) Networks(ctx context.Context) ([]vm.Network, error) {
	return call(ctx, b, "list networks", "", func(c *lv.Connect) ([]vm.Network, error) {
		all, err := listNetworks(c)
		if err != nil {
			return nil, err
		}
		u, err := readUsage(c)
		if err != nil {
			return nil, err
		}
		for i := range all {
			all[i].UsedBy = u.networkUsers(all[i].Name, all[i].Bridge)
		}
		return all, nil
	})
}

// listNetworks describes every network, without users.
func listNetworks(c *lv.Connect) ([]vm.Network, error) {
	nets, err := c.ListAllNetworks(0)
	if err != nil {
		return nil, err
	}
	defer freeAll(nets)
	out := make([]vm.Network, 0, len(nets))
	for i := range nets {
		n, err := describeNetwork(&nets[i])
		if hasCode(err, lv.ERR_NO_NETWORK) { // undefined since the list
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b vm.Network) int { return byName(a.Name, b.Name) })
	return out, nil
}

// Network returns one network by name.
func (b *Backend) Network(ctx context.Context, name string) (vm.Network, error) {
	n, err := call(ctx, b, "look up network", name, func(c *lv.Connect) (vm.Network, error) {
		ln, err := c.LookupNetworkByName(name)
		if err != nil {
			return vm.Network{}, err
		}
		defer ln.Free()
		n, err := describeNetwork(ln)
		if err != nil {
			return n, err
		}
		u, err := readUsage(c)
		if err != nil {
			return n, err
		}
		n.UsedBy = u.networkUsers(n.Name, n.Bridge)
		return n, nil
	})
	return n, hinted(err, networkNotFound)
}

// describeNetwork reads what hv shows of a network, without its users.
func describeNetwork(ln *lv.Network) (vm.Network, error) {
	var n vm.Network
	var err error
	if n.Name, err = ln.GetName(); err != nil {
		return n, err
	}
	if n.UUID, err = ln.GetUUIDString(); err != nil {
		return n, err
	}
	if n.Active, err = ln.IsActive(); err != nil {
		return n, err
	}
	if n.Autostart, err = ln.GetAutostart(); err != nil {
		return n, err
	}
	if n.Persistent, err = ln.IsPersistent(); err != nil {
		return n, err
	}
	doc, err := ln.GetXMLDesc(0)
	if err != nil {
		return n, err
	}
	var x libvirtxml.Network
	if err := x.Unmarshal(doc); err != nil {
		return n, err
	}
	fromXML(&n, &x)
	return n, nil
}

// fromXML fills in mode, bridge and the first IPv4 address of a network.
func fromXML(n *vm.Network, x *libvirtxml.Network) {
	n.Mode = "isolated"
	if x.Forward != nil {
		n.Mode = x.Forward.Mode
		if n.Mode == "" { // <forward/> means NAT
			n.Mode = "nat"
		}
	}
	if x.Bridge != nil {
		n.Bridge = x.Bridge.Name
	}
	for _, ip := range x.IPs {
		addr, err := netip.ParseAddr(ip.Address)
		if err != nil || !addr.Is4() || ip.Family == "ipv6" {
			continue
		}
		bits := int(ip.Prefix)
		if ip.Netmask != "" {
			if m, err := netip.ParseAddr(ip.Netmask); err == nil {
				bits = maskBits(m)
			}
		}
		if bits == 0 {
			bits = 24 // libvirt's own default for a bare address
		}
		n.IPv4 = netip.PrefixFrom(addr, bits).String()
		if ip.DHCP != nil && len(ip.DHCP.Ranges) > 0 {
			n.DHCPStart, n.DHCPEnd = ip.DHCP.Ranges[0].Start, ip.DHCP.Ranges[0].End
		}
		return
	}
}

func maskBits(m netip.Addr) int {
	bits := 0
	for _, b := range m.As4() {
		for ; b&0x80 != 0; b <<= 1 {
			bits++
		}
	}
	return bits
}

// networkXML is the definition of a network planned from spec. libvirt
// picks the bridge name (virbrN).
func networkXML(spec vm.NetworkSpec, plan vm.NetworkPlan) (string, error) {
	x := libvirtxml.Network{
		Name:   spec.Name,
		Bridge: &libvirtxml.NetworkBridge{STP: "on", Delay: "0"},
	}
	if spec.Mode == "nat" {
		x.Forward = &libvirtxml.NetworkForward{Mode: "nat"}
	}
	if plan.Host.IsValid() {
		ip := libvirtxml.NetworkIP{Address: plan.Host.Addr().String(), Prefix: uint(plan.Host.Bits())}
		if plan.DHCPStart.IsValid() {
			ip.DHCP = &libvirtxml.NetworkDHCP{Ranges: []libvirtxml.NetworkDHCPRange{
				{Start: plan.DHCPStart.String(), End: plan.DHCPEnd.String()}}}
		}
		x.IPs = []libvirtxml.NetworkIP{ip}
	}
	return x.Marshal()
}

// DefineNetwork defines a persistent NAT or isolated network; see vm.Networks.
func (b *Backend) DefineNetwork(ctx context.Context, spec vm.NetworkSpec) (vm.Network, error) {
	const op = "define network"
	plan, err := vm.PlanNetwork(spec)
	if err != nil {
		return vm.Network{}, err
	}
	doc, err := networkXML(spec, plan)
	if err != nil {
		return vm.Network{}, err
	}
	return call(ctx, b, op, spec.Name, func(c *lv.Connect) (vm.Network, error) {
		all, err := listNetworks(c)
		if err != nil {
			return vm.Network{}, err
		}
		for _, other := range all {
			switch {
			case other.Name == spec.Name:
				return vm.Network{}, refuse(op, spec.Name, vm.ErrExists, "a network with this name exists", "pick another name")
			case plan.Host.IsValid() && vm.Overlaps(other.IPv4, plan.Host.String()):
				return vm.Network{}, refuse(op, spec.Name, vm.ErrExists,
					fmt.Sprintf("subnet %s overlaps network %s (%s)", plan.Host.Masked(), other.Name, other.IPv4),
					"pick a subnet no other network uses")
			}
		}
		ln, err := c.NetworkDefineXML(doc)
		if err != nil {
			return vm.Network{}, err
		}
		defer ln.Free()
		n, err := describeNetwork(ln)
		n.UsedBy = []string{}
		return n, err
	})
}

// onNetwork runs fn on the network called name when it is in the state op needs.
func (b *Backend) onNetwork(ctx context.Context, op, name string, want need, hint string, fn func(*lv.Network) error) error {
	lookup := func(c *lv.Connect) (*lv.Network, error) { return c.LookupNetworkByName(name) }
	return hinted(onObject(ctx, b, op, name, want, hint, lookup, fn), networkNotFound)
}

func (b *Backend) StartNetwork(ctx context.Context, name string) error {
	return missingTool(b.onNetwork(ctx, "start network", name, needInactive, "it is already running: nothing to do",
		func(n *lv.Network) error { return n.Create() }))
}

// missingTool explains the commonest failure to start a network on a bare
// host: libvirtd lacks iptables (firewall rules) or dnsmasq (DHCP, DNS).
func missingTool(err error) error {
	var ve *vm.Error
	if !errors.As(err, &ve) || ve.Hint != "" {
		return err
	}
	_, rest, ok := strings.Cut(ve.Detail, "cannot execute binary ")
	if !ok {
		return err
	}
	tool, _, _ := strings.Cut(rest, ":")
	ve.Hint = "libvirtd needs " + filepath.Base(tool) + " for this network: install it on the host, then restart libvirtd"
	return err
}

// StopNetwork stops a network; see vm.Networks for what that breaks.
func (b *Backend) StopNetwork(ctx context.Context, name string) error {
	return b.onNetwork(ctx, "stop network", name, needActive, "it is already stopped: nothing to do",
		func(n *lv.Network) error { return n.Destroy() })
}

// UndefineNetwork forgets an inactive network.
func (b *Backend) UndefineNetwork(ctx context.Context, name string) error {
	return b.onNetwork(ctx, "undefine network", name, needInactive, "stop it first: hv net stop "+name,
		func(n *lv.Network) error { return n.Undefine() })
}

func (b *Backend) SetNetworkAutostart(ctx context.Context, name string, on bool) error {
	return b.onNetwork(ctx, "set autostart of network", name, anyState, "",
		func(n *lv.Network) error { return n.SetAutostart(on) })
}

// Leases lists the DHCP leases of an active network.
func (b *Backend) Leases(ctx context.Context, network string) ([]vm.Lease, error) {
	const op = "read leases of network"
	leases, err := call(ctx, b, op, network, func(c *lv.Connect) ([]vm.Lease, error) {
		ln, err := c.LookupNetworkByName(network)
		if err != nil {
			return nil, err
		}
		defer ln.Free()
		if active, err := ln.IsActive(); err != nil || !active {
			if err == nil {
				err = refuse(op, network, vm.ErrInvalidState, "it is inactive", "start it with 'hv net start "+network+"'")
			}
			return nil, err
		}
		raw, err := ln.GetDHCPLeases()
		if err != nil {
			return nil, err
		}
		out := make([]vm.Lease, 0, len(raw))
		for _, l := range raw {
			out = append(out, vm.Lease{MAC: l.Mac, IP: fmt.Sprintf("%s/%d", l.IPaddr, l.Prefix), Hostname: l.Hostname, Expires: l.ExpiryTime})
		}
		slices.SortFunc(out, func(a, b vm.Lease) int {
			pa, _ := netip.ParsePrefix(a.IP)
			pb, _ := netip.ParsePrefix(b.IP)
			return pa.Addr().Compare(pb.Addr())
		})
		return out, nil
	})
	return leases, hinted(err, networkNotFound)
}
