package ops

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/demo"
)

func TestRiskDecidesTheConfirmation(t *testing.T) {
	for _, tt := range []struct {
		a    *Action
		want phase.Question
	}{
		{Pause, phase.NoQuestion}, {Start, phase.NoQuestion}, {Shutdown, phase.YesNo}, {Reboot, phase.YesNo},
		{ForceOff, phase.YesNo}, {Delete, phase.TypeName},
	} {
		if got := tt.a.Policy(phase.Setup, 1).Ask; got != tt.want {
			t.Errorf("%s (%s risk) asks %v, want %v", tt.a.ID, tt.a.Risk, got, tt.want)
		}
	}
	for _, a := range Lifecycle {
		prompted := a.Policy(phase.Setup, 1).Typed != phase.NoQuestion
		if want := a == ForceOff || a == Delete || a == DeleteWithStorage; prompted != want {
			t.Errorf("the CLI prompts for %s: %v, want %v", a.ID, prompted, want)
		}
	}
	if Pause.Risk != Low || ForceOff.Risk != High {
		t.Error("the issue fixes pause as low risk and force off as high")
	}
}

func TestUnavailableSaysWhy(t *testing.T) {
	off := vm.VM{Name: "web-01", State: vm.StateShutOff, Persistent: true}
	on := vm.VM{Name: "web-01", State: vm.StateRunning, Persistent: true}
	if why := Pause.Unavailable(off, vm.ReadWrite); why != "web-01 is shut off: start it first" {
		t.Errorf("pause of a shut-off VM: %q", why)
	}
	if why := Pause.Unavailable(on, vm.ReadWrite); why != "" {
		t.Errorf("pause of a running VM should be available: %q", why)
	}
	if why := Start.Unavailable(off, vm.ReadOnly); why != "read-only access: ask an administrator to add you to the operators group" {
		t.Errorf("read-only access: %q", why)
	}
	if why := Start.Unavailable(off, vm.ReadOnlyAsked); why != "read-only access: hv was started with --read-only; start it without to make changes" {
		t.Errorf("read-only access asked for: %q", why)
	}
	if why := Delete.Unavailable(on, vm.ReadWrite); why != "web-01 is running: shut it down first" {
		t.Errorf("delete of a running VM: %q", why)
	}
}

func TestBulkReportsEveryVM(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h, err := demo.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	all, err := h.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var reported int
	results := Bulk(ctx, h, Pause, all, func(Result) { reported++ })
	if reported != len(all) || len(results) != len(all) {
		t.Fatalf("reported %d, returned %d, for %d VMs", reported, len(results), len(all))
	}
	paused, skipped := 0, 0
	for i, r := range results {
		if r.VM.UUID != all[i].UUID {
			t.Fatal("results are not in the order given")
		}
		switch {
		case r.OK():
			paused++
		case r.Skipped != "":
			skipped++
		case r.Err != nil:
			t.Errorf("%s: %v", r.VM.Name, r.Err)
		}
	}
	if paused != 9 || skipped != 5 {
		t.Errorf("paused %d (want the 9 running), skipped %d (want 5: 2 paused, 3 off)", paused, skipped)
	}
	after, _ := h.List(ctx)
	for _, v := range after {
		if v.State == vm.StateRunning {
			t.Errorf("%s still runs", v.Name)
		}
	}
	if err := Start.Run(ctx, h, vm.VM{UUID: "00000000-0000-0000-0000-000000000000"}); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("an unknown VM: %v", err)
	}
}

func TestTransientVMsCannotBeDeletedOrAutostarted(t *testing.T) {
	v := vm.VM{Name: "tmp", State: vm.StateShutOff}
	for _, a := range []*Action{Delete, AutostartOn} {
		if why := a.Unavailable(v, vm.ReadWrite); !strings.Contains(why, "transient") {
			t.Errorf("%s of a transient VM: %q", a.ID, why)
		}
	}
}

// TestThePhaseDecidesPerAction: the hardened phase refuses deleting a VM
// with its disks, and high-risk actions on several VMs at once.
func TestThePhaseDecidesPerAction(t *testing.T) {
	for _, tt := range []struct {
		a            *Action
		n            int
		setup, hard  bool // refused?
		hardWhyMatch string
	}{
		{Start, 5, false, false, ""},
		{Shutdown, 5, false, false, ""},
		{ForceOff, 1, false, false, ""},
		{ForceOff, 3, false, true, "one VM at a time"},
		{Delete, 1, false, false, ""},
		{DeleteWithStorage, 1, false, true, "delete the VM (its disks stay)"},
	} {
		s, h := tt.a.RefusedIn(phase.Setup, tt.n), tt.a.RefusedIn(phase.Hardened, tt.n)
		if (s != "") != tt.setup || (h != "") != tt.hard || !strings.Contains(h, tt.hardWhyMatch) {
			t.Errorf("%s on %d VMs: setup %q, hardened %q", tt.a.ID, tt.n, s, h)
		}
	}
}
