package access

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/security/polkit"
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
	ReadAudit       = "audit.read"
	RecordAudit     = "audit.record"
	Harden          = "phase.harden"
	LeaveHardened   = "phase.leave"
	ChangeOperators = "operators.change"
)

// Why root alone may grant or do these.
const (
	rootForGroup = "membership of the operators group lets a user run hv's actions through the daemon, which checks each " +
		"against the phase and the payload policy: not root's powers, but this host's VMs, disks and networks, so only root may grant it"
	rootForRule   = "polkit rules decide who may act as whom on this host: only root may install or change them"
	rootForDaemon = "the daemon holds read-write libvirt for every operator: only root may start it"
	rootForTrail  = "the trail is root's alone so that nobody can rewrite what was done: only root may change who writes it"
)

// Map is the capability map of f.
func Map(f Facts) []Capability {
	stage := stageHost(f)
	apply := applyHost(f, stage)
	caps := []Capability{watch(f), manage(f), stage, apply, readAudit(f), recordAudit(f), harden(f, stage, apply)}
	leave := phase.Decide(phase.Hardened, phase.Op{Kind: phase.PhaseLeave}, who(f))
	ops := phase.Decide(f.Phase, phase.Op{Kind: phase.OperatorsChange}, who(f))
	return append(caps, rootOnly(LeaveHardened, "move a hardened host back to setup", leave, "as root you may; it is audited"),
		rootOnly(ChangeOperators, "choose who is an operator", ops, "as root you may"))
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

// refusal is why a user may not, the fix, and why root must run it.
type refusal struct{ why, fix, root string }

func (r refusal) on(c Capability) Capability {
	c.Can, c.Why, c.Fix, c.Root = false, r.why, r.fix, r.root
	return c
}

// lack says why the daemon does not do what the actions want for this
// (non-root) user, and the fix.
func lack(f Facts, want ...string) refusal {
	d, g := f.Daemon, f.Group
	others := false // polkit grants some of hv's changes, so a rule narrows the grant
	for _, a := range d.Allowed {
		others = others || a != polkit.Read
	}
	join := fmt.Sprintf("as root: add %s to operators.users in the host file ('hv wizard' as root) and apply; "+
		"on a host without the NixOS module: usermod -aG %s %s; then log in again", f.User, g, f.User)
	const install = "as root: cp nix/polkit/50-hyper-nixos.rules /etc/polkit-1/rules.d/ (services.hyper-nixos installs it on NixOS)"
	switch {
	case d.Missing:
		return refusal{"the hv daemon does not run here (no socket at " + d.Socket + "), and operators act only through it",
			"as root: systemctl enable --now hv.socket (services.hyper-nixos does it on NixOS; elsewhere run 'hv daemon' as root)", rootForDaemon}
	case !d.Answers():
		why := "no hv daemon answers you"
		if d.Err != nil {
			why = d.Err.Error()
		}
		return refusal{why, "as root: systemctl restart hv.socket hv.service ('journalctl -u hv.service' says why it stopped)", rootForDaemon}
	case f.MemberOfGroup() && !f.InGroup():
		// No root needed: the group is there, this login predates it.
		return refusal{"you were added to " + g + " after you logged in, and polkit checks the groups of this login",
			fmt.Sprintf("log out and in again (or run 'newgrp %s')", g), ""}
	case !f.GroupExists:
		return refusal{"polkit grants hv's actions to the group " + g + ", which does not exist",
			fmt.Sprintf("enable services.hyper-nixos (it creates %s), then as root name %s in operators.users ('hv wizard' as root) and apply", g, f.User),
			rootForGroup}
	case !f.InGroup():
		return refusal{"polkit grants hv's actions to the " + g + " group, and you are not in it", join, rootForGroup}
	case others:
		return refusal{"polkit withholds what this needs (" + Words(want) + ") from you: a local rule narrows hv's grant",
			"as root: remove the rule that withholds " + strings.Join(want, ", ") + " (in /etc/polkit-1/rules.d, before 50-hyper-nixos.rules)", rootForRule}
	case f.Rule.Differs:
		return refusal{"you are in " + g + ", but " + f.Rule.File + " is not hv's rule (an older or edited copy)", install, rootForRule}
	case f.Rule.Known() && !f.Rule.Installed:
		return refusal{"you are in " + g + ", but hv's polkit rule is not installed", install, rootForRule}
	}
	return refusal{"you are in " + g + ", but polkit grants you none of hv's actions",
		"as root: check that hv's polkit rule names " + g + " ('hv doctor' as root shows it), that no rule before it withholds hv's actions, and that polkitd runs",
		rootForRule}
}

func watch(f Facts) Capability {
	c := Capability{ID: WatchVMs, What: "watch VMs: list, details, statistics"}
	lv := f.Libvirt
	var via []string
	if f.Daemon.Answers() && !f.Root() { // root's hv uses libvirt itself
		via = append(via, "the hv daemon")
	}
	switch {
	case lv.ReadWrite == nil:
		via = append(via, "read-write libvirt at "+lv.URI)
	case lv.ReadOnly == nil:
		via = append(via, "read-only libvirt at "+lv.URI)
	}
	switch len(via) {
	case 0:
		c.Why = "libvirt at " + lv.URI + " does not answer: " + lv.ReadOnly.Error()
		c.Fix = vm.Fix(lv.ReadOnly)
	case 1:
		c.Can, c.Why = true, via[0]+" answers you"
	default:
		c.Can, c.Why = true, strings.Join(via, " and ")+" answer you"
	}
	return c
}

func manage(f Facts) Capability {
	c := Capability{ID: ManageVMs, What: "manage VMs: start, stop, create, delete, snapshots, consoles, networks, storage"}
	lv := f.Libvirt
	granted, withheld := vmActions(f.Daemon)
	switch {
	case f.Demo:
		c.Can, c.Why = true, "the demo host lives in hv's memory (libvirt's test driver): you may do anything with it"
	case f.Root() && lv.ReadWrite == nil:
		c.Can, c.Why = true, "you are root: hv talks to libvirt at "+lv.URI+" directly, read-write"
	case f.Root():
		c.Why = "libvirt at " + lv.URI + " refuses root a read-write connection: " + lv.ReadWrite.Error()
		c.Fix = vm.Fix(lv.ReadWrite)
	case len(granted) > 0:
		c.Can, c.Why = true, "the hv daemon acts for you: polkit grants you "+Words(granted)
		if len(withheld) > 0 {
			c.Why += "; it withholds " + Words(withheld) + " (a local rule narrows hv's grant)"
		}
		c.Why += "; the daemon checks each request against the " + string(f.Phase) + " phase and the host file's rules (approved pools, no host paths)"
	case f.Local():
		c.Can, c.Why = true, "libvirt at "+lv.URI+" gives you read-write access directly, which is as good as root "+
			"(not hv's rule: another rule or the socket's permissions); on a Hyper-NixOS host operators act through the hv daemon"
	default:
		return lack(f, withheld...).on(c)
	}
	return c
}

func stageHost(f Facts) Capability {
	c := Capability{ID: StageHost, What: "stage host changes (features, phase)"}
	s := f.Staging
	switch {
	case f.Local() && s.Writable:
		c.What += " in " + s.Path
		c.Can, c.Why = true, "you may write there"
	case f.Local() && !s.System:
		c.Why = "this host has no staging directory: " + s.Why
		c.Fix = "enable services.hyper-nixos in the NixOS configuration (it creates the directory)"
	case f.Root():
		c.Why = "you may not write " + s.Path + ": " + s.Why
		c.Fix = "check that " + s.Path + " is on a writable file system"
	case f.Daemon.Grants(polkit.FeatureStage):
		c.Can, c.Why = true, "the hv daemon stages them for you, checked as the apply service checks them, and records them; only root writes the staged file"
	default:
		return lack(f, polkit.FeatureStage).on(c)
	}
	return c
}

func applyHost(f Facts, stage Capability) Capability {
	u := f.Apply
	c := Capability{ID: ApplyHost, What: "apply staged changes (" + u.Name + ", run as root)"}
	switch {
	case u.Unknown != "":
		c.Why = "systemd cannot be asked here (" + u.Unknown + "): staged changes wait for a Hyper-NixOS host"
	case !u.Installed:
		c.Why = u.Name + " is not installed"
		c.Fix = "enable services.hyper-nixos in the NixOS configuration"
	case f.Root():
		c.Can, c.Why = true, "you are root: hv starts it when you stage a change"
	case !stage.Can:
		c.Why = "it starts when a change is staged, which you may not do (above)"
		c.Fix, c.Root = stage.Fix, stage.Root
	case f.Daemon.Grants(polkit.FeatureStage):
		c.Can, c.Why = true, "the hv daemon starts it as root once it has staged your change: you need no grant of your own"
	default:
		r := lack(f, polkit.FeatureStage)
		return refusal{"only root and the hv daemon start it; " + r.why, r.fix, r.root}.on(c)
	}
	return c
}

func readAudit(f Facts) Capability {
	c := Capability{ID: ReadAudit, What: "read and verify the audit trail (hv audit)"}
	switch {
	case f.Root():
		c.Can, c.Why = true, "you are root: hv reads "+f.Audit.Path+" itself"
	case f.Daemon.Grants(polkit.AuditRead):
		c.Can, c.Why = true, "the hv daemon shows it to you (polkit grants "+polkit.AuditRead+")"
	case f.Local() && !f.Audit.System:
		c.Can, c.Why = true, "this host has no trail of its own: hv keeps yours in "+f.Audit.Path
	default:
		return lack(f, polkit.AuditRead).on(c)
	}
	return c
}

func recordAudit(f Facts) Capability {
	a := f.Audit
	c := Capability{ID: RecordAudit, What: "have your changes recorded in the audit trail " + a.Path}
	switch {
	case f.Root() && a.Writable:
		c.Can, c.Why = true, "root's hv writes it itself; the hv daemon writes the operators'"
	case f.Root():
		c.Why = "you may not write it: " + a.Why
		c.Fix = "check that " + filepath.Dir(a.Path) + " is on a writable file system"
	case a.System && a.Writable:
		dir := filepath.Dir(a.Path)
		c.Why = "you may write it yourself, so anyone in your place could rewrite what was done"
		c.Fix = fmt.Sprintf("as root: chown root:root %s %s && chmod 0700 %s && chmod 0600 %s (services.hyper-nixos makes them so)", dir, a.Path, dir, a.Path)
		c.Root = rootForTrail
	case f.Daemon.Answers():
		c.Can, c.Why = true, "your actions are recorded by the hv daemon, refusals included; nobody else may write the trail"
	case f.Local() && a.Writable:
		c.Can, c.Why = true, "this host has no trail of its own (services.hyper-nixos keeps one in /var/log/hyper-nixos): hv records what you do in yours"
	default:
		r := lack(f)
		return refusal{"only the hv daemon records operators' changes; " + r.why, r.fix, r.root}.on(c)
	}
	return c
}

func harden(f Facts, stage, apply Capability) Capability {
	c := Capability{ID: Harden, What: "harden the host (setup to hardened)"}
	switch {
	case f.Phase == phase.Hardened:
		c.Can, c.Why = true, "the host is hardened already"
	case stage.Can && apply.Can:
		c.Can, c.Why = true, "you may stage it and it is applied as root; 'hv phase harden' runs the pre-checks"
	case !stage.Can:
		c.Why = "it is staged like any host change, which you may not do (above)"
		c.Fix, c.Root = stage.Fix, stage.Root
	default:
		c.Why = "it is applied like any host change, which cannot happen here (above)"
		c.Fix, c.Root = apply.Fix, apply.Root
	}
	return c
}
