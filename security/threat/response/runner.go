package response

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/store"
	"github.com/hyper-nixos/hv/vm"
)

// The narrow capabilities playbooks need. Each is optional: a Responder
// without one says why the action is unavailable instead of failing late.
type (
	// VMActor pauses, resumes and cuts the links of VMs, and takes and
	// deletes snapshots (vm.Hypervisor does all, as does the daemon's
	// client that stands for it).
	VMActor interface {
		Pause(ctx context.Context, ref string) error
		Resume(ctx context.Context, ref string) error
		SetLinks(ctx context.Context, ref string, up bool) error
		CreateSnapshot(ctx context.Context, ref string, spec vm.SnapshotSpec) (vm.Snapshot, error)
		DeleteSnapshot(ctx context.Context, ref, name string) error
	}
	// Blocker drops traffic from an address for a while.
	Blocker interface {
		Block(ctx context.Context, addr netip.Addr, d time.Duration) error
		Unblock(ctx context.Context, addr netip.Addr) error
	}
	// Notifier tells someone about a finding.
	Notifier interface {
		Notify(ctx context.Context, f threat.Finding) error
	}
)

// Responder is what a Runner acts with. A nil capability makes its
// actions unavailable, for the reason given (or a general one).
type Responder struct {
	VMs      VMActor
	Firewall Blocker
	Notify   Notifier

	// NoVMs and NoFirewall say why VMs or the firewall cannot be acted
	// on here (read-only libvirt access; not root).
	NoVMs, NoFirewall string
}

// ErrUnavailable says an action cannot be carried out here at all.
var ErrUnavailable = errors.New("unavailable")

// Unavailable says why action (a playbook's, or an undo's) cannot run
// with this responder, or "". A hypervisor that knows what its user is
// granted (the hv daemon's client) is asked about the change itself.
func (d *Responder) Unavailable(action string) string {
	switch action {
	case BlockIP, unblockIP:
		if d.Firewall == nil {
			return or(d.NoFirewall, "blocking addresses needs root and nftables: only the monitor service blocks, when blocking is on (hyperNixos.threatMonitor.blocking)")
		}
	case PauseVM, SnapshotVM, IsolateVM, resumeVM, deleteSnapshot, linksUp:
		if d.VMs == nil {
			return or(d.NoVMs, "no connection to libvirt here")
		}
		if p, ok := d.VMs.(vm.Permitter); ok {
			return p.Permitted(Route(action))
		}
	case Notify:
		if d.Notify == nil {
			return "nowhere to notify: no journald here, and no notify command or webhook in " + DefaultFile
		}
	}
	return ""
}

// What undoing an action does.
const (
	unblockIP      = "unblock-ip"
	resumeVM       = "resume-vm"
	deleteSnapshot = "delete-snapshot"
	linksUp        = "links-up"
)

// Route is the hv API route (vm/api) that carries out a VM action or its
// undo: the permission matrix and the hv daemon know a change by it. ""
// for what no route does (the firewall, notifying).
func Route(action string) string { return routes[action] }

var routes = map[string]string{PauseVM: "vm.pause", IsolateVM: "vm.links", SnapshotVM: "vm.snapshot.create",
	resumeVM: "vm.resume", linksUp: "vm.links", deleteSnapshot: "vm.snapshot.delete"}

// UndoStep is what undoing a does, for the question asked first: the
// undo's action (its Route), what it names (the snapshot, for a forensic
// snapshot's deletion), and what it does, in words.
func UndoStep(a store.Action) (action, name, does string, err error) {
	var u undo
	if err := json.Unmarshal([]byte(a.Undo), &u); err != nil {
		return "", "", "", fmt.Errorf("cannot read how to undo action %d: %w", a.ID, err)
	}
	switch u.Do {
	case unblockIP:
		does = "lifts the block on " + u.Target
	case resumeVM:
		does = "resumes " + u.Target
	case linksUp:
		does = "brings " + u.Target + "'s network links back up"
	case deleteSnapshot:
		does = "deletes the forensic snapshot " + u.Name + " of " + u.Target
	default:
		return "", "", "", fmt.Errorf("unknown undo %q", u.Do)
	}
	return u.Do, u.Name, does, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ActionStore keeps actions (store.Store implements it).
type ActionStore interface {
	AddAction(ctx context.Context, a *store.Action) error
	MarkUndone(ctx context.Context, id int64) error
}

// Runner applies playbooks to findings.
type Runner struct {
	Playbooks []Playbook
	Do        Responder
	Audit     Auditor
	Store     ActionStore // may be nil
	Actor     string
	Now       func() time.Time

	mu   sync.Mutex
	last map[string]time.Time // playbook + target -> last action
}

// Handle runs every playbook f triggers, respecting cooldowns, and returns
// what was done (or, monitor-only, would have been).
func (r *Runner) Handle(ctx context.Context, f threat.Finding) []store.Action {
	var out []store.Action
	for i := range r.Playbooks {
		pb := &r.Playbooks[i]
		if !pb.Matches(&f) || !r.cool(pb, pb.Target(&f)) {
			continue
		}
		a, _ := r.run(ctx, pb, f, pb.Enabled, "")
		out = append(out, a)
	}
	return out
}

// RunNow runs a playbook on a finding at an operator's request (after the
// dashboard's confirmation): it acts even when the playbook is
// monitor-only, and ignores the cooldown.
func (r *Runner) RunNow(ctx context.Context, id string, f threat.Finding, actor string) (store.Action, error) {
	for i := range r.Playbooks {
		if pb := &r.Playbooks[i]; pb.ID == id {
			if pb.Target(&f) == "" {
				return store.Action{}, fmt.Errorf("playbook %q needs a finding with %s", id, needs(pb.Action))
			}
			if why := r.Do.Unavailable(pb.Action); why != "" {
				return store.Action{Playbook: pb.ID, Action: pb.Action, Target: pb.Target(&f)}, fmt.Errorf("%w: %s", ErrUnavailable, why)
			}
			r.cool(pb, pb.Target(&f))
			return r.run(ctx, pb, f, true, actor)
		}
	}
	return store.Action{}, fmt.Errorf("no playbook %q", id)
}

// Option is a playbook that applies to a finding, and why it cannot run
// here, if it cannot.
type Option struct {
	Playbook
	Unavailable string
}

// For lists the playbooks that apply to f (it has their target), each
// with why it cannot run here when it cannot: the dashboard shows those
// with the reason rather than failing after the key press.
func (r *Runner) For(f threat.Finding) []Option {
	var out []Option
	for _, pb := range r.Playbooks {
		if pb.Target(&f) != "" {
			out = append(out, Option{Playbook: pb, Unavailable: r.Do.Unavailable(pb.Action)})
		}
	}
	return out
}

func needs(action string) string {
	if action == BlockIP {
		return "a source address"
	}
	return "a VM"
}

// cool reports whether the playbook may act on target now, and if so
// starts its cooldown.
func (r *Runner) cool(pb *Playbook, target string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]time.Time{}
	}
	k := pb.ID + "\x00" + target
	now := r.now()
	if t, ok := r.last[k]; ok && now.Sub(t) < pb.cooldown {
		return false
	}
	r.last[k] = now
	return true
}

// Restore starts the cooldowns that stored actions left running, after a
// restart: a storm that spans the restart still acts once.
func (r *Runner) Restore(actions []store.Action) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]time.Time{}
	}
	for _, a := range actions {
		if a.Mode == "undo" || a.Playbook == "" {
			continue
		}
		k := a.Playbook + "\x00" + a.Target
		if a.Time.After(r.last[k]) {
			r.last[k] = a.Time
		}
	}
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// undo describes how to reverse an action; stored as JSON with it.
type undo struct {
	Do     string `json:"do"`
	Target string `json:"target"`
	Name   string `json:"name,omitempty"`
}

func (r *Runner) run(ctx context.Context, pb *Playbook, f threat.Finding, enforce bool, actor string) (store.Action, error) {
	target := pb.Target(&f)
	a := store.Action{Time: r.now(), Finding: f.ID, Playbook: pb.ID, Action: pb.Action, Target: target, Mode: "monitor", Result: "would " + pb.Action}
	var err error
	if enforce {
		a.Mode = "enforce"
		var u *undo
		u, err = r.act(ctx, pb, f, target)
		switch {
		case errors.Is(err, ErrPartly): // a notification that reached some of its places
			a.Result, err = "ok; "+err.Error(), nil
		case err != nil:
			a.Result = err.Error()
		default:
			a.Result = "ok"
		}
		if err == nil && u != nil {
			b, _ := json.Marshal(u)
			a.Undo = string(b)
		}
	}
	if actor == "" {
		actor = r.Actor
	}
	r.record(ctx, &a, actor, a.Mode)
	return a, err
}

func (r *Runner) act(ctx context.Context, pb *Playbook, f threat.Finding, target string) (*undo, error) {
	if why := r.Do.Unavailable(pb.Action); why != "" {
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, why)
	}
	switch pb.Action {
	case BlockIP:
		addr, err := netip.ParseAddr(target)
		if err != nil {
			return nil, err
		}
		return &undo{Do: unblockIP, Target: target}, r.Do.Firewall.Block(ctx, addr, pb.duration)
	case PauseVM:
		return &undo{Do: resumeVM, Target: target}, r.Do.VMs.Pause(ctx, target)
	case SnapshotVM:
		spec := vm.SnapshotSpec{Name: "forensics-" + r.now().UTC().Format("20060102-150405"), Memory: true,
			Description: fmt.Sprintf("hv threat response: %s (finding %d)", f.Title, f.ID)}
		_, err := r.Do.VMs.CreateSnapshot(ctx, target, spec)
		if err != nil { // memory snapshots fail on some VMs (UEFI on older libvirt): keep the disks at least
			spec.Memory, spec.DiskOnly = false, true
			_, err = r.Do.VMs.CreateSnapshot(ctx, target, spec)
		}
		return &undo{Do: deleteSnapshot, Target: target, Name: spec.Name}, err
	case IsolateVM:
		return &undo{Do: linksUp, Target: target}, r.Do.VMs.SetLinks(ctx, target, false)
	case Notify:
		return nil, r.Do.Notify.Notify(ctx, f)
	}
	return nil, fmt.Errorf("unknown action %q", pb.Action)
}

// Undoable reports whether a can be undone: carried out, with a way back,
// and not undone yet.
func Undoable(a store.Action) bool {
	return a.Mode == "enforce" && a.Undo != "" && a.Result == "ok" && !a.Undone
}

// Undo reverses an enforced action, audits it and marks it undone.
func (r *Runner) Undo(ctx context.Context, a store.Action, actor string) error {
	if a.Undone {
		return fmt.Errorf("action %d is already undone", a.ID)
	}
	if !Undoable(a) {
		return fmt.Errorf("action %d has nothing to undo: it was not carried out, or cannot be reversed (%s)", a.ID, a.Action)
	}
	var u undo
	if err := json.Unmarshal([]byte(a.Undo), &u); err != nil {
		return fmt.Errorf("cannot read how to undo action %d: %w", a.ID, err)
	}
	err := r.reverse(ctx, u)
	res := store.Action{Time: r.now(), Finding: a.Finding, Playbook: a.Playbook, Action: u.Do, Target: u.Target, Mode: "undo", Result: "ok"}
	if err != nil {
		res.Result = err.Error()
	}
	r.record(ctx, &res, actor, "undo")
	if err == nil && r.Store != nil && a.ID > 0 {
		err = r.Store.MarkUndone(ctx, a.ID)
	}
	return err
}

func (r *Runner) reverse(ctx context.Context, u undo) error {
	if Route(u.Do) == "" && u.Do != unblockIP {
		return fmt.Errorf("unknown undo %q", u.Do)
	}
	if why := r.Do.Unavailable(u.Do); why != "" {
		return fmt.Errorf("%w: %s", ErrUnavailable, why)
	}
	switch u.Do {
	case unblockIP:
		addr, err := netip.ParseAddr(u.Target)
		if err != nil {
			return err
		}
		return r.Do.Firewall.Unblock(ctx, addr)
	case resumeVM:
		return r.Do.VMs.Resume(ctx, u.Target)
	case deleteSnapshot:
		return r.Do.VMs.DeleteSnapshot(ctx, u.Target, u.Name)
	default: // links-up
		return r.Do.VMs.SetLinks(ctx, u.Target, true)
	}
}

// record audits and stores an action. An audit failure is reported in the
// action's result: the action stands, and nobody may think it unrecorded.
func (r *Runner) record(ctx context.Context, a *store.Action, actor, mode string) {
	if r.Audit != nil {
		err := r.Audit.Record(ctx, AuditEntry{Time: a.Time, Actor: actor, Action: a.Action, Target: a.Target,
			Playbook: a.Playbook, Finding: a.Finding, Mode: mode, Result: a.Result})
		if err != nil {
			a.Result += " (audit failed: " + err.Error() + ")"
		}
	}
	if r.Store != nil {
		_ = r.Store.AddAction(ctx, a)
	}
}
