package monitor

import (
	"testing"
	"time"

	"github.com/hyper-nixos/hv/vm"
)

func ev(kind vm.EventKind, detail string) vm.Event {
	return vm.Event{Kind: kind, Detail: detail, UUID: "u1", Name: "web-01"}
}

func kinds(es []vm.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Kind.String()+":"+e.Detail)
	}
	return out
}

// A save is a migration to a file: its migration events never come out;
// a real migration's do, once it ends or after a while; a restore's
// "from snapshot" is the restore's own.
func TestJobsRecogniseSaveAndRestore(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	j := newJobs()
	var out []vm.Event
	for _, e := range []vm.Event{ev(vm.EventMigration, "iteration 1"), ev(vm.EventSuspended, "migrating"), ev(vm.EventMigration, "iteration 2"), ev(vm.EventStopped, "saved")} {
		out = append(out, j.add(e, now)...)
	}
	if got := kinds(out); len(got) != 1 || got[0] != "stopped:saved" {
		t.Errorf("a save passed on %v", got)
	}
	out = nil
	for _, e := range []vm.Event{ev(vm.EventStarted, "restored"), ev(vm.EventResumed, "from snapshot")} {
		out = append(out, j.add(e, now.Add(time.Second))...)
	}
	if got := kinds(out); len(got) != 2 || got[1] != "resumed:restored" {
		t.Errorf("a restore passed on %v", got)
	}
	if got := kinds(j.add(ev(vm.EventStarted, "from snapshot"), now.Add(time.Hour))); got[0] != "started:from snapshot" {
		t.Errorf("a revert long after a restore is a revert: %v", got)
	}

	out = nil
	for _, e := range []vm.Event{ev(vm.EventMigration, "iteration 1"), ev(vm.EventSuspended, "migrating"), ev(vm.EventStopped, "migrated")} {
		out = append(out, j.add(e, now)...)
	}
	if got := kinds(out); len(got) != 3 {
		t.Errorf("a migration passed on %v", got)
	}
	if got := j.add(ev(vm.EventMigration, "iteration 1"), now); len(got) != 0 {
		t.Fatalf("held: %v", got)
	}
	if got := j.expire(now.Add(time.Minute)); len(got) != 0 {
		t.Errorf("released early: %v", got)
	}
	if got := kinds(j.expire(now.Add(holdMigration))); len(got) != 1 || got[0] != "migration:iteration 1" {
		t.Errorf("a migration with no end is passed on after %v: %v", holdMigration, got)
	}
}
