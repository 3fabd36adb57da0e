package vmaction

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

// stuck is two hosts whose moves copy a tenth of the disks, then wait
// until cancelled: the move under way the operator sees and cancels.
type stuck struct {
	vm.Hypervisor
	asked chan string // ref and host of each move asked for
}

func (s stuck) Hosts() []vm.HostStatus { return vm.HostsOf(s.Hypervisor) }

func (s stuck) Migrate(ctx context.Context, ref, host string, progress func(vm.MigrationProgress)) error {
	s.asked <- ref + " to " + host
	if _, ok := vm.ConfirmationFrom(ctx); !ok {
		return errors.New("the answer did not ride with the move")
	}
	progress(vm.MigrationProgress{Stage: "disks", Done: 10 << 20, Total: 100 << 20})
	<-ctx.Done()
	return ctx.Err()
}

func TestAMoveAsksWhereShowsItsProgressAndCancels(t *testing.T) {
	hv := stuck{uitest.TwoHosts(t), make(chan string, 1)}
	c := uitest.Common(hv, 100, 20)
	mv := NewMover(c)
	billing, err := hv.Lookup(context.Background(), "billing")
	if err != nil || billing.Host != "hv2" {
		t.Fatalf("billing: %+v %v", billing, err)
	}
	if why := mv.Unavailable(billing); why != "" {
		t.Fatalf("billing cannot move: %s", why)
	}
	// Where to: the other host, in a menu.
	menu := mv.Offer(billing)().(ui.OpenDialogMsg).Dialog
	if v := uitest.Plain(menu.View()); !strings.Contains(v, "Move billing to") || !strings.Contains(v, "lab") || strings.Contains(v, "hv2") {
		t.Fatalf("the menu:\n%s", v)
	}
	// The phase asks yes or no before the VM moves.
	_, cmd := menu.Update(uitest.Key("enter"))
	confirm := cmd().(ui.OpenDialogMsg).Dialog
	if v := uitest.Plain(confirm.View()); !strings.Contains(v, "Move billing to lab?") || !strings.Contains(v, "moves live") {
		t.Fatalf("the question:\n%s", v)
	}
	_, start := confirm.Update(uitest.Key("y"))
	next, ok := mv.Update(start())
	if !ok || !mv.Moving() {
		t.Fatal("the move did not start")
	}
	if got := <-hv.asked; got != billing.Ref()+" to lab" {
		t.Errorf("asked to move %s", got)
	}
	next, _ = mv.Update(next())
	if v := uitest.Plain(mv.View()); !strings.Contains(v, "Moving billing to lab: disks 10% (10M of 100M)") || !strings.Contains(v, "esc cancels") {
		t.Errorf("the progress line: %q", v)
	}
	if mv.Unavailable(billing) == "" {
		t.Error("a second move is offered while one runs")
	}
	// esc cancels: the VM stays where it was.
	if !mv.Esc() || !strings.Contains(uitest.Plain(mv.View()), "Cancelling the move of billing") {
		t.Fatalf("esc: %q", mv.View())
	}
	done, _ := mv.Update(next())
	if mv.Moving() {
		t.Fatal("still moving after the end")
	}
	if st := done().(ui.StatusMsg); !strings.Contains(st.Text, "Move of billing cancelled: it stays on hv2") {
		t.Errorf("the end: %+v", st)
	}
	if mv.Esc() {
		t.Error("esc after the move claims to cancel something")
	}
}

func TestOneHostOffersNoMove(t *testing.T) {
	c := uitest.Common(uitest.Demo(t), 80, 20)
	mv := NewMover(c)
	v, _ := c.HV.Lookup(context.Background(), "web-01")
	if why := mv.Unavailable(v); !strings.Contains(why, "one host only") {
		t.Errorf("why: %q", why)
	}
	if st, ok := mv.Offer(v)().(ui.StatusMsg); !ok || !strings.Contains(st.Text, "Cannot move web-01") {
		t.Errorf("offer: %+v", st)
	}
}
