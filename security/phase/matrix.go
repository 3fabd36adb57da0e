package phase

import (
	"github.com/hyper-nixos/hv/security"
)

// Kind is a kind of operation the matrix decides on.
type Kind string

const (
	VMAction        Kind = "vm.action"        // a lifecycle action on one VM, by its risk
	VMBulk          Kind = "vm.bulk"          // one action on several VMs at once, by its risk
	VMCreate        Kind = "vm.create"        // create or clone a VM
	VMEdit          Kind = "vm.edit"          // vCPUs, memory, devices, by risk
	VMConsole       Kind = "vm.console"       // a VM's serial console
	VMMigrate       Kind = "vm.migrate"       // move a VM to another host, or accept one
	SnapshotCreate  Kind = "snapshot.create"  // take a snapshot
	SnapshotRevert  Kind = "snapshot.revert"  // go back to one: the current state is lost
	SnapshotDelete  Kind = "snapshot.delete"  // remove one
	NetworkChange   Kind = "network.change"   // define, start, stop, undefine, by risk
	StorageChange   Kind = "storage.change"   // pools and volumes, by risk
	FeatureEnable   Kind = "feature.enable"   // by the feature's risk
	FeatureDisable  Kind = "feature.disable"  // Op.Hardening for a feature of the hardening category
	PhaseHarden     Kind = "phase.harden"     // setup to hardened
	PhaseLeave      Kind = "phase.leave"      // hardened back to setup
	OperatorsChange Kind = "operators.change" // the operators group or its members
)

// Op is one operation put to the matrix.
type Op struct {
	Kind Kind
	Risk security.Risk
	// Hardening: a FeatureDisable of a feature that hardens the host.
	Hardening bool
	// Irreversible: confirmed by typing the object's name whatever the
	// risk (deleting a VM loses its snapshots and saved state for good).
	Irreversible bool
}

// The reasons, shared by the decisions and the documentation.
const (
	whyCriticalVM = "the hardened phase does not delete a VM together with its disks in one step"
	fixCriticalVM = "delete the VM (its disks stay), then each volume in Storage, each confirmed by its name"

	whyBulk = "in the hardened phase high-risk actions run on one VM at a time"
	fixBulk = "name the VMs one by one"

	whyCriticalFeature = "critical features expose the host and are refused in the hardened phase"
	fixCriticalFeature = "only root can move the host back to setup: run 'hv phase setup' as root"

	whyHardeningOff = "turning hardening off in the hardened phase needs root"
	fixHardeningOff = "run the same command as root (e.g. 'hv features disable ID' as root); root's change is audited"

	whyLeave = "leaving the hardened phase needs root: the phase exists so that a taken-over operator account cannot weaken the host"
	fixLeave = "run 'hv phase setup' as root (it is staged as root's own and audited)"

	whyOperators = "changing the operators needs root: membership grants every hv action through the daemon (this host's VMs, disks, networks and host changes), bounded only by the phase and the payload policy"
	fixOperators = "run 'hv wizard' as root, or edit operators.users in the host file as root, and apply"
)

// Decide is the permission matrix: what phase p says of op for who.
// Root is bound by the phase like everyone for VM work, and may do what
// only root may (leave the hardened phase, change operators, turn
// hardening off); the phase exists to stop everyone else.
func Decide(p Phase, op Op, who Who) Rule {
	r := decide(p, op, who)
	if r.Verdict != Confirm {
		return r
	}
	r.Ask = YesNo
	if op.Risk >= security.Critical || op.Irreversible {
		r.Ask = TypeName
	}
	r.Typed = r.Ask
	if r.Ask == YesNo && gradedByRisk(op.Kind) && op.Risk < security.High {
		r.Typed = NoQuestion // "hv vm shutdown web" is its own yes
	}
	return r
}

// gradedByRisk: the kinds whose every operation is judged by its risk
// alone (byRisk), where a command typed on purpose confirms medium risk.
func gradedByRisk(k Kind) bool {
	switch k {
	case VMAction, VMBulk, VMEdit, NetworkChange, StorageChange:
		return true
	}
	return false
}

func decide(p Phase, op Op, who Who) Rule {
	hardened := p == Hardened
	switch op.Kind {
	case VMAction, VMEdit:
		if op.Risk >= security.Critical && hardened {
			return Rule{Verdict: Refuse, Why: whyCriticalVM, Fix: fixCriticalVM}
		}
		return byRisk(op.Risk)
	case VMBulk:
		if op.Risk >= security.High && hardened {
			return Rule{Verdict: Refuse, Why: whyBulk, Fix: fixBulk}
		}
		return byRisk(op.Risk)
	case VMCreate, VMConsole, SnapshotCreate:
		return Rule{Verdict: Allow}
	case VMMigrate:
		return Rule{Verdict: Confirm, Why: "the VM leaves this host for another, with its disks, and runs there under that host's rules"}
	case SnapshotRevert:
		return Rule{Verdict: Confirm, Why: "the VM's current disks (and memory) are lost"}
	case SnapshotDelete:
		return Rule{Verdict: Confirm, Why: "that point can no longer be returned to"}
	case NetworkChange, StorageChange:
		return byRisk(op.Risk)
	case FeatureEnable:
		if op.Risk >= security.Critical && hardened {
			return Rule{Verdict: Refuse, Why: whyCriticalFeature, Fix: fixCriticalFeature}
		}
		if op.Risk >= security.High {
			return Rule{Verdict: Confirm, Why: "a " + op.Risk.String() + " risk feature: read its impact first"}
		}
		return Rule{Verdict: Allow}
	case FeatureDisable:
		if op.Hardening && hardened {
			if who == Root {
				return Rule{Verdict: Confirm, Why: "weakens a hardened host"}
			}
			return Rule{Verdict: Refuse, Why: whyHardeningOff, Fix: fixHardeningOff}
		}
		return Rule{Verdict: Allow}
	case PhaseHarden:
		if hardened {
			return Rule{Verdict: Allow, Why: "the host is hardened already"}
		}
		return Rule{Verdict: Confirm, Why: "the hardened phase refuses more, and only root can leave it"}
	case PhaseLeave:
		switch {
		case !hardened:
			return Rule{Verdict: Allow, Why: "the host is in the setup phase already"}
		case who == Root:
			return Rule{Verdict: Confirm, Why: "the host leaves production rules"}
		}
		return Rule{Verdict: Refuse, Why: whyLeave, Fix: fixLeave}
	case OperatorsChange:
		if who == Root {
			return Rule{Verdict: Confirm, Why: "operators get every hv action on this host's VMs, disks and networks"}
		}
		return Rule{Verdict: Refuse, Why: whyOperators, Fix: fixOperators}
	}
	// An operation the matrix does not know is refused: a new kind must
	// be given its rule here (a test lists them all).
	return Rule{Verdict: Refuse, Why: "hv has no rule for " + string(op.Kind), Fix: "report this as a bug"}
}

// byRisk is the common rule: from medium risk an action asks first.
func byRisk(r security.Risk) Rule {
	if r >= security.Medium {
		return Rule{Verdict: Confirm, Why: "a " + r.String() + " risk action"}
	}
	return Rule{Verdict: Allow}
}

// Row is one line of the matrix as documented: an operation (with an
// example), and the rule of each phase for an operator and for root.
type Row struct {
	Op       Op
	What     string // the operation in words, with examples
	Setup    Rule
	Hardened Rule
	// RootSetup and RootHardened differ from Setup and Hardened only for
	// what root alone may do.
	RootSetup, RootHardened Rule
}

// Matrix lists the operations hv knows, in the order people read them.
func Matrix() []Row {
	ops := []struct {
		op   Op
		what string
	}{
		{Op{Kind: VMAction, Risk: security.Low}, "VM start, pause, resume, autostart (low risk)"},
		{Op{Kind: VMAction, Risk: security.Medium}, "VM shut down, reboot, save (medium)"},
		{Op{Kind: VMAction, Risk: security.High}, "VM force off, delete keeping its disks (high)"},
		{Op{Kind: VMAction, Risk: security.Critical}, "VM delete with its disks (critical)"},
		{Op{Kind: VMBulk, Risk: security.Medium}, "a medium-risk action on several VMs"},
		{Op{Kind: VMBulk, Risk: security.High}, "a high-risk action on several VMs (force off all)"},
		{Op{Kind: VMCreate}, "VM create, clone"},
		{Op{Kind: VMEdit, Risk: security.Low}, "VM vCPUs, memory, devices (a form filled in on purpose)"},
		{Op{Kind: VMConsole}, "VM serial console"},
		{Op{Kind: VMMigrate, Risk: security.Medium}, "VM migrate to another host (live with its disks, or shut off)"},
		{Op{Kind: SnapshotCreate}, "snapshot take"},
		{Op{Kind: SnapshotRevert, Risk: security.High}, "snapshot revert"},
		{Op{Kind: SnapshotDelete, Risk: security.High}, "snapshot delete"},
		{Op{Kind: NetworkChange, Risk: security.Low}, "network define, start, autostart"},
		{Op{Kind: NetworkChange, Risk: security.High}, "network stop, undefine"},
		{Op{Kind: StorageChange, Risk: security.Low}, "pool define, start; volume create, copy"},
		{Op{Kind: StorageChange, Risk: security.Critical}, "volume delete (type its name)"},
		{Op{Kind: FeatureEnable, Risk: security.Medium}, "feature on, minimal to medium risk (staged, then applied)"},
		{Op{Kind: FeatureEnable, Risk: security.High}, "feature on, high risk (y/N)"},
		{Op{Kind: FeatureEnable, Risk: security.Critical}, "feature on, critical risk (type its id)"},
		{Op{Kind: FeatureDisable}, "feature off"},
		{Op{Kind: FeatureDisable, Hardening: true}, "hardening feature off"},
		{Op{Kind: PhaseHarden}, "phase setup to hardened"},
		{Op{Kind: PhaseLeave}, "phase hardened to setup"},
		{Op{Kind: OperatorsChange}, "operators group and users"},
	}
	rows := make([]Row, len(ops))
	for i, o := range ops {
		rows[i] = Row{Op: o.op, What: o.what,
			Setup: Decide(Setup, o.op, Operator), Hardened: Decide(Hardened, o.op, Operator),
			RootSetup: Decide(Setup, o.op, Root), RootHardened: Decide(Hardened, o.op, Root)}
	}
	return rows
}

// Stricter lists what the hardened phase refuses or asks that setup did
// not: what changes for operators when a host is hardened.
func Stricter() []Row {
	var out []Row
	for _, r := range Matrix() {
		if r.Hardened.Verdict > r.Setup.Verdict {
			out = append(out, r)
		}
	}
	return out
}
