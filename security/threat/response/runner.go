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
	// VMPauser pauses and resumes VMs (vm.Hypervisor has both).
	VMPauser interface {
		Pause(ctx context.Context, ref string) error
		Resume(ctx context.Context, ref string) error
	}
	// Snapshotter takes and deletes snapshots for forensics (vm.Hypervisor
	// has both).
	Snapshotter interface {
		CreateSnapshot(ctx context.Context, ref string, spec vm.SnapshotSpec) (vm.Snapshot, error)
		DeleteSnapshot(ctx context.Context, ref, name string) error
	}
	// LinkSetter sets the link state of every NIC of a VM. vm.Hypervisor
	// has no such call yet: a backend that grows one is used as is.
	LinkSetter interface {
		SetLinks(ctx context.Context, ref string, up bool) error
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

// Responder is what a Runner acts with.
type Responder struct {
	VMs       VMPauser
	Snapshots Snapshotter
	Links     LinkSetter
	Firewall  Blocker
	Notify    Notifier
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
			r.cool(pb, pb.Target(&f))
			return r.run(ctx, pb, f, true, actor)
		}
	}
	return store.Action{}, fmt.Errorf("no playbook %q", id)
}

// For lists the playbooks that can act on f, for the dashboard.
func (r *Runner) For(f threat.Finding) []Playbook {
	var out []Playbook
	for _, pb := range r.Playbooks {
		if pb.Target(&f) != "" {
			out = append(out, pb)
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
		if err != nil {
			a.Result = err.Error()
		} else {
			a.Result = "ok"
			if u != nil {
				b, _ := json.Marshal(u)
				a.Undo = string(b)
			}
		}
	}
	if actor == "" {
		actor = r.Actor
	}
	r.record(ctx, &a, actor, a.Mode)
	return a, err
}

func (r *Runner) act(ctx context.Context, pb *Playbook, f threat.Finding, target string) (*undo, error) {
	switch pb.Action {
	case BlockIP:
		if r.Do.Firewall == nil {
			return nil, errors.New("blocking is not available here")
		}
		addr, err := netip.ParseAddr(target)
		if err != nil {
			return nil, err
		}
		return &undo{Do: "unblock-ip", Target: target}, r.Do.Firewall.Block(ctx, addr, pb.duration)
	case PauseVM:
		if r.Do.VMs == nil {
			return nil, errors.New("pausing VMs is not available here")
		}
		return &undo{Do: "resume-vm", Target: target}, r.Do.VMs.Pause(ctx, target)
	case SnapshotVM:
		if r.Do.Snapshots == nil {
			return nil, errors.New("snapshots are not available to the threat monitor yet")
		}
		spec := vm.SnapshotSpec{Name: "forensics-" + r.now().UTC().Format("20060102-150405"), Memory: true,
			Description: fmt.Sprintf("hv threat response: %s (finding %d)", f.Title, f.ID)}
		_, err := r.Do.Snapshots.CreateSnapshot(ctx, target, spec)
		if err != nil { // memory snapshots fail on some VMs (UEFI on older libvirt): keep the disks at least
			spec.Memory, spec.DiskOnly = false, true
			_, err = r.Do.Snapshots.CreateSnapshot(ctx, target, spec)
		}
		return &undo{Do: "delete-snapshot", Target: target, Name: spec.Name}, err
	case IsolateVM:
		if r.Do.Links == nil {
			return nil, errors.New("setting NIC links is not available to the threat monitor yet")
		}
		return &undo{Do: "links-up", Target: target}, r.Do.Links.SetLinks(ctx, target, false)
	case Notify:
		if r.Do.Notify == nil {
			return nil, errors.New("no notifier configured")
		}
		return nil, r.Do.Notify.Notify(ctx, f)
	}
	return nil, fmt.Errorf("unknown action %q", pb.Action)
}

// Undo reverses an enforced action.
func (r *Runner) Undo(ctx context.Context, a store.Action, actor string) error {
	if a.Undone {
		return errors.New("already undone")
	}
	if a.Mode != "enforce" || a.Undo == "" || a.Result != "ok" {
		return errors.New("nothing to undo: the action was not carried out")
	}
	var u undo
	if err := json.Unmarshal([]byte(a.Undo), &u); err != nil {
		return fmt.Errorf("cannot read how to undo action %d: %w", a.ID, err)
	}
	var err error
	switch u.Do {
	case "unblock-ip":
		var addr netip.Addr
		if addr, err = netip.ParseAddr(u.Target); err == nil {
			if r.Do.Firewall == nil {
				err = errors.New("blocking is not available here")
			} else {
				err = r.Do.Firewall.Unblock(ctx, addr)
			}
		}
	case "resume-vm":
		if r.Do.VMs == nil {
			err = errors.New("resuming VMs is not available here")
		} else {
			err = r.Do.VMs.Resume(ctx, u.Target)
		}
	case "delete-snapshot":
		if r.Do.Snapshots == nil {
			err = errors.New("snapshots are not available here")
		} else {
			err = r.Do.Snapshots.DeleteSnapshot(ctx, u.Target, u.Name)
		}
	case "links-up":
		if r.Do.Links == nil {
			err = errors.New("setting NIC links is not available here")
		} else {
			err = r.Do.Links.SetLinks(ctx, u.Target, true)
		}
	default:
		err = fmt.Errorf("unknown undo %q", u.Do)
	}
	res := store.Action{Time: r.now(), Finding: a.Finding, Playbook: a.Playbook, Action: u.Do, Target: u.Target, Mode: "undo", Result: "ok"}
	if err != nil {
		res.Result = err.Error()
	}
	r.record(ctx, &res, actor, "undo")
	if err == nil && r.Store != nil {
		err = r.Store.MarkUndone(ctx, a.ID)
	}
	return err
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
