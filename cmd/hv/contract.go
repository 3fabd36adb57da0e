package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm/api"
	"github.com/hyper-nixos/hv/vm/remote"
)

// contract returns the host-contract files hv works on: the real ones
// (overridable with $HV_HOST_FILE and $HV_STATE_DIR), or with --demo a
// private copy of the demo host's, so that staging never touches a host.
func (g *globals) contract() (nix.Paths, error) {
	if !g.demo {
		return nix.DefaultPaths(), nil
	}
	return nix.PrepareDir(filepath.Join(stateDir(), "demo"), content.DemoHostTOML)
}

// state reads the files of the host contract.
func (g *globals) state() (*nix.State, error) {
	paths, err := g.contract()
	if err != nil {
		return nil, err
	}
	return nix.ReadState(paths), nil
}

// securityPhase is the phase of the host file the system runs: setup when
// there is none; a file hv cannot read counts as hardened, the safe side.
func (g *globals) securityPhase() phase.Phase {
	if dial, _, err := g.daemonDialer(); err == nil && dial != nil {
		// The phase that binds is the one the daemon enforces: asked on
		// the command's own connection when it has one.
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		var p string
		if g.daemon != nil {
			p, err = g.daemon.EnforcedPhase(ctx)
		} else {
			var id api.Identity
			id, err = remote.Whoami(ctx, dial)
			p = id.Phase
		}
		if err != nil {
			return phase.Hardened // the safe side; the daemon decides anyway
		}
		return phase.Of(p)
	}
	paths, err := g.contract()
	if err != nil {
		return phase.Hardened
	}
	h, _, err := nix.ReadHost(paths.Host)
	return runningPhase(h, err)
}

// runningPhase is securityPhase for an applied host file already read.
func runningPhase(h *nix.Host, err error) phase.Phase {
	switch {
	case errors.Is(err, nix.ErrNoHostFile):
		return phase.Setup
	case err != nil:
		return phase.Hardened
	}
	return phase.Of(h.Phase)
}

// geteuid is os.Geteuid; tests that run as root stand in for an operator.
var geteuid = os.Geteuid

// actor is root or an operator, for what only root may do.
func actor() phase.Who {
	if geteuid() == 0 {
		return phase.Root
	}
	return phase.Operator
}

// startApply starts the apply service (nix.StartApply); tests replace it,
// so that no test ever starts a real one.
var startApply = nix.StartApply
