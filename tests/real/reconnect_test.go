package real

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/vm"
)

// TestReconnectAfterLibvirtdRestart stops libvirtd under a connected
// backend, starts it again, and expects the backend to notice, refuse calls
// cleanly meanwhile, reconnect by itself and deliver events again.
func TestReconnectAfterLibvirtdRestart(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to restart libvirtd")
	if e.daemon == "" {
		need.Missing(t, "HV_REAL_DAEMON is not set: tests/real/daemon.sh env names the daemon to restart")
	}
	b := open(t, e.uri)
	defer b.Close()
	ctx := context.Background()

	defineAndSee := func(what string) {
		t.Helper()
		name := fmt.Sprintf("hvtest-rc-%08x", rand.Uint32())
		if _, err := b.Define(ctx, vm.Spec{Name: name, VCPUs: 1, MemoryMiB: 64}); err != nil {
			t.Fatalf("%s: Define: %v", what, err)
		}
		t.Cleanup(func() { undefine(t, e.uri, name) })
		waitFor(t, b, 20*time.Second, what+": defined event", func(ev vm.Event) bool {
			return ev.Kind == vm.EventDefined && ev.Name == name
		})
	}
	defineAndSee("before the restart")

	daemon(t, e, "stop-libvirtd")
	stopped := true
	defer func() {
		if stopped {
			daemon(t, e, "start-libvirtd")
		}
	}()
	t0 := time.Now()
	waitFor(t, b, 30*time.Second, "connection lost event", func(ev vm.Event) bool { return ev.Kind == vm.EventConnLost })
	t.Logf("libvirtd stopped; connection loss noticed after %v", time.Since(t0).Round(time.Millisecond))
	if _, err := b.List(ctx); !errors.Is(err, vm.ErrConnLost) {
		t.Errorf("List while libvirtd is down: got %v, want ErrConnLost", err)
	}

	daemon(t, e, "start-libvirtd")
	stopped = false
	t0 = time.Now()
	waitFor(t, b, 60*time.Second, "reconnected event", func(ev vm.Event) bool { return ev.Kind == vm.EventReconnected })
	t.Logf("libvirtd started; reconnected after %v", time.Since(t0).Round(time.Millisecond))
	if _, err := b.List(ctx); err != nil {
		t.Fatalf("List after reconnecting: %v", err)
	}
	defineAndSee("after the restart")
}

// daemon runs daemon.sh verb. The daemons it starts must inherit no
// descriptor of this process: under `flock LOCK go test` one is the lock's,
// and a libvirtd started here would hold the shared lock for its life.
func daemon(t *testing.T, e env, verb string) {
	t.Helper()
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, f := range fds {
		if fd, err := strconv.Atoi(f.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
	out, err := exec.Command(e.daemon, verb).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", e.daemon, verb, err, out)
	}
}

func waitFor(t *testing.T, h vm.Hypervisor, d time.Duration, what string, ok func(vm.Event) bool) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev := <-h.Events():
			if ok(ev) {
				return
			}
		case <-timeout:
			t.Fatalf("no %s within %v", what, d)
		}
	}
}

// undefine removes a test VM over a connection of its own: the test's
// backend is closed by the time cleanups run.
func undefine(t *testing.T, uri, name string) {
	b := open(t, uri)
	defer b.Close()
	if err := b.Undefine(context.Background(), name); err != nil {
		t.Errorf("removing %s: %v", name, err)
	}
}
