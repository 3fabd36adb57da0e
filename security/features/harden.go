package features

import (
	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/phase"
)

// HardenFacts are the facts of h that hardening is checked on: its
// features the hardened phase refuses, and its operators. The caller adds
// what the audit trail's verification said.
func (c *Catalog) HardenFacts(h *nix.Host) phase.HardenFacts {
	r := c.Resolve(h.Features, h.Phase)
	f := phase.HardenFacts{Group: h.Operators.Group, Operators: h.Operators.Users}
	f.Critical, f.Refused = c.RefusedIn(r.Enabled, string(phase.Hardened))
	return f
}
