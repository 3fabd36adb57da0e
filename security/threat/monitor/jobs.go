package monitor

import (
	"context"
	"time"

	"github.com/hyper-nixos/hv/security/threat/source"
	"github.com/hyper-nixos/hv/vm"
)

// jobs recognises the routine job behind libvirt events that would
// otherwise read as threats. libvirt saves a VM by migrating it to a file
// (migration iterations, "suspended: migrating", then "stopped: saved"),
// and restores one with "started: restored" followed by "resumed: from
// snapshot". So migration events are held until the VM's job shows what
// it was: stopped saved, they were a save and are dropped; stopped
// migrated or resumed, they were a migration and are passed on; nothing
// within holdMigration, they are passed on. A "from snapshot" event
// within restoreWindow of a restore is the restore's own.
type jobs struct {
	held     map[string]*heldJob // by VM UUID
	restored map[string]time.Time
}

type heldJob struct {
	events []vm.Event
	since  time.Time
}

const (
	holdMigration = 2 * time.Minute
	restoreWindow = 30 * time.Second
	heldMax       = 64 // events held per VM; a longer job passes them on
)

func newJobs() *jobs { return &jobs{held: map[string]*heldJob{}, restored: map[string]time.Time{}} }

// migrating reports whether e is part of a migration, to a host or a file.
func migrating(e vm.Event) bool {
	return e.Kind == vm.EventMigration || e.Kind == vm.EventSuspended && e.Detail == "migrating"
}

// add takes one event at now and returns the events to pass on.
func (j *jobs) add(e vm.Event, now time.Time) []vm.Event {
	h := j.held[e.UUID]
	switch {
	case migrating(e):
		if h == nil {
			h = &heldJob{since: now}
			j.held[e.UUID] = h
		}
		if len(h.events) < heldMax {
			h.events = append(h.events, e)
			return nil
		}
		out := append(h.events, e)
		delete(j.held, e.UUID)
		return out
	case e.Kind == vm.EventStopped && e.Detail == "saved":
		delete(j.held, e.UUID) // a save: its migration was to a file
		return []vm.Event{e}
	case e.Kind == vm.EventStarted && e.Detail == "restored":
		j.restored[e.UUID] = now
		return []vm.Event{e}
	case e.Detail == "from snapshot" && now.Sub(j.restored[e.UUID]) < restoreWindow:
		e.Detail = "restored" // the restore resuming its CPUs, not a revert
		return []vm.Event{e}
	}
	if h != nil && (e.Kind == vm.EventStopped || e.Kind == vm.EventResumed || e.Kind == vm.EventUndefined) {
		delete(j.held, e.UUID) // the job ended otherwise: it was a migration
		return append(h.events, e)
	}
	return []vm.Event{e}
}

// expire passes on what was held too long, and forgets old restores.
func (j *jobs) expire(now time.Time) []vm.Event {
	var out []vm.Event
	for id, h := range j.held {
		if now.Sub(h.since) >= holdMigration {
			out = append(out, h.events...)
			delete(j.held, id)
		}
	}
	for id, t := range j.restored {
		if now.Sub(t) >= restoreWindow {
			delete(j.restored, id)
		}
	}
	return out
}

// eventSource passes hypervisor events to the monitor's loop, through
// jobs. In the TUI the root app owns the backend's event channel and
// hands every event to the feed (Feed.Event), whichever screen is open.
type eventSource struct {
	ch  chan vm.Event
	now func() time.Time
}

func newEventSource(now func() time.Time) *eventSource {
	return &eventSource{ch: make(chan vm.Event, 256), now: now}
}

func (s *eventSource) Run(ctx context.Context, out chan<- source.Item) error {
	j := newJobs()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	send := func(es []vm.Event) bool {
		for _, e := range es {
			r := source.EventRecord(e)
			select {
			case out <- source.Item{Record: &r, Source: "libvirt"}:
			case <-ctx.Done():
				return false
			}
		}
		return true
	}
	for {
		var pass []vm.Event
		select {
		case <-ctx.Done():
			return nil
		case e := <-s.ch:
			pass = j.add(e, s.now())
		case <-tick.C:
			pass = j.expire(s.now())
		}
		if !send(pass) {
			return nil
		}
	}
}

// push hands an event over without blocking the caller (the UI): past
// 256 waiting events, newer ones are dropped.
func (s *eventSource) push(e vm.Event) {
	select {
	case s.ch <- e:
	default:
	}
}
