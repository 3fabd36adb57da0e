package daemon

import (
	"context"
	"errors"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/security/polkit"
)

// HostRules reads the rules from the host file at path on every call: the
// phase, and the pool roots (storage.images_dir and storage.pool_roots). A
// host without a host file runs in the setup phase with the default
// images directory; a host file hv cannot read stops every change.
func HostRules(path string) func() (Rules, error) {
	return func() (Rules, error) {
		h, _, err := nix.ReadHost(path)
		if errors.Is(err, nix.ErrNoHostFile) {
			h = nix.NewHost(string(phase.Setup), nil)
		} else if err != nil {
			return Rules{}, err
		}
		p, err := phase.Parse(h.Phase)
		if err != nil {
			return Rules{}, err
		}
		roots := Roots{h.Storage.ImagesDir}
		for _, r := range h.Storage.PoolRoots {
			roots = append(roots, r)
		}
		peers, err := ParsePeers(h.Hosts.Peers)
		if err != nil {
			return Rules{}, err
		}
		return Rules{Phase: p, Roots: roots, Peers: peers}, nil
	}
}

// Polkit is the Authorizer of a real host: polkit decides, for the
// calling process as the kernel identified it.
func Polkit(a *polkit.Authority) Authorizer {
	return polkitAuth{a, make(chan struct{}, polkitInFlight)}
}

// polkitInFlight bounds the checks waiting for polkit's answer: the system
// bus lets one connection wait for 128 replies at most (dbus-daemon's
// max_replies_per_connection) and fails the rest, which would deny their
// callers; past the bound, checks queue. Measured: a thousand clients at
// once (BenchmarkFanIn) had 629 of their lists refused without it.
const polkitInFlight = 64

type polkitAuth struct {
	a     *polkit.Authority
	slots chan struct{}
}

func (p polkitAuth) Allowed(ctx context.Context, peer Peer, action string) (bool, error) {
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	case <-ctx.Done():
		return false, ctx.Err()
	}
	s, err := polkit.ProcessSubject(peer.PID, peer.UID)
	if err != nil {
		return false, err
	}
	return p.a.Check(ctx, s, action)
}
