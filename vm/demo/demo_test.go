package demo

import (
	"context"
	"testing"

	"github.com/hyper-nixos/hv/vm"
)

func TestDemoHostIsVaried(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	vms, err := b.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vms) < 10 {
		t.Errorf("the demo host has %d VMs, want about a dozen", len(vms))
	}
	count := map[vm.State]int{}
	autostart := 0
	for _, v := range vms {
		count[v.State]++
		if v.Autostart {
			autostart++
		}
	}
	for _, s := range []vm.State{vm.StateRunning, vm.StatePaused, vm.StateShutOff} {
		if count[s] == 0 {
			t.Errorf("the demo host has no %s VM", s)
		}
	}
	if autostart == 0 || autostart == len(vms) {
		t.Errorf("%d of %d demo VMs autostart, want some but not all", autostart, len(vms))
	}
}
