// Package ops is what an operator can do to a VM, shared by the TUI and the
// CLI: each action with its risk, the confirmation it needs, the reason it
// is unavailable right now, and the call that performs it.
package ops

import (
	"context"
	"fmt"
	"slices"

	"github.com/hyper-nixos/hv/security"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
)

// Risk is how much harm an action can do if done by mistake: the levels of
// the feature catalog (security.Risk), so one badge style serves both.
type Risk = security.Risk

const (
	Minimal  = security.Minimal
	Low      = security.Low
	Medium   = security.Medium
	High     = security.High
	Critical = security.Critical
)

// Action is one operation on a VM.
type Action struct {
	ID     string // as on the command line: start, shutdown, destroy...
	Audit  string // as in the audit trail, for the TUI and the CLI alike: vm.force-off
	Label  string // as on a button: Start, Shut down, Force off...
	Doing  string // progress: "starting"
	Done   string // outcome: "started"
	Risk   Risk
	Impact string // what it does to the guest, shown when confirming
	From   []vm.State
	// Irreversible: confirmed by typing the VM's name whatever the risk
	// (see phase.Op).
	Irreversible bool
	Persistent   bool // needs a stored definition (transient VMs have none)
	// To are the states the action leads to (a VM there needs nothing
	// first), and Phrase says it of a VM ("shut it down"), for the actions
	// that prepare another (First).
	To     []vm.State
	Phrase string

	run func(ctx context.Context, h vm.Hypervisor, v vm.VM) error
}

// UnavailableOn is Unavailable for the backend h: its access, then
// whether it grants this change at all (the hv daemon's polkit grants).
func (a *Action) UnavailableOn(v vm.VM, h vm.Hypervisor) string {
	if why := a.Unavailable(v, h.Access()); why != "" {
		return why
	}
	return vm.Permitted(h, a.Audit)
}

// Unavailable says why a cannot run on v now, or "" when it can.
func (a *Action) Unavailable(v vm.VM, access vm.Access) string {
	if !access.Writable() {
		return access.Why()
	}
	if a.Persistent && !v.Persistent {
		return v.Name + " is transient: it has no stored definition"
	}
	if len(a.From) > 0 && !slices.Contains(a.From, v.State) {
		why := fmt.Sprintf("%s is %s", v.Name, v.State)
		if first := a.First(v); first != nil {
			why += ": " + first.Phrase + " first"
		}
		return why
	}
	return ""
}

// First is the action that brings v into a state a can run from (shut it
// down before a delete, resume it before a shutdown), or nil when there is
// none or a is simply done already (start on a running VM).
func (a *Action) First(v vm.VM) *Action {
	if slices.Contains(a.To, v.State) {
		return nil
	}
	for _, f := range []*Action{Shutdown, Resume, Start} {
		if f != a && slices.Contains(f.From, v.State) && overlaps(f.To, a.From) {
			return f
		}
	}
	return nil
}

func overlaps(a, b []vm.State) bool {
	return slices.ContainsFunc(a, func(s vm.State) bool { return slices.Contains(b, s) })
}

// Run performs a on v. A confirmation ctx carries is given v's name, as
// the question for one VM asks it (bulk: the operator confirmed them all).
func (a *Action) Run(ctx context.Context, h vm.Hypervisor, v vm.VM) error {
	if c, ok := vm.ConfirmationFrom(ctx); ok && c.Name == "" {
		c.Name = v.Name
		ctx = vm.WithConfirmation(ctx, c)
	}
	return vm.Named(a.run(ctx, h, v), v)
}

// byRef runs a Hypervisor method (vm.Hypervisor.Start...) on v by UUID.
func byRef(f func(vm.Hypervisor, context.Context, string) error) func(context.Context, vm.Hypervisor, vm.VM) error {
	return func(ctx context.Context, h vm.Hypervisor, v vm.VM) error { return f(h, ctx, v.Ref()) }
}

// The lifecycle actions.
var (
	Start = &Action{ID: "start", Audit: "vm.start", Label: "Start", Doing: "starting", Done: "started", Risk: Low,
		Impact: "Boots the VM, or restores it if it was saved.", From: vm.FromStopped,
		To: []vm.State{vm.StateRunning}, Phrase: "start it",
		run: byRef(vm.Hypervisor.Start)}
	Shutdown = &Action{ID: "shutdown", Audit: "vm.shutdown", Label: "Shut down", Doing: "shutting down", Done: "asked to shut down", Risk: Medium,
		Impact: "Presses the VM's power button (ACPI): the guest shuts down cleanly, if it listens.", From: vm.FromRunning,
		To: []vm.State{vm.StateShutOff}, Phrase: "shut it down",
		run: byRef(vm.Hypervisor.Shutdown)}
	Reboot = &Action{ID: "reboot", Audit: "vm.reboot", Label: "Reboot", Doing: "rebooting", Done: "asked to reboot", Risk: Medium,
		Impact: "Asks the guest to restart: its services are down for a while.", From: vm.FromRunning,
		run: byRef(vm.Hypervisor.Reboot)}
	ForceOff = &Action{ID: "destroy", Audit: "vm.force-off", Label: "Force off", Doing: "forcing off", Done: "forced off", Risk: High,
		Impact: "Cuts the power at once, like pulling the plug: unsaved data in the guest is lost and its disks may need repair.", From: vm.FromActive,
		To:  []vm.State{vm.StateShutOff},
		run: byRef(vm.Hypervisor.Destroy)}
	Pause = &Action{ID: "pause", Audit: "vm.pause", Label: "Pause", Doing: "pausing", Done: "paused", Risk: Low,
		Impact: "Freezes the VM in memory; its network connections may time out.", From: vm.FromRunning,
		To:  []vm.State{vm.StatePaused},
		run: byRef(vm.Hypervisor.Pause)}
	Resume = &Action{ID: "resume", Audit: "vm.resume", Label: "Resume", Doing: "resuming", Done: "resumed", Risk: Minimal,
		Impact: "Lets a paused VM run again.", From: vm.FromPaused,
		To: []vm.State{vm.StateRunning}, Phrase: "resume it",
		run: byRef(vm.Hypervisor.Resume)}
	Save = &Action{ID: "save", Audit: "vm.save", Label: "Save", Doing: "saving", Done: "saved", Risk: Medium,
		Impact: "Writes the VM's memory to disk and stops it; the next start restores it where it was.",
		From:   vm.FromSavable, To: []vm.State{vm.StateShutOff},
		run: byRef(vm.Hypervisor.Save)}
	Delete = &Action{ID: "delete", Audit: "vm.delete", Label: "Delete", Doing: "deleting", Done: "deleted", Risk: High, Irreversible: true, Persistent: true,
		Impact: "Removes the VM's definition, snapshots and saved state. Its disks stay.", From: vm.FromStopped,
		run: byRef(vm.Hypervisor.Undefine)}
)

// Autostart switches.
var (
	AutostartOn = &Action{ID: "autostart-on", Audit: "vm.autostart", Label: "Start with the host", Doing: "enabling autostart", Done: "set to start with the host",
		Risk: Low, Impact: "The VM will start when the host boots.", Persistent: true,
		run: func(ctx context.Context, h vm.Hypervisor, v vm.VM) error { return h.SetAutostart(ctx, v.Ref(), true) }}
	AutostartOff = &Action{ID: "autostart-off", Audit: "vm.autostart", Label: "Do not start with the host", Doing: "disabling autostart", Done: "set not to start with the host",
		Risk: Low, Impact: "The VM will stay off when the host boots.", Persistent: true,
		run: func(ctx context.Context, h vm.Hypervisor, v vm.VM) error { return h.SetAutostart(ctx, v.Ref(), false) }}
)

// DeleteWithStorage deletes a VM and the volumes of its disks (never its
// CD-ROMs, which are shared media, nor a volume another VM also uses).
var DeleteWithStorage = &Action{ID: "delete-storage", Audit: "vm.delete-storage", Label: "Delete with its disks", Doing: "deleting", Done: "deleted with its disks",
	Risk: Critical, Persistent: true, From: vm.FromStopped,
	Impact: "Removes the VM's definition, snapshots and saved state, and deletes its disk volumes: the data on them is gone for good.",
	run:    byRef(vm.Hypervisor.DeleteWithStorage)}

// StopRisk is the risk of stopping a network or a pool: high when running
// VMs use it (they lose their link or their disks at once), else medium.
func StopRisk(runningUsers int) Risk {
	if runningUsers > 0 {
		return High
	}
	return Medium
}

// Lifecycle lists the lifecycle actions in menu order.
var Lifecycle = []*Action{Start, Shutdown, Reboot, Pause, Resume, Save, ForceOff, Delete, DeleteWithStorage}

// Autostart returns the action that flips v's autostart.
func Autostart(v vm.VM) *Action {
	if v.Autostart {
		return AutostartOff
	}
	return AutostartOn
}

// ByID finds a lifecycle action by its command-line name.
func ByID(id string) (*Action, bool) {
	for _, a := range Lifecycle {
		if a.ID == id {
			return a, true
		}
	}
	return nil, false
}

// Op is a on n VMs at once, as the permission matrix sees it.
func (a *Action) Op(n int) phase.Op {
	kind := phase.VMAction
	if n > 1 {
		kind = phase.VMBulk
	}
	return phase.Op{Kind: kind, Risk: a.Risk, Irreversible: a.Irreversible}
}

// Policy is what the security phase says of a on n VMs at once (the
// permission matrix of security/phase): allowed, asked (and what), or
// refused with the reason and the way around it.
func (a *Action) Policy(p phase.Phase, n int) phase.Rule {
	return phase.Decide(p, a.Op(n), phase.Operator)
}

// RefusedIn says why phase p refuses a on n VMs, or "": the reason shown
// instead of running it, as for Unavailable.
func (a *Action) RefusedIn(p phase.Phase, n int) string {
	if r := a.Policy(p, n); r.Refused() {
		return r.Reason()
	}
	return ""
}
