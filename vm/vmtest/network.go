package vmtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/vm"
)

// network defines a network of the suite's own, removed at the end.
func (c Contract) network(t *testing.T, h vm.Hypervisor, spec vm.NetworkSpec) vm.Network {
	t.Helper()
	n, err := h.DefineNetwork(c.ctx(t), spec)
	if err != nil {
		t.Fatalf("DefineNetwork(%+v): %v", spec, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = h.StopNetwork(ctx, n.Name)
		_ = h.UndefineNetwork(ctx, n.Name)
	})
	return n
}

// randomSubnet is a /24 in 10.200-254.x, unlikely to meet a real one.
func randomSubnet() (subnet, host string) {
	a, b := 200+rand.IntN(55), rand.IntN(256)
	return fmt.Sprintf("10.%d.%d.0/24", a, b), fmt.Sprintf("10.%d.%d.1/24", a, b)
}

func netName() string { return fmt.Sprintf("hvtest-net-%08x", rand.Uint32()) }

// networkLifecycle defines, starts, stops and undefines an isolated network
// without an address: a real libvirtd starts one without dnsmasq or
// iptables. Networks with addresses are defined and read back, not started.
func (c Contract) networkLifecycle(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	n := c.network(t, h, vm.NetworkSpec{Name: netName(), Mode: "isolated"})
	if n.Active || !n.Persistent || n.Mode != "isolated" || n.IPv4 != "" || n.DHCP() {
		t.Errorf("DefineNetwork returned %+v, want an inactive persistent isolated network without address", n)
	}
	all, err := h.Networks(ctx)
	if err != nil {
		t.Fatalf("Networks: %v", err)
	}
	if !slices.ContainsFunc(all, func(x vm.Network) bool { return x.Name == n.Name && x.UUID == n.UUID }) {
		t.Errorf("Networks does not show %s", n.Name)
	}
	if err := h.StartNetwork(ctx, n.Name); err != nil {
		t.Fatalf("StartNetwork: %v", err)
	}
	c.expectObjectEvent(t, h, vm.EventNetwork, n.Name, "started")
	if got, err := h.Network(ctx, n.Name); err != nil || !got.Active || got.UsedBy == nil {
		t.Errorf("after StartNetwork: %+v, %v; want active and an empty (not nil) UsedBy", got, err)
	}
	if leases, err := h.Leases(ctx, n.Name); err != nil && !errors.Is(err, vm.ErrUnsupported) || len(leases) != 0 {
		t.Errorf("Leases of a network without DHCP: %v, %v; want none (or unsupported)", leases, err)
	}
	if err := h.SetNetworkAutostart(ctx, n.Name, true); err != nil {
		t.Fatalf("SetNetworkAutostart: %v", err)
	}
	if got, _ := h.Network(ctx, n.Name); !got.Autostart {
		t.Errorf("autostart not shown after SetNetworkAutostart(true): %+v", got)
	}
	for what, err := range map[string]error{
		"StartNetwork of an active network":    h.StartNetwork(ctx, n.Name),
		"UndefineNetwork of an active network": h.UndefineNetwork(ctx, n.Name),
	} {
		if !errors.Is(err, vm.ErrInvalidState) || vm.Fix(err) == "" {
			t.Errorf("%s: got %v (fix %q), want ErrInvalidState with a fix", what, err, vm.Fix(err))
		}
	}
	if err := h.StopNetwork(ctx, n.Name); err != nil {
		t.Fatalf("StopNetwork: %v", err)
	}
	c.expectObjectEvent(t, h, vm.EventNetwork, n.Name, "stopped")
	if err := h.StopNetwork(ctx, n.Name); !errors.Is(err, vm.ErrInvalidState) || !strings.Contains(err.Error(), "inactive") {
		t.Errorf("StopNetwork of an inactive network: got %v, want ErrInvalidState saying inactive", err)
	}
	if err := h.UndefineNetwork(ctx, n.Name); err != nil {
		t.Fatalf("UndefineNetwork: %v", err)
	}
	if _, err := h.Network(ctx, n.Name); !errors.Is(err, vm.ErrNotFound) || !strings.Contains(vm.Fix(err), "hv net list") {
		t.Errorf("Network after UndefineNetwork: got %v (fix %q), want ErrNotFound pointing at 'hv net list'", err, vm.Fix(err))
	}
}

// networkAddresses defines networks with a subnet and reads them back.
func (c Contract) networkAddresses(t *testing.T) {
	h := c.open(t)
	subnet, host := randomSubnet()
	iso := c.network(t, h, vm.NetworkSpec{Name: netName(), Mode: "isolated", IPv4: subnet})
	if iso.Mode != "isolated" || iso.IPv4 != host || iso.DHCP() {
		t.Errorf("an isolated network on %s: %+v, want the host at %s and no DHCP", subnet, iso, host)
	}
	subnet, host = randomSubnet()
	nat := c.network(t, h, vm.NetworkSpec{Name: netName(), Mode: "nat", IPv4: subnet, DHCP: true})
	if nat.Mode != "nat" || nat.IPv4 != host || !strings.HasSuffix(nat.DHCPStart, ".2") || !strings.HasSuffix(nat.DHCPEnd, ".254") {
		t.Errorf("a NAT network with DHCP on %s: %+v, want the host at %s and a range .2 to .254", subnet, nat, host)
	}
}

func (c Contract) networkRefusals(t *testing.T) {
	h := c.open(t)
	ctx := c.ctx(t)
	subnet, _ := randomSubnet()
	n := c.network(t, h, vm.NetworkSpec{Name: netName(), Mode: "isolated", IPv4: subnet})
	other, _ := randomSubnet()
	checks := []struct {
		what string
		err  error
		want error
		says string
	}{
		{"DefineNetwork of a taken name", second(h.DefineNetwork(ctx, vm.NetworkSpec{Name: n.Name, Mode: "isolated", IPv4: other})), vm.ErrExists, "exists"},
		{"DefineNetwork of a taken subnet", second(h.DefineNetwork(ctx, vm.NetworkSpec{Name: netName(), Mode: "isolated", IPv4: subnet})), vm.ErrExists, "overlaps network " + n.Name},
		{"DefineNetwork of a bad subnet", second(h.DefineNetwork(ctx, vm.NetworkSpec{Name: netName(), Mode: "nat", IPv4: "10.1.2.300/24"})), vm.ErrInvalidArg, "not an IPv4 subnet"},
		{"DefineNetwork of NAT without subnet", second(h.DefineNetwork(ctx, vm.NetworkSpec{Name: netName(), Mode: "nat"})), vm.ErrInvalidArg, "needs a subnet"},
		{"StartNetwork of an unknown network", h.StartNetwork(ctx, "no-such-net-hvtest"), vm.ErrNotFound, "no-such-net-hvtest"},
		{"StopNetwork of an inactive network", h.StopNetwork(ctx, n.Name), vm.ErrInvalidState, "inactive"},
		{"Leases of an inactive network", second(h.Leases(ctx, n.Name)), vm.ErrInvalidState, "inactive"},
	}
	for _, ch := range checks {
		if !errors.Is(ch.err, ch.want) || !strings.Contains(fmt.Sprint(ch.err), ch.says) {
			t.Errorf("%s: got %v, want an error wrapping %q that says %q", ch.what, ch.err, ch.want, ch.says)
		} else if vm.Fix(ch.err) == "" {
			t.Errorf("%s: %v names no fix", ch.what, ch.err)
		}
	}
}
