package vmaction

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// TestAShutdownOverBeforeItsCallReturnsIsNotChecked: a guest may be off
// (its stopped event in) before the shutdown call's answer arrives; the
// status says it is off and no force-off check is left waiting, which
// would fire on the VM once it is started again.
func TestAShutdownOverBeforeItsCallReturnsIsNotChecked(t *testing.T) {
	hv := uitest.Demo(t)
	c := uitest.Common(hv, 100, 30)
	ticks := 0
	c.Tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { ticks++; return nil }
	state := vm.StateRunning
	r := New(c, func(string) (vm.State, bool) { return state, true })
	v, err := hv.Lookup(context.Background(), "dns-01")
	if err != nil {
		t.Fatal(err)
	}
	r.Update(startedMsg{id: r.id, action: ops.Shutdown, vms: []vm.VM{v}})
	r.Update(ui.VMEventMsg{Event: vm.Event{Kind: vm.EventStopped, UUID: v.UUID, Name: v.Name}})
	cmd, _ := r.Update(doneMsg{id: r.id, action: ops.Shutdown, vm: v})
	if msg, ok := cmd().(ui.StatusMsg); !ok || msg.Text != "dns-01 shut down" {
		t.Errorf("the status should say it is off: %#v", msg)
	}
	if ticks != 0 {
		t.Error("no force-off check should wait for a VM already off")
	}
	state = vm.StateRunning // started again since
	if cmd, _ := r.Update(r.ShutdownCheck(v)); cmd != nil {
		t.Error("force off offered for a VM that stopped and was started again")
	}
}
