package polkit

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/tests/need"
)

// The real decisions are tested against the real tier's polkitd
// (tests/real/polkit_test.go); here, what a host without one says.

// TestConnectWithoutPolkitd: a bus on which no polkitd answers (a private
// dbus-daemon) is an error naming polkit and how to get it.
func TestConnectWithoutPolkitd(t *testing.T) {
	daemon := need.Tool(t, "dbus-daemon", "apt install dbus")
	addr := "unix:path=" + filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command(daemon, "--session", "--nofork", "--nopidfile", "--address="+addr, "--print-address=1")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if !bufio.NewScanner(out).Scan() { // it prints its address once it listens
		t.Fatal("the private dbus-daemon did not start")
	}
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := Connect(ctx)
	if err == nil {
		a.Close()
		t.Fatal("Connect succeeded on a bus without polkitd")
	}
	if msg := err.Error(); !strings.Contains(msg, "polkitd does not answer on the system bus at "+addr) || !strings.Contains(msg, "security.polkit.enable") {
		t.Errorf("got %q", msg)
	}
}

// TestConnectWithoutABus: no bus at the address is an error naming dbus.
func TestConnectWithoutABus(t *testing.T) {
	addr := "unix:path=" + filepath.Join(t.TempDir(), "nothing-here")
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	_, err := Connect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no D-Bus system bus at "+addr) || !strings.Contains(err.Error(), "start dbus") {
		t.Errorf("got %v", err)
	}
}
