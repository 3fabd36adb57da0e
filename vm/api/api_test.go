package api

import (
	"errors"
	"flag"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
)

var update = flag.Bool("update", false, "rewrite docs/api.md")

// TestReference: docs/api.md is what the route table says.
func TestReference(t *testing.T) {
	const path = "../../docs/api.md"
	want := Reference()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("%s is stale: go test ./vm/api -run TestReference -update", path)
	}
}

// TestEveryMatrixKindIsDecidedSomewhere: each kind of operation the
// permission matrix knows is judged by a route of the daemon (or, for the
// host file's, by the stager): a kind nothing asks about is dead.
func TestEveryMatrixKindIsDecidedSomewhere(t *testing.T) {
	used := map[phase.Kind]bool{phase.VMBulk: true} // the bulk header turns a VM action into one
	for _, r := range Routes {
		used[r.Op.Kind] = true
	}
	// host.stage judges these through hostchange.Question and CheckChange.
	for _, k := range []phase.Kind{phase.FeatureEnable, phase.FeatureDisable, phase.PhaseHarden, phase.PhaseLeave, phase.OperatorsChange} {
		used[k] = true
	}
	for _, row := range phase.Matrix() {
		if !used[row.Op.Kind] {
			t.Errorf("the matrix decides %s (%s), but no call of the daemon asks it", row.Op.Kind, row.What)
		}
	}
}

// TestRoutesAreWellFormed: unique names and patterns, a polkit action each,
// changes under a mutating action.
func TestRoutesAreWellFormed(t *testing.T) {
	names, patterns := map[string]bool{}, map[string]bool{}
	for _, r := range Routes {
		p := r.Method + " " + r.Path
		if names[r.Name] || patterns[p] {
			t.Errorf("route %s (%s) twice", r.Name, p)
		}
		names[r.Name], patterns[p] = true, true
		if !strings.HasPrefix(r.Path, "/"+Version+"/") {
			t.Errorf("%s: %s is outside /%s", r.Name, r.Path, Version)
		}
		if r.Op.Kind != "" && (r.Action == ActionRead || r.Action == ActionAuditRead) {
			t.Errorf("%s changes the host under the read action %s", r.Name, r.Action)
		}
		if r.Method == http.MethodGet && r.Op.Kind != "" && r.Reply != Upgrade {
			t.Errorf("%s: a GET that changes something", r.Name)
		}
	}
}

// TestErrorsSurviveTheWire: what the daemon encodes decodes to errors that
// errors.Is and vm.Fix treat as the originals.
func TestErrorsSurviveTheWire(t *testing.T) {
	for _, err := range []error{
		&vm.Error{Op: "start", Target: "web-01", Kind: vm.ErrInvalidState, Detail: "it is running", Hint: "stop it first"},
		&vm.Refusal{Op: "define", Target: "x", Rule: "a disk may not be /etc/shadow", Remedy: "use a volume"},
		&phase.Error{Op: "vm.delete-storage web-01", Phase: phase.Hardened, Rule: phase.Rule{Verdict: phase.Refuse, Why: "not in one step", Fix: "delete the VM first"}},
		&phase.Unconfirmed{Op: "vm.delete", Target: "web-01", Question: phase.TypeName, Name: "web-01", Why: "a high risk action"},
	} {
		_, body := Encode(err)
		back := Decode(body.Error)
		if back.Error() != err.Error() || vm.Fix(back) != vm.Fix(err) {
			t.Errorf("%T: %q (fix %q) came back as %q (fix %q)", err, err, vm.Fix(err), back, vm.Fix(back))
		}
		for _, s := range []error{vm.ErrInvalidState, vm.ErrDenied} {
			if errors.Is(err, s) != errors.Is(back, s) {
				t.Errorf("%T: errors.Is(%v) changed on the wire", err, s)
			}
		}
	}
}
