package access

import (
	"fmt"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
)

// Capability is one thing a user may or may not do, and why; for what
// they may not, the fix (an exact command) and, when that command is
// root's, why root is needed.
type Capability struct {
	ID   string `json:"id"`
	What string `json:"what"`
	Can  bool   `json:"can"`
	Why  string `json:"why"`
	Fix  string `json:"fix,omitempty"`
	Root string `json:"why_root,omitempty"`
}

// Capability ids, in the order Map lists them.
const (
	WatchVMs        = "vm.watch"
	ManageVMs       = "vm.manage"
	StageHost       = "host.stage"
	ApplyHost       = "host.apply"
	AppendAudit     = "audit.append"
	Harden          = "phase.harden"
	LeaveHardened   = "phase.leave"
	ChangeOperators = "operators.change"
)

// Why root alone may grant or do these.
const (
	rootForGroup = "membership of the operators group lets a user hand a VM any host file or device, which is as good as root: only root may grant it"
	rootForRule  = "polkit rules decide who may act as whom on this host: only root may install them"
)

// Map is the capability map of f.
func Map(f Facts) []Capability {
	join := joinFix(f)
	caps := []Capability{watch(f), manage(f, join)}

	stage := Capability{ID: StageHost, What: "stage host changes (features, phase) in " + f.Staging.Path, Can: f.Staging.Writable}
	switch {
	case stage.Can:
		stage.Why = "you may write there"
	case !f.Staging.System:
		stage.Why = "this host has no staging directory: " + f.Staging.Why
		stage.Fix = "enable services.hyper-nixos in the NixOS configuration (it creates the directory for the operators group)"
	case f.Root():
		stage.Why = f.Staging.Why
	default:
		stage.Why = "only the operators group may: " + f.Staging.Why
		stage.Fix, stage.Root = join.fix, join.root
	}
	app := apply(f, join)
	caps = append(caps, stage, app)

	audit := Capability{ID: AppendAudit, What: "record your actions in the audit trail " + f.Audit.Path, Can: f.Audit.Writable}
	switch {
	case audit.Can && f.Audit.System:
		audit.Why = "you may append to the host's trail (nobody may rewrite it)"
	case audit.Can:
		audit.Why = "this host has no trail of its own (the NixOS module makes /var/log/hyper-nixos): hv records what you do in yours"
	default:
		audit.Why = "you may not append to it: " + f.Audit.Why + "; hv shows 'audit trail not written' when you change something"
		audit.Fix, audit.Root = join.fix, join.root
	}
	caps = append(caps, audit)

	harden := Capability{ID: Harden, What: "harden the host (setup to hardened)"}
	switch {
	case f.Phase == phase.Hardened:
		harden.Can, harden.Why = true, "the host is hardened already"
	case stage.Can && app.Can:
		harden.Can, harden.Why = true, "you may stage it and start the apply service; 'hv phase harden' runs the pre-checks"
	case !stage.Can:
		harden.Why = "it is staged like any host change, which you may not do (above)"
		harden.Fix, harden.Root = stage.Fix, stage.Root
	default:
		harden.Why = "it is applied like any host change, which you may not do (above)"
		harden.Fix, harden.Root = app.Fix, app.Root
	}
	caps = append(caps, harden)

	leave := phase.Decide(phase.Hardened, phase.Op{Kind: phase.PhaseLeave}, who(f))
	caps = append(caps, rootOnly(LeaveHardened, "move a hardened host back to setup", leave, "as root you may; it is audited"))
	ops := phase.Decide(f.Phase, phase.Op{Kind: phase.OperatorsChange}, who(f))
	caps = append(caps, rootOnly(ChangeOperators, "choose who is an operator", ops, "as root you may"))
	return caps
}

// rootOnly is a capability the phase matrix reserves to root.
func rootOnly(id, what string, r phase.Rule, rootMay string) Capability {
	if !r.Refused() {
		return Capability{ID: id, What: what, Can: true, Why: rootMay}
	}
	return Capability{ID: id, What: what, Why: "only root may", Fix: r.Fix, Root: r.Why}
}

func who(f Facts) phase.Who {
	if f.Root() {
		return phase.Root
	}
	return phase.Operator
}

func watch(f Facts) Capability {
	c := Capability{ID: WatchVMs, What: "watch VMs: list, details, statistics"}
	switch {
	case f.Libvirt.ReadWrite == nil || f.Libvirt.ReadOnly == nil:
		c.Can, c.Why = true, "libvirt at "+f.Libvirt.URI+" answers you"
	default:
		c.Why = "libvirt at " + f.Libvirt.URI + " does not answer: " + f.Libvirt.ReadOnly.Error()
		c.Fix = vm.Fix(f.Libvirt.ReadOnly)
	}
	return c
}

// join is how this user gets into the operators group.
type join struct{ fix, root string }

func joinFix(f Facts) join {
	switch {
	case f.Root():
		return join{}
	case f.MemberOfGroup() && !f.InGroup():
		// No root needed: the group is there, this login predates it.
		return join{fix: fmt.Sprintf("you were added to %s after you logged in: log out and in again (or run 'newgrp %s')", f.Group, f.Group)}
	case !f.GroupExists:
		return join{fix: fmt.Sprintf("the group %s does not exist: enable services.hyper-nixos (it creates it), then as root name %s in operators.users ('hv wizard' as root) and apply", f.Group, f.User),
			root: rootForGroup}
	}
	return join{fix: fmt.Sprintf("as root: add %s to operators.users in the host file ('hv wizard' as root) and apply; on a host without the NixOS module: usermod -aG %s %s; then log in again", f.User, f.Group, f.User),
		root: rootForGroup}
}

func manage(f Facts, j join) Capability {
	c := Capability{ID: ManageVMs, What: "manage VMs: start, stop, create, delete, snapshots, consoles, networks, storage"}
	lv := f.Libvirt
	switch {
	case lv.ReadWrite == nil && f.Root():
		c.Can, c.Why = true, "you are root"
	case lv.ReadWrite == nil && f.InGroup():
		c.Can, c.Why = true, "libvirt grants read-write access to the "+f.Group+" group (hv's polkit rule), without sudo"
	case lv.ReadWrite == nil:
		c.Can, c.Why = true, "libvirt grants you read-write access (not through the "+f.Group+" group: another rule or the socket's permissions)"
	case lv.ReadOnly != nil:
		c.Why = "libvirt does not answer"
		c.Fix = vm.Fix(lv.ReadWrite)
	case f.InGroup() && f.LibvirtRule.Known() && !f.LibvirtRule.Installed:
		c.Why = "you are in " + f.Group + ", but hv's polkit rule is not installed, so libvirt allows read-only access only"
		c.Fix, c.Root = "as root: cp nix/polkit/50-hyper-nixos.rules /etc/polkit-1/rules.d/ (the NixOS module installs it with services.hyper-nixos)", rootForRule
	case f.InGroup():
		c.Why = "you are in " + f.Group + ", but libvirt refused read-write access: " + lv.ReadWrite.Error()
		c.Fix, c.Root = "as root, check that hv's polkit rule names "+f.Group+" (hv doctor as root shows it) and that polkitd runs", rootForRule
	default:
		c.Why = "libvirt allows read-only access only: you are not in the operators group " + f.Group
		c.Fix, c.Root = j.fix, j.root
	}
	return c
}

func apply(f Facts, j join) Capability {
	c := Capability{ID: ApplyHost, What: "start " + f.Apply.Name + " to apply staged changes"}
	switch {
	case f.Apply.Unknown != "":
		c.Why = "systemd cannot be asked here (" + f.Apply.Unknown + "): staged changes wait for a Hyper-NixOS host"
	case !f.Apply.Installed:
		c.Why = f.Apply.Name + " is not installed"
		c.Fix = "enable services.hyper-nixos in the NixOS configuration"
	case f.Root():
		c.Can, c.Why = true, "you are root"
	case !f.InGroup():
		c.Why = "polkit lets only the " + f.Group + " group start it"
		c.Fix, c.Root = j.fix, j.root
	case f.ApplyRule.Known() && !f.ApplyRule.Installed:
		c.Why = "hv's polkit rule for it is not installed"
		c.Fix, c.Root = "as root: cp nix/polkit/51-hyper-nixos-apply.rules /etc/polkit-1/rules.d/ (the NixOS module installs it)", rootForRule
	default:
		c.Can, c.Why = true, "polkit lets the "+f.Group+" group start it, and only start it (inferred from the rule and your groups: hv does not start it to find out)"
	}
	return c
}
