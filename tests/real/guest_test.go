package real

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/vmtest"
)

// guestISO is the tiny bootable guest built by tests/real/guest/build.sh.
func guestISO(t *testing.T) string {
	t.Helper()
	iso := os.Getenv("HV_REAL_GUEST_ISO")
	if iso == "" {
		need.Missing(t, "no tiny guest (HV_REAL_GUEST_ISO): ./tests/run builds it with tests/real/guest/build.sh")
	}
	return iso
}

// console output read so far, and a way to wait for more.
type screen struct {
	con vm.Console
	out strings.Builder
}

func (s *screen) waitFor(t *testing.T, text string, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for !strings.Contains(s.out.String(), text) {
		select {
		case data := <-s.con.Output():
			s.out.Write(data)
		case <-s.con.Done():
			t.Fatalf("the console ended (%v) before %q; it showed:\n%s", s.con.Err(), text, s.out.String())
		case <-timeout:
			t.Fatalf("no %q on the console within %v; it showed:\n%s", text, d, s.out.String())
		}
	}
}

// TestTinyGuest boots a real guest and drives it the way an operator
// would: console output and input, pause and resume, a clean ACPI shutdown.
// TestTinyGuestAsOperator runs it again as the operator.
func TestTinyGuest(t *testing.T) {
	e := realEnv(t)
	iso := os.Getenv("HV_REAL_GUEST_MEDIA") // POOL/VOLUME, when re-run as the operator
	if iso == "" {
		need.Root(t, "to put the guest's ISO in a pool")
		_, iso = flowPool(t, e)
	}
	isoRef, _ := vm.ParseVolumeRef(iso)
	b := vmtest.Answering(connect(t, e))
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	name := fmt.Sprintf("hvtest-guest-%08x", rand.Uint32())
	v, err := b.Define(ctx, vm.Spec{Name: name, VCPUs: 1, MemoryMiB: 128, ISO: isoRef})
	if err != nil {
		t.Fatalf("Define: %v", err)
	}
	defer func() {
		b.Destroy(context.Background(), v.UUID)
		if err := b.Undefine(context.Background(), v.UUID); err != nil {
			t.Errorf("Undefine: %v", err)
		}
	}()
	if err := b.Start(ctx, v.UUID); err != nil {
		t.Fatalf("Start: %v", err)
	}
	con, err := b.OpenConsole(ctx, v.UUID)
	if err != nil {
		t.Fatalf("OpenConsole: %v", err)
	}
	defer con.Close()
	s := &screen{con: con}
	s.waitFor(t, "HV-TINY-GUEST READY", 90*time.Second)
	if _, err := con.Write([]byte("echo hv-$((6*7))\r")); err != nil {
		t.Fatalf("typing on the console: %v", err)
	}
	s.waitFor(t, "hv-42", 30*time.Second)

	for _, step := range []struct {
		do   func(context.Context, string) error
		kind vm.EventKind
	}{{b.Pause, vm.EventSuspended}, {b.Resume, vm.EventResumed}} {
		if err := step.do(ctx, v.UUID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b, 30*time.Second, step.kind.String(), func(ev vm.Event) bool { return ev.UUID == v.UUID && ev.Kind == step.kind })
	}

	// The power button: the guest powers itself off, and libvirt says so.
	if err := b.Shutdown(ctx, v.UUID); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	waitFor(t, b, 60*time.Second, "stopped event after ACPI shutdown", func(ev vm.Event) bool {
		return ev.UUID == v.UUID && ev.Kind == vm.EventStopped && ev.Detail == "shut down"
	})
}

func TestTinyGuestAsOperator(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to put the guest's ISO in a pool and switch to the operator")
	_, iso := flowPool(t, e)
	out, err := runAs(t, e.operator, "^TestTinyGuest$", []string{"HV_REAL_GUEST_MEDIA=" + iso})
	t.Logf("as %s:\n%s", e.operator, out)
	if err != nil {
		t.Fatalf("the tiny guest failed as the operator %s: %v", e.operator, err)
	}
}

// TestIsolateARunningVM cuts a running VM's links (the threat playbook's
// isolation) and restores them, on a real QEMU.
func TestIsolateARunningVM(t *testing.T) {
	e := realEnv(t)
	b := open(t, e.uri)
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	netName := fmt.Sprintf("hvtest-iso-%08x", rand.Uint32())
	if _, err := b.DefineNetwork(ctx, vm.NetworkSpec{Name: netName, Mode: "isolated"}); err != nil {
		t.Fatalf("DefineNetwork: %v", err)
	}
	defer b.UndefineNetwork(context.Background(), netName)
	if err := b.StartNetwork(ctx, netName); err != nil {
		t.Fatalf("StartNetwork: %v", err)
	}
	defer b.StopNetwork(context.Background(), netName)
	v, err := b.Define(ctx, vm.Spec{Name: netName, VCPUs: 1, MemoryMiB: 64, Network: netName})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Undefine(context.Background(), v.UUID)
	defer b.Destroy(context.Background(), v.UUID)
	if err := b.SetLinks(ctx, v.UUID, false); !errors.Is(err, vm.ErrInvalidState) {
		t.Errorf("SetLinks on a shut-off VM: %v, want wrong state", err)
	}
	if err := b.Start(ctx, v.UUID); err != nil {
		t.Fatal(err)
	}
	statsAgreeWithVirsh(t, e, b, v, vm.HasCPU|vm.HasMemory|vm.HasNet)
	linkDown := func() bool {
		d, err := b.Details(ctx, v.UUID)
		if err != nil || len(d.NICs) != 1 {
			t.Fatalf("details: %+v, %v", d, err)
		}
		return d.NICs[0].LinkDown
	}
	if err := b.SetLinks(ctx, v.UUID, false); err != nil || !linkDown() {
		t.Fatalf("isolating: %v, link down %v", err, linkDown())
	}
	if err := b.SetLinks(ctx, v.UUID, true); err != nil || linkDown() {
		t.Fatalf("restoring: %v, link down %v", err, linkDown())
	}
}

// statsAgreeWithVirsh pauses v, so that its counters stand still, and
// checks hv's reading of them (vm/libvirt walks libvirt's records itself)
// against what virsh domstats prints; then it resumes v. virsh must show
// the counters in has.
func statsAgreeWithVirsh(t *testing.T, e env, b vm.Hypervisor, v vm.VM, has vm.Fields) {
	t.Helper()
	ctx := context.Background()
	if err := b.Pause(ctx, v.UUID); err != nil {
		t.Fatalf("Pause: %v", err)
	}
	defer b.Resume(ctx, v.UUID)
	samples, err := b.Stats(ctx)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	var got vm.Sample
	for _, s := range samples {
		if s.UUID == v.UUID {
			got = s
		}
	}
	out, err := virsh(e.uri, "", "domstats", "--state", "--cpu-total", "--balloon", "--vcpu", "--interface", "--block", v.UUID)
	if err != nil {
		t.Fatalf("virsh domstats: %v\n%s", err, out)
	}
	want := vm.Sample{UUID: v.UUID, State: vm.StatePaused, At: got.At}
	for _, line := range strings.Split(out, "\n") {
		k, val, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		var n uint64
		fmt.Sscan(val, &n)
		parts := strings.Split(k, ".")
		switch last := strings.Join(parts[min(2, len(parts)-1):], "."); {
		case k == "cpu.time":
			want.Has |= vm.HasCPU
			want.CPUTimeNs = n
		case k == "balloon.current":
			want.Has |= vm.HasMemory
			want.MemoryKiB = n
		case k == "balloon.maximum":
			want.MemoryMaxKiB = n
		case parts[0] == "vcpu" && len(parts) == 3 && last == "state" && n != 0:
			want.VCPUs++
		case parts[0] == "block" && last == "rd.bytes":
			want.Has |= vm.HasDisk
			want.DiskReadBytes += n
		case parts[0] == "block" && last == "wr.bytes":
			want.Has |= vm.HasDisk
			want.DiskWriteBytes += n
		case parts[0] == "net" && last == "rx.bytes":
			want.Has |= vm.HasNet
			want.NetRxBytes += n
		case parts[0] == "net" && last == "tx.bytes":
			want.Has |= vm.HasNet
			want.NetTxBytes += n
		case parts[0] == "net" && last == "rx.pkts":
			want.NetRxPackets += n
		case parts[0] == "net" && last == "tx.pkts":
			want.NetTxPackets += n
		}
	}
	if want.Has&has != has {
		t.Errorf("virsh shows the VM's counters %04b, not all of %04b: the check proves little\n%s", want.Has, has, out)
	}
	// The emulator's threads still run while the guest is paused: its CPU
	// time may have grown a little between the two readings.
	if d := int64(want.CPUTimeNs) - int64(got.CPUTimeNs); d >= 0 && d < 100e6 {
		want.CPUTimeNs = got.CPUTimeNs
	}
	if got != want {
		t.Errorf("hv read the paused VM's counters as\n %+v\nvirsh domstats says\n %+v\n%s", got, want, out)
	}
}
