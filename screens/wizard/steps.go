package wizard

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// buildFields makes the fields of every step from the answers.
func (m *Model) buildFields() {
	c, a := m.c, m.answers
	m.fields = map[string][]*field{}

	level := newChoice(c, "Experience", a.Level, []string{"beginner", "intermediate", "expert"}, "")
	m.fields[stepWelcome] = []*field{level}

	group := newText(c, "Group", a.Group, "members manage VMs and stage host changes through the hv daemon, without sudo", m.checkGroup)
	users := newText(c, "Users", a.Users, "login names, separated by commas", m.checkUsers)
	if m.opts.Who != phase.Root {
		why := phase.Decide(phase.Of(m.running().Phase), phase.Op{Kind: phase.OperatorsChange}, m.opts.Who)
		group.locked = "only root chooses operators"
		users.locked = why.Fix
	}
	m.fields[stepOperators] = []*field{group, users}

	mode := newChoice(c, "VM network", a.Network, []string{NAT, Bridge, Isolated}, "")
	mode.names = map[string]string{NAT: "NAT", Bridge: "bridge", Isolated: "isolated"}
	// Physical cards are the uplinks a bridge is built on; only when there
	// are none are the others offered.
	var names, others []string
	for _, in := range m.ifaces {
		if in.Physical {
			names = append(names, in.Name)
		} else {
			others = append(others, in.Name)
		}
	}
	if len(names) == 0 {
		names = others
	}
	uplink := newChoice(c, "Uplink", a.Uplink, names, "the host's network card the bridge is built on")
	uplink.hidden = func() bool { return mode.value() != Bridge }
	if len(names) == 0 {
		uplink.locked = "no network interface found in " + m.opts.Host.Net
	}
	subnet := newText(c, "NAT subnet", a.Subnet, "the VMs' private addresses; the host takes the first", m.checkSubnet)
	subnet.hidden = func() bool { return mode.value() != NAT }
	m.fields[stepNetwork] = []*field{mode, uplink, subnet}

	images := newText(c, "VM disks in", a.ImagesDir, "a directory; it is created if missing", m.settingCheck("storage.images_dir"))
	m.fields[stepStorage] = []*field{images}

	var presets []string
	if !m.fresh {
		presets = append(presets, keepSelection)
	}
	for _, p := range m.cat.Presets() {
		presets = append(presets, p.ID)
	}
	preset := newChoice(c, "Preset", a.Preset, presets, "")
	preset.names = map[string]string{keepSelection: "current"}
	m.fields[stepPreset] = []*field{preset}

	ph := newChoice(c, "Phase", a.Phase, []string{string(phase.Setup), string(phase.Hardened)}, "")
	m.fields[stepPhase] = []*field{ph}
}

// readFields copies the fields into the answers.
func (m *Model) readFields() {
	get := func(step string, i int) string { return m.fields[step][i].value() }
	a := &m.answers
	a.Level = get(stepWelcome, 0)
	a.Group, a.Users = get(stepOperators, 0), get(stepOperators, 1)
	a.Network, a.Uplink, a.Subnet = get(stepNetwork, 0), get(stepNetwork, 1), get(stepNetwork, 2)
	a.ImagesDir = get(stepStorage, 0)
	a.Preset = get(stepPreset, 0)
	if steps[m.step].id == stepPhase || a.Phase != "" {
		a.Phase = get(stepPhase, 0)
	}
}

// settingCheck checks a value by the host-file schema, as the module will.
func (m *Model) settingCheck(path string) func(string) (string, string) {
	return func(v string) (string, string) {
		if v == "" {
			return "required", ""
		}
		if ps := m.cat.CheckSetting(path, v); len(ps) > 0 {
			return ps[0], ""
		}
		return "", ""
	}
}

// natNetwork is the libvirt network the NixOS module makes of the NAT
// subnet (nix/features/networking.nix): it may hold the subnet already.
const natNetwork = "hv-nat"

// checkSubnet refuses a NAT subnet that is no subnet, or that overlaps a
// libvirt network other than the one hv makes of it, as the Networks
// screen does.
func (m *Model) checkSubnet(v string) (string, string) {
	if problem, _ := m.settingCheck("network.nat_subnet")(v); problem != "" {
		return problem, ""
	}
	for _, n := range m.nets {
		if n.Name != natNetwork && vm.Overlaps(n.IPv4, v) {
			return fmt.Sprintf("overlaps libvirt network %s (%s): pick a subnet no network uses", ui.Safe(n.Name), n.IPv4), ""
		}
	}
	return "", ""
}

func (m *Model) checkGroup(v string) (string, string) {
	if p, w := m.settingCheck("operators.group")(v); p != "" {
		return p, w
	}
	if v == "wheel" || v == "root" {
		return "", v + " already means administrators: a group of its own keeps operators apart from root's powers"
	}
	return "", ""
}

// checkUsers checks each name by the schema, and says which are not users
// of this machine (yet): NixOS may create them, LDAP may know them.
func (m *Model) checkUsers(v string) (string, string) {
	users := Answers{Users: v}.UserList()
	if ps := m.cat.CheckSetting("operators.users", users); len(ps) > 0 {
		return ps[0], ""
	}
	if len(users) == 0 {
		return "", "no operators: only root will manage VMs, and the host cannot be hardened"
	}
	if slices.Contains(users, "root") {
		return "", "root needs no group to manage VMs"
	}
	var unknown []string
	for _, u := range users {
		if m.users != nil && !m.users[u] {
			unknown = append(unknown, u)
		}
	}
	if len(unknown) > 0 {
		return "", fmt.Sprintf("not users of this machine yet: %s (create them in the NixOS configuration, users.users.NAME, or they come from LDAP)", strings.Join(unknown, ", "))
	}
	return "", ""
}

// blocked says why the step cannot be left forward, or "".
func (m *Model) blocked() string {
	for _, f := range m.visibleFields() {
		if f.problem != "" {
			return f.label + ": " + f.problem
		}
	}
	switch steps[m.step].id {
	case stepNetwork:
		if m.answers.Network == Bridge && m.answers.Uplink == "" {
			return "a bridge needs an uplink, and this host shows no network interface: choose NAT or isolated"
		}
	case stepReview, stepSummary:
		if r := m.cat.CheckHost(m.draft()); !r.OK() {
			return r.Problems[0].Message
		}
		if ps := m.cat.CheckChange(m.running(), m.draft(), m.opts.Who); len(ps) > 0 {
			return ps[0].Message
		}
	case stepPhase:
		if m.answers.Phase == string(phase.Hardened) && phase.Of(m.running().Phase) != phase.Hardened {
			if cs := m.hardenChecks(); !phase.Passed(cs) {
				return "the hardened phase's pre-checks fail: " + phase.Failed(cs)
			}
		}
		if ps := m.cat.CheckChange(m.running(), m.draft(), m.opts.Who); len(ps) > 0 {
			return ps[0].Message
		}
	}
	return ""
}
