package main

import (
	"context"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm/daemon"
	"github.com/hyper-nixos/hv/vm/daemon/daemontest"
	"github.com/hyper-nixos/hv/vm/libvirt"
)

// TestTheDaemonTakesTheCLIsAnswers: in each phase, every change a script
// makes with --yes through the hv daemon carries the answer the daemon
// wants for it (the CLI asks what the route's rule asks, the name typed
// included): none is refused as unconfirmed.
func TestTheDaemonTakesTheCLIsAnswers(t *testing.T) {
	for _, p := range []phase.Phase{phase.Setup, phase.Hardened} {
		t.Run(string(p), func(t *testing.T) {
			hostEnv(t)
			h, raw, err := nix.ReadHost(nix.HostFilePath())
			if err != nil {
				t.Fatal(err)
			}
			h.Phase = string(p)
			if _, err := nix.WriteHost(nix.HostFilePath(), h, raw); err != nil {
				t.Fatal(err)
			}
			socket := startTestDaemon(t, p)
			steps := [][]string{
				{"vm", "snapshot", "create", "test", "before"},
				{"vm", "snapshot", "revert", "test", "before"},
				{"vm", "snapshot", "delete", "test", "before"},
				{"vm", "set", "test", "--vcpus", "2"},
				{"vm", "destroy", "test"},
				{"vm", "start", "test"},
				{"vm", "shutdown", "test"},
				{"vm", "autostart", "test", "on"},
				{"net", "autostart", "default", "off"},
				{"net", "stop", "default"},
				{"net", "start", "default"},
				{"pool", "vol-create", "default-pool", "scratch", "--size", "1M"},
				{"pool", "vol-delete", "default-pool", "scratch"},
				{"pool", "stop", "default-pool"},
				{"pool", "start", "default-pool"},
				{"vm", "delete", "test"},
			}
			for _, step := range steps {
				code, _, errOut := cli(t, append(append([]string{"--host", "unix://" + socket}, step...), "--yes")...)
				if code != exitOK {
					t.Errorf("hv %v --yes: exit %d: %s", step, code, errOut)
				}
			}
		})
	}
}

// startTestDaemon serves libvirt's test driver in phase p on a socket of
// its own, polkit granting everything: the test is about the answers.
func startTestDaemon(t *testing.T, p phase.Phase) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := libvirt.Open(ctx, "test:///default")
	if err != nil {
		t.Fatal(err)
	}
	socket, _ := daemontest.Serve(t, b, daemontest.Grant(nil), &daemon.Rules{Phase: p, Roots: daemon.Roots{"/default-pool"}})
	return socket
}
