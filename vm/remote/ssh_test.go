package remote_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/daemon/daemontest"
	"github.com/hyper-nixos/hv/vm/remote"
)

// TestMain lets this test binary stand in for ssh: run as $HV_SSH with
// HV_TEST_BRIDGE=SOCKET it joins its standard input and output to the
// socket, as `ssh HOST hv dial-stdio` does; with HV_TEST_BRIDGE=fail it
// says what ssh says when a key is refused.
func TestMain(m *testing.M) {
	switch socket := os.Getenv("HV_TEST_BRIDGE"); socket {
	case "":
		os.Exit(m.Run())
	case "fail":
		os.Stderr.WriteString("alice@hv2: Permission denied (publickey).\n")
		os.Exit(255)
	default:
		c, err := net.Dial("unix", socket)
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		go func() { io.Copy(c, os.Stdin); c.(*net.UnixConn).CloseWrite() }()
		io.Copy(os.Stdout, c)
		os.Exit(0)
	}
}

func TestSSHAddresses(t *testing.T) {
	a, err := remote.ParseAddress("ssh://alice@hv2.example.org:2222")
	if err != nil || a.User != "alice" || a.Host != "hv2.example.org" || a.Port != 2222 || a.String() != "ssh://alice@hv2.example.org:2222" {
		t.Fatalf("%+v %v", a, err)
	}
	args := a.Args("hv", "dial-stdio")
	if !slices.Contains(args, "BatchMode=yes") || !slices.Equal(args[len(args)-4:], []string{"--", "hv2.example.org", "hv", "dial-stdio"}) {
		t.Errorf("ssh's arguments: %q", args)
	}
	if got := a.As("root").String(); got != "ssh://root@hv2.example.org:2222" {
		t.Errorf("as root: %s", got)
	}
	for _, bad := range []string{"hv2", "http://hv2", "ssh://", "ssh://a:secret@hv2", "ssh://-oProxyCommand=x", "ssh://hv2:99999", "ssh://hv2/path", "ssh://hv2?x=1"} {
		if _, err := remote.ParseAddress(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestTheSSHBridgeCarriesTheAPI: a daemon reached through a command's
// standard input and output (as ssh HOST hv dial-stdio) answers as over its
// socket, events included; the command's own words say why it failed.
func TestTheSSHBridgeCarriesTheAPI(t *testing.T) {
	h := startDaemon(t, daemontest.Grant(nil))
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(remote.SSHEnv, self)
	t.Setenv("HV_TEST_BRIDGE", h.socket)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := remote.Open(ctx, remote.SSH(remote.Address{Host: "hv2"}), "ssh://hv2")
	if err != nil {
		t.Fatalf("over the bridge: %v", err)
	}
	defer c.Close()
	if vms, err := c.List(ctx); err != nil || len(vms) != 1 || vms[0].Name != "test" {
		t.Fatalf("list over the bridge: %+v %v", vms, err)
	}
	// The event stream opens beside the calls: pause and resume until
	// one of their events comes through.
	for seen := false; !seen; {
		if err := c.Pause(yes(ctx), "test"); err != nil {
			t.Fatal(err)
		}
		if err := c.Resume(yes(ctx), "test"); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-c.Events():
			seen = e.Name == "test" && (e.Kind == vm.EventSuspended || e.Kind == vm.EventResumed)
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("no event over the bridge")
		}
	}

	t.Setenv("HV_TEST_BRIDGE", "fail")
	_, err = remote.Open(ctx, remote.SSH(remote.Address{User: "alice", Host: "hv2"}), "ssh://alice@hv2")
	var ce *vm.ConnectError
	if !errors.As(err, &ce) || ce.Cause != vm.CauseUnreachable || !strings.Contains(err.Error(), "ssh: alice@hv2: Permission denied (publickey).") ||
		!strings.Contains(ce.Fix(), "ssh HOST hv dial-stdio") {
		t.Errorf("a refused key: %v (fix %q)", err, vm.Fix(err))
	}
}
