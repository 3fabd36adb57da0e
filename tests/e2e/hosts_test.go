package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/fleet"
	"github.com/hyper-nixos/hv/vm/remote"
)

// TestAHostGoingAwayMidSession: hv open on this host and the two hosts of
// tests/real/hosts.sh, reached over SSH. One host's daemon goes away: hv
// says so, keeps the other host's VMs and actions working, and takes the
// host back when its daemon returns.
func TestAHostGoingAwayMidSession(t *testing.T) {
	need.Root(t, "to stop and start a host's daemon")
	hosts, err := fleet.ParseEntries(strings.Fields(os.Getenv("HV_MH_HOSTS")))
	script, ssh := os.Getenv("HV_MH_SCRIPT"), os.Getenv("HV_MH_SSH")
	if err != nil || len(hosts) != 2 || script == "" {
		need.Missing(t, "no second and third host (HV_MH_HOSTS): ./tests/run brings them up with tests/real/hosts.sh")
	}
	t.Setenv(remote.SSHEnv, ssh)
	need.Lock(t, filepath.Join(os.Getenv("HV_MH_ROOT"), "tests.lock")) // tests/real moves VMs between the same hosts
	a, b := hosts[0], hosts[1]
	tag := fmt.Sprintf("%06x", rand.Uint32()>>8)
	onA, onB := "e2e-a-"+tag, "e2e-b-"+tag
	define(t, a, onA)
	define(t, b, onB)

	// The operator's own list of hosts; this host is the test driver.
	state := t.TempDir()
	if err := os.MkdirAll(filepath.Join(state, "hv"), 0o755); err != nil {
		t.Fatal(err)
	}
	list := fmt.Sprintf("hosts = [%q, %q]\n", a.Name+"="+a.Address, b.Name+"="+b.Address)
	if err := os.WriteFile(filepath.Join(state, "hv", "hosts.toml"), []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	tm := runWithEnv(t, state, []string{"LIBVIRT_DEFAULT_URI=test:///default", "HV_SSH='" + ssh + "'"}, "xterm-256color", 120, 30)
	tm.waitFor("every host you reach") // the home menu: connected
	tm.keys("9")
	hostsScreen := tm.waitFor("3 up")
	for _, h := range hosts {
		if !strings.Contains(hostsScreen, h.Name) {
			t.Errorf("the Hosts screen lacks %s:\n%s", h.Name, hostsScreen)
		}
	}
	tm.keys("Escape") // alone: ESC and a key at once read as alt+key
	tm.waitFor("every host you reach")
	tm.keys("1")
	tm.waitFor(onB)
	if s := tm.waitFor(onA); !strings.Contains(s, "HOST") {
		t.Errorf("no HOST column:\n%s", s)
	}

	// b's daemon goes away.
	hostsSh(t, script, "stop-hv", b.Name)
	t.Cleanup(func() { hostsSh(t, script, "start-hv", b.Name) })
	tm.waitFor("host " + b.Name + " went away")
	tm.keys("\x12") // ctrl+r: list again
	s := tm.waitFor("Host " + b.Name + " is down")
	if strings.Contains(s, onB) || !strings.Contains(s, onA) {
		t.Errorf("with %s gone the list shows the wrong VMs:\n%s", b.Name, s)
	}
	// a carries on: its VM starts.
	tm.keys("/", onA, "Enter")
	tm.waitFor("1 of ")
	tm.keys("s")
	deadline := time.Now().Add(30 * time.Second)
	for stateOn(t, a, onA) != vm.StateRunning {
		if time.Now().After(deadline) {
			t.Fatalf("%s on %s is %s after s:\n%s", onA, a.Name, stateOn(t, a, onA), tm.screen())
		}
		time.Sleep(200 * time.Millisecond)
	}

	// b comes back.
	hostsSh(t, script, "start-hv", b.Name)
	tm.waitFor("host " + b.Name + " answers again")
	tm.keys("Escape")
	if s := tm.waitFor(onB); strings.Contains(s, "is down") {
		t.Errorf("%s back, still said down:\n%s", b.Name, s)
	}
}

func hostsSh(t *testing.T, script string, args ...string) {
	t.Helper()
	if out, err := exec.Command(script, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", script, args, err, out)
	}
}

// client opens host's daemon over SSH.
func client(t *testing.T, h fleet.Entry) *remote.Client {
	t.Helper()
	dial, where, err := fleet.Dialer(h.Address)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := remote.Open(ctx, dial, where)
	if err != nil {
		t.Fatalf("reaching %s: %v", h.Name, err)
	}
	return c
}

// define makes a diskless VM on host h, removed when the test ends.
func define(t *testing.T, h fleet.Entry, name string) {
	t.Helper()
	c := client(t, h)
	defer c.Close()
	ctx := vm.WithConfirmation(context.Background(), vm.Confirmation{How: "--yes", Name: name})
	v, err := c.Define(ctx, vm.Spec{Name: name, VCPUs: 1, MemoryMiB: 64})
	if err != nil {
		t.Fatalf("defining %s on %s: %v", name, h.Name, err)
	}
	t.Cleanup(func() {
		c := client(t, h)
		defer c.Close()
		c.Destroy(ctx, v.UUID)
		c.Undefine(ctx, v.UUID)
	})
}

func stateOn(t *testing.T, h fleet.Entry, name string) vm.State {
	t.Helper()
	c := client(t, h)
	defer c.Close()
	v, err := c.Lookup(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return v.State
}
