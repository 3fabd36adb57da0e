package networks

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// Form fields, in order.
const (
	fieldName = iota
	fieldMode
	fieldSubnet
	fieldDHCP
)

// defineForm asks for a new network, prefilled with a subnet no network
// uses yet.
func (m *Model) defineForm() tea.Cmd {
	fields := []ui.Field{
		{Label: "Name", Hint: "e.g. lab-2", Validate: m.checkName},
		{Label: "Mode", Value: "nat", Choices: []string{"nat", "isolated"}, Hint: "nat: guests reach outside; isolated: host and guests only"},
		{Label: "Subnet", Value: m.freeSubnet(), Hint: "IPv4 CIDR; empty: no address (isolated only)", Validate: m.checkSubnet},
		{Label: "DHCP", Value: "yes", Choices: []string{"yes", "no"}, Hint: "hand out the rest of the subnet to guests"},
	}
	form := ui.NewForm(m.c, "New network", fields, m.define).Check(func(v []string) error {
		_, err := m.check(spec(v))
		return err
	})
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: form} }
}

func spec(v []string) vm.NetworkSpec {
	return vm.NetworkSpec{Name: v[fieldName], Mode: v[fieldMode], IPv4: v[fieldSubnet], DHCP: v[fieldDHCP] == "yes"}
}

// check refuses what the backend would refuse, before the operator leaves
// the form: a bad spec, a taken name, a subnet another network has.
func (m *Model) check(s vm.NetworkSpec) (vm.NetworkPlan, error) {
	plan, err := vm.PlanNetwork(s)
	if err == nil {
		err = m.taken(s.Name)
	}
	if err == nil {
		err = m.overlap(s.Name, plan)
	}
	return plan, err
}

func (m *Model) taken(name string) error {
	for _, n := range m.all {
		if n.Name == name {
			return &vm.Error{Op: "define network", Target: name, Kind: vm.ErrExists,
				Detail: "a network called " + name + " exists", Hint: "pick another name"}
		}
	}
	return nil
}

func (m *Model) overlap(name string, plan vm.NetworkPlan) error {
	for _, n := range m.all {
		if plan.Host.IsValid() && vm.Overlaps(n.IPv4, plan.Host.String()) {
			return &vm.Error{Op: "define network", Target: name, Kind: vm.ErrExists,
				Detail: fmt.Sprintf("%s overlaps network %s (%s)", plan.Host.Masked(), ui.Safe(n.Name), n.IPv4),
				Hint:   "pick a subnet no other network uses"}
		}
	}
	return nil
}

// checkName and checkSubnet judge one field as it is typed; check judges
// them together (a NAT network needs a subnet) on enter.
func (m *Model) checkName(s string) error {
	err := vm.CheckName("define network", "network", s)
	if err == nil {
		err = m.taken(s)
	}
	return reason(err)
}

func (m *Model) checkSubnet(s string) error {
	if s == "" {
		return nil // whether one is needed depends on the mode and DHCP
	}
	plan, err := vm.PlanNetwork(vm.NetworkSpec{Name: "subnet", Mode: "isolated", IPv4: s})
	if err == nil {
		err = m.overlap("", plan)
	}
	return reason(err)
}

// reason keeps what a field's line has room for: why, not the operation.
func reason(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(ui.Reason(err))
}

func (m *Model) define(v []string) tea.Cmd {
	s := spec(v)
	hv, err := m.host.HV()
	return m.c.Job(m.id, "defining "+s.Name, "defined network "+s.Name+"; s starts it", s.Name, func(ctx context.Context) error {
		if err != nil {
			return err
		}
		_, err := hv.DefineNetwork(ctx, s)
		return err
	})
}

// freeSubnet is the first 192.168.N.0/24 from N=100 that no network uses.
func (m *Model) freeSubnet() string {
next:
	for n := 100; n < 255; n++ {
		subnet := fmt.Sprintf("192.168.%d.0/24", n)
		for _, other := range m.all {
			if vm.Overlaps(other.IPv4, subnet) {
				continue next
			}
		}
		return subnet
	}
	return ""
}
