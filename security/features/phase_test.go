package features

import (
	"slices"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/phase"
)

// TestCatalogPhasesAreThePhaseModels: the catalog lists the phases the
// permission matrix decides for, in the same order.
func TestCatalogPhasesAreTheMatrixPhases(t *testing.T) {
	var want []string
	for _, p := range phase.Phases {
		want = append(want, string(p))
	}
	if got := Builtin().PhaseIDs(); !slices.Equal(got, want) {
		t.Errorf("catalog phases %v, matrix phases %v", got, want)
	}
}

// TestCatalogAgreesWithTheMatrix: every feature the matrix refuses in a
// phase is one the catalog keeps out of it, so the resolver and the
// matrix never disagree about what a phase allows.
func TestCatalogAgreesWithTheMatrix(t *testing.T) {
	for _, f := range Builtin().Features() {
		for _, p := range phase.Phases {
			if phase.Decide(p, phase.Op{Kind: phase.FeatureEnable, Risk: f.Risk}, phase.Operator).Refused() && f.AllowedIn(string(p)) {
				t.Errorf("%s (%s) is allowed in %s by the catalog, refused by the matrix", f.ID, f.Risk, p)
			}
		}
	}
}

func TestCheckChangeByWho(t *testing.T) {
	c := Builtin()
	applied := nix.NewHost("hardened", []string{"ssh", "sysctl-hardening", "qemu-non-root"})
	applied.Operators.Users = []string{"alice"}
	weaker := *applied
	weaker.Features = []string{"ssh", "qemu-non-root"}
	ps := c.CheckChange(applied, &weaker, phase.Operator)
	if len(ps) != 1 || ps[0].Kind != RootOnly || !strings.Contains(ps[0].Message, `turning off "sysctl-hardening" in the hardened phase needs root`) {
		t.Errorf("an operator turning hardening off: %+v", ps)
	}
	if ps := c.CheckChange(applied, &weaker, phase.Root); len(ps) != 0 {
		t.Errorf("root may turn hardening off: %+v", ps)
	}
	setup := *applied
	setup.Phase = "setup"
	setup.Operators.Users = []string{"alice", "bob"}
	if ps := c.CheckChange(applied, &setup, phase.Root); len(ps) != 0 {
		t.Errorf("root may leave the hardened phase and name operators: %+v", ps)
	}
	if ps := c.CheckChange(applied, &setup, phase.Operator); len(ps) != 2 {
		t.Errorf("an operator may do neither: %+v", ps)
	}
	// In setup, turning hardening off is anyone's right.
	appliedSetup := *applied
	appliedSetup.Phase = "setup"
	weakerSetup := weaker
	weakerSetup.Phase = "setup"
	if ps := c.CheckChange(&appliedSetup, &weakerSetup, phase.Operator); len(ps) != 0 {
		t.Errorf("setup: %+v", ps)
	}
}
