package features

import (
	"fmt"
	"slices"

	"github.com/hyper-nixos/hv/nix"
)

// RootOnly is a change operators may stage but only root may make.
const RootOnly Kind = "root-only"

// rootOnlyFix says how root makes such a change.
const rootOnlyFix = "edit the host file in the NixOS configuration as root and rebuild"

// CheckTransition lists what the change from the applied host file to a
// staged one does that only root may do. The apply service runs as root
// for operators, so it must not become their way around the hardened
// phase or into the operators group: it refuses these even when the
// staged file is valid.
func (c *Catalog) CheckTransition(applied, staged *nix.Host) []Problem {
	var out []Problem
	from, okFrom := c.Phase(applied.Phase)
	to, okTo := c.Phase(staged.Phase)
	if okFrom && okTo && to.Rank < from.Rank {
		out = append(out, Problem{Kind: RootOnly, Setting: "phase",
			Message: fmt.Sprintf("leaving the %s phase for %s needs root: %s", from.ID, to.ID, rootOnlyFix)})
	}
	if applied.Operators.Group != staged.Operators.Group {
		out = append(out, Problem{Kind: RootOnly, Setting: "operators.group",
			Message: fmt.Sprintf("changing the operators group (%s to %s) needs root: %s", applied.Operators.Group, staged.Operators.Group, rootOnlyFix)})
	}
	if !slices.Equal(sortedUnique(applied.Operators.Users), sortedUnique(staged.Operators.Users)) {
		out = append(out, Problem{Kind: RootOnly, Setting: "operators.users",
			Message: "changing who is an operator needs root: " + rootOnlyFix})
	}
	return out
}
