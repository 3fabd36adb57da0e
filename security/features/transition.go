package features

import (
	"fmt"
	"slices"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/phase"
)

// RootOnly is a change operators may stage but only root may make;
// PhaseForbidden one the phase of the host refuses to anyone.
const (
	RootOnly       Kind = "root-only"
	PhaseForbidden Kind = "phase-forbidden"
)

// CheckTransition is CheckChange for a file an operator staged.
func (c *Catalog) CheckTransition(applied, staged *nix.Host) []Problem {
	return c.CheckChange(applied, staged, phase.Operator)
}

// CheckChange lists what the change from the applied host file to a
// staged one does that who may not do, by the phase matrix of the
// applied phase: leaving the hardened phase, changing the operators,
// turning hardening off while hardened, turning on what the phase
// refuses. The apply service runs as root for operators, so it must not
// become their way around the hardened phase or into the operators group:
// it refuses these even when the staged file is valid.
func (c *Catalog) CheckChange(applied, staged *nix.Host, who phase.Who) []Problem {
	var out []Problem
	now := phase.Of(applied.Phase)
	// refuse records op if the matrix refuses it to who in phase p; what
	// root may still do is root-only, the rest the phase forbids.
	refuse := func(p phase.Phase, op phase.Op, setting, what string) {
		rule := phase.Decide(p, op, who)
		if !rule.Refused() {
			return
		}
		if !phase.Decide(p, op, phase.Root).Refused() {
			out = append(out, Problem{Kind: RootOnly, Setting: setting, Message: what + " needs root: " + rule.Fix})
			return
		}
		out = append(out, Problem{Kind: PhaseForbidden, Setting: setting, Message: what + ": " + rule.Reason()})
	}
	next := phase.Of(staged.Phase)
	if next.Rank() < now.Rank() {
		refuse(now, phase.Op{Kind: phase.PhaseLeave}, "phase", fmt.Sprintf("leaving the %s phase for %s", now, next))
	}
	if applied.Operators.Group != staged.Operators.Group {
		refuse(now, phase.Op{Kind: phase.OperatorsChange}, "operators.group",
			fmt.Sprintf("changing the operators group (%s to %s)", applied.Operators.Group, staged.Operators.Group))
	}
	if !slices.Equal(sortedUnique(applied.Operators.Users), sortedUnique(staged.Operators.Users)) {
		refuse(now, phase.Op{Kind: phase.OperatorsChange}, "operators.users", "changing who is an operator")
	}
	before := c.Resolve(applied.Features, applied.Phase)
	after := c.Resolve(staged.Features, staged.Phase)
	for _, id := range before.Enabled {
		if f := c.byID[id]; f.Category == "hardening" && !after.IsOn(id) {
			refuse(now, phase.Op{Kind: phase.FeatureDisable, Hardening: true}, "features", fmt.Sprintf("turning off %q in the %s phase", id, now))
		}
	}
	// The catalog's phases already keep critical features out of the
	// hardened phase; the matrix says the same, whatever the catalog says.
	for _, id := range after.Enabled {
		if f, ok := c.byID[id]; ok && !before.IsOn(id) {
			refuse(next, phase.Op{Kind: phase.FeatureEnable, Risk: f.Risk}, "features", fmt.Sprintf("turning on %q (%s risk)", id, f.Risk))
		}
	}
	return out
}
