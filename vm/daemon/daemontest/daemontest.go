// Package daemontest runs an hv daemon for tests: over any backend, on a
// unix socket of its own, with a stand-in for polkit when the test is not
// about polkit.
package daemontest

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/daemon"
)

// Grant stands in for polkit: it grants the actions listed, or every
// action when nil.
type Grant []string

func (g Grant) Allowed(_ context.Context, _ daemon.Peer, action string) (bool, error) {
	return g == nil || slices.Contains(g, action), nil
}

// Serve serves h (closed when t ends) with auth, and rules as they are
// when each request reads them, on a socket in t's temporary directory.
// It returns the socket and the daemon's audit trail.
func Serve(t testing.TB, h vm.Hypervisor, auth daemon.Authorizer, rules *daemon.Rules) (string, *audit.Log) {
	t.Helper()
	dir := t.TempDir()
	socket, log := filepath.Join(dir, "hv.sock"), audit.Open(filepath.Join(dir, "audit.log"))
	s := &daemon.Server{HV: h, Auth: auth, Log: log, URI: h.URI(), Version: "test",
		Rules: func() (daemon.Rules, error) { return *rules, nil }}
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { s.Serve(ctx, l); close(served) }()
	t.Cleanup(func() { stop(); <-served; h.Close() })
	return socket, log
}
