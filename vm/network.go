package vm

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// Network is a libvirt virtual network.
type Network struct {
	Name       string `json:"name"`
	UUID       string `json:"uuid"`
	Active     bool   `json:"active"`
	Autostart  bool   `json:"autostart"`
	Persistent bool   `json:"persistent"`
	Bridge     string `json:"bridge"` // host bridge device, e.g. virbr0
	// Mode is how traffic leaves the network: nat, isolated (no forwarding),
	// route, bridge, open, ...
	Mode string `json:"mode"`
	// IPv4 is the host's address on the network with its prefix, e.g.
	// 192.168.122.1/24; "" when the host has none.
	IPv4      string `json:"ipv4"`
	DHCPStart string `json:"dhcp_start"` // "" when DHCP is off
	DHCPEnd   string `json:"dhcp_end"`
	// UsedBy names the VMs with an interface on this network, sorted.
	UsedBy []string `json:"used_by"`
}

// DHCP reports whether the network hands out addresses.
func (n Network) DHCP() bool { return n.DHCPStart != "" }

// NetworkSpec is what DefineNetwork needs.
type NetworkSpec struct {
	Name string `json:"name"`
	Mode string `json:"mode"` // "nat" or "isolated"
	// IPv4 is the subnet in CIDR form, e.g. 192.168.150.0/24 (the host
	// takes the first address), or the host's own address in it, e.g.
	// 192.168.150.254/24. "" gives the host no address (isolated only).
	IPv4 string `json:"ipv4,omitempty"`
	DHCP bool   `json:"dhcp,omitempty"` // hand out the rest of the subnet to guests
}

// Lease is an address the network's DHCP server handed out.
type Lease struct {
	MAC      string    `json:"mac"`
	IP       string    `json:"ip"` // with prefix, e.g. 192.168.122.57/24
	Hostname string    `json:"hostname"`
	Expires  time.Time `json:"expires"`
}

// Networks is the network side of a Hypervisor.
type Networks interface {
	Networks(ctx context.Context) ([]Network, error)
	Network(ctx context.Context, name string) (Network, error)
	// DefineNetwork defines a persistent network from spec; it does not
	// start it. It refuses a subnet that overlaps another network's.
	DefineNetwork(ctx context.Context, spec NetworkSpec) (Network, error)
	StartNetwork(ctx context.Context, name string) error
	// StopNetwork stops a network: the VMs on it lose their link, and do
	// not get it back when it starts again until they are restarted.
	StopNetwork(ctx context.Context, name string) error
	// UndefineNetwork forgets an inactive network.
	UndefineNetwork(ctx context.Context, name string) error
	SetNetworkAutostart(ctx context.Context, name string, on bool) error
	// Leases lists the DHCP leases of an active network (ErrUnsupported
	// where the driver keeps none, as libvirt's test driver).
	Leases(ctx context.Context, network string) ([]Lease, error)
}

// NetworkPlan is a NetworkSpec worked out: the addresses libvirt is given.
type NetworkPlan struct {
	Host      netip.Prefix // the host's address with the subnet's prefix; invalid when none
	DHCPStart netip.Addr   // invalid when DHCP is off
	DHCPEnd   netip.Addr
}

// PlanNetwork checks spec and works out its addresses. Errors wrap
// ErrInvalidArg and say what to write instead.
func PlanNetwork(spec NetworkSpec) (NetworkPlan, error) {
	var plan NetworkPlan
	if err := CheckName("define network", "network", spec.Name); err != nil {
		return plan, err
	}
	bad := func(why, hint string) error {
		return &Error{Op: "define network", Target: spec.Name, Kind: ErrInvalidArg, Detail: why, Hint: hint}
	}
	switch spec.Mode {
	case "nat", "isolated":
	case "":
		return plan, bad("a mode is required", "use nat (guests reach outside) or isolated (guests and host only)")
	default:
		return plan, bad(fmt.Sprintf("mode %q is not offered", spec.Mode), "use nat or isolated")
	}
	if spec.IPv4 == "" {
		switch {
		case spec.Mode == "nat":
			return plan, bad("a NAT network needs a subnet", "give one such as 192.168.150.0/24")
		case spec.DHCP:
			return plan, bad("DHCP needs a subnet", "give one such as 192.168.150.0/24, or turn DHCP off")
		}
		return plan, nil
	}
	p, err := netip.ParsePrefix(spec.IPv4)
	if err != nil || !p.Addr().Is4() {
		return plan, bad(fmt.Sprintf("%q is not an IPv4 subnet", spec.IPv4), "write it as address/prefix, e.g. 192.168.150.0/24")
	}
	if p.Bits() < 8 || p.Bits() > 30 {
		return plan, bad(fmt.Sprintf("a /%d subnet is not usable here", p.Bits()), "use a prefix between /8 and /30, e.g. /24")
	}
	subnet := p.Masked()
	if !private(subnet) {
		return plan, bad(subnet.String()+" is not a private range", "use one of 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
	}
	first, last := subnet.Addr().Next(), broadcast(subnet).Prev()
	host := p.Addr()
	switch {
	case host == subnet.Addr():
		host = first
	case host == broadcast(subnet):
		return plan, bad(host.String()+" is the subnet's broadcast address", "give the subnet, e.g. "+subnet.String())
	}
	plan.Host = netip.PrefixFrom(host, p.Bits())
	if spec.DHCP {
		// Guests get the rest of the subnet, on the larger side of the host.
		if last.Compare(host) > 0 {
			plan.DHCPStart, plan.DHCPEnd = host.Next(), last
		} else {
			plan.DHCPStart, plan.DHCPEnd = first, host.Prev()
		}
	}
	return plan, nil
}

func broadcast(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	host := ^uint32(0) >> p.Bits()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
}

func private(p netip.Prefix) bool {
	for _, r := range privateRanges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// Overlaps reports whether two networks' IPv4 prefixes (as in
// Network.IPv4) share addresses.
func Overlaps(a, b string) bool {
	pa, err1 := netip.ParsePrefix(a)
	pb, err2 := netip.ParsePrefix(b)
	return err1 == nil && err2 == nil && pa.Masked().Overlaps(pb.Masked())
}
