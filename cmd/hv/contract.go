package main

import (
	"path/filepath"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/nix"
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
