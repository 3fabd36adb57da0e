package vm

import (
	"errors"
	"strings"
	"testing"
)

func TestPlanNetwork(t *testing.T) {
	tests := []struct {
		spec             NetworkSpec
		host, from, upto string
	}{
		{NetworkSpec{Name: "lab", Mode: "nat", IPv4: "192.168.150.0/24", DHCP: true}, "192.168.150.1/24", "192.168.150.2", "192.168.150.254"},
		{NetworkSpec{Name: "lab", Mode: "isolated", IPv4: "10.9.0.0/16"}, "10.9.0.1/16", "", ""},
		{NetworkSpec{Name: "lab", Mode: "isolated", IPv4: "10.9.8.254/24", DHCP: true}, "10.9.8.254/24", "10.9.8.1", "10.9.8.253"},
		{NetworkSpec{Name: "lab", Mode: "nat", IPv4: "172.20.1.7/30", DHCP: true}, "172.20.1.7/30", "", ""}, // the broadcast: refused below
		{NetworkSpec{Name: "lab", Mode: "isolated"}, "", "", ""},
	}
	for _, tt := range tests[:3] {
		p, err := PlanNetwork(tt.spec)
		if err != nil {
			t.Fatalf("PlanNetwork(%+v): %v", tt.spec, err)
		}
		from, upto := "", ""
		if p.DHCPStart.IsValid() {
			from, upto = p.DHCPStart.String(), p.DHCPEnd.String()
		}
		if p.Host.String() != tt.host || from != tt.from || upto != tt.upto {
			t.Errorf("PlanNetwork(%+v) = host %v, DHCP %s-%s; want %s, %s-%s", tt.spec, p.Host, from, upto, tt.host, tt.from, tt.upto)
		}
	}
	if p, err := PlanNetwork(tests[4].spec); err != nil || p.Host.IsValid() {
		t.Errorf("an isolated network without IP: %+v, %v", p, err)
	}
}

func TestPlanNetworkRefusals(t *testing.T) {
	for _, tt := range []struct {
		spec NetworkSpec
		why  string
	}{
		{NetworkSpec{Mode: "nat", IPv4: "10.1.0.0/24"}, "name is required"},
		{NetworkSpec{Name: "lab"}, "a mode is required"},
		{NetworkSpec{Name: "lab", Mode: "bridge"}, `mode "bridge" is not offered`},
		{NetworkSpec{Name: "lab", Mode: "nat"}, "needs a subnet"},
		{NetworkSpec{Name: "lab", Mode: "isolated", DHCP: true}, "DHCP needs a subnet"},
		{NetworkSpec{Name: "lab", Mode: "nat", IPv4: "192.168.1.0"}, "not an IPv4 subnet"},
		{NetworkSpec{Name: "lab", Mode: "nat", IPv4: "fd00::/64"}, "not an IPv4 subnet"},
		{NetworkSpec{Name: "lab", Mode: "nat", IPv4: "10.0.0.0/31"}, "/31 subnet is not usable"},
		{NetworkSpec{Name: "lab", Mode: "nat", IPv4: "8.8.8.0/24"}, "not a private range"},
		{NetworkSpec{Name: "lab", Mode: "nat", IPv4: "10.0.0.0/7"}, "/7 subnet"},
		{NetworkSpec{Name: "lab", Mode: "nat", IPv4: "172.20.1.7/30"}, "broadcast address"},
	} {
		_, err := PlanNetwork(tt.spec)
		if !errors.Is(err, ErrInvalidArg) || !strings.Contains(err.Error(), tt.why) || Fix(err) == "" {
			t.Errorf("PlanNetwork(%+v) = %v (fix %q); want ErrInvalidArg saying %q", tt.spec, err, Fix(err), tt.why)
		}
	}
}

func TestOverlaps(t *testing.T) {
	if !Overlaps("192.168.122.1/24", "192.168.122.0/25") || !Overlaps("10.0.0.1/8", "10.9.9.1/24") {
		t.Error("overlapping subnets not seen")
	}
	if Overlaps("192.168.122.1/24", "192.168.123.1/24") || Overlaps("", "10.0.0.1/8") {
		t.Error("disjoint or missing subnets seen as overlapping")
	}
}
