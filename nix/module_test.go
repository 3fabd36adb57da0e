package nix

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The NixOS module evaluated as NixOS evaluates it, without nixpkgs: with
// nix/tests/lib.nix (the module system and option types, merged by
// nixpkgs' rules) and nix/tests/nixos.nix (the NixOS options the module
// sets, declared with NixOS's types). With $HV_NIXPKGS_LIB set to the lib
// directory of a nixpkgs checkout (nix-community/nixpkgs.lib will do), the
// same evaluations run with nixpkgs' own lib instead of the stand-in.

// libArgs selects nixpkgs' lib instead of the stand-in when asked to.
func libArgs() []string {
	if dir := os.Getenv("HV_NIXPKGS_LIB"); dir != "" {
		return []string{"--arg", "lib", "import " + dir}
	}
	return nil
}

// TestStandInBehavesLikeNixOS: the stand-ins refuse what NixOS refuses
// (two definitions of one sysctl key, even equal; an undeclared option; a
// value of the wrong type; disagreeing definitions) with nixpkgs' messages,
// and accept what it accepts (mkDefault beside a plain definition, mkForce
// over one, mkIf false, lists and lines joined in nixpkgs' order,
// submodules merged).
func TestStandInBehavesLikeNixOS(t *testing.T) {
	file := filepath.Join("tests", "standin.nix")
	var cases map[string]struct {
		Refuse *string `json:"refuse"`
	}
	list := nixInstantiate(t, append([]string{"--eval", "--strict", "--json", file, "--arg", "case", "null"}, libArgs()...)...)
	if err := json.Unmarshal([]byte(list), &cases); err != nil {
		t.Fatal(err)
	}
	refusals := 0
	for name, c := range cases {
		if c.Refuse != nil {
			refusals++
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, stderr, err := tryNix(t, "nix-instantiate", append([]string{"--eval", "--strict", "--json", file, "--argstr", "case", name}, libArgs()...)...)
			if c.Refuse != nil {
				if err == nil {
					t.Fatalf("accepted, as %s; NixOS refuses it with %q", out, *c.Refuse)
				}
				if !strings.Contains(stderr, *c.Refuse) {
					t.Fatalf("refused, but not with NixOS's %q:\n%s", *c.Refuse, stderr)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused; NixOS accepts it:\n%s", stderr)
			}
			var got struct {
				OK       bool            `json:"ok"`
				Got      json.RawMessage `json:"got"`
				Expected json.RawMessage `json:"expect"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if !got.OK {
				t.Errorf("gives %s; NixOS gives %s", got.Got, got.Expected)
			}
		})
	}
	if refusals < 5 || len(cases)-refusals < 5 {
		t.Fatalf("standin.nix has %d refusals and %d acceptances: too few to mean anything", refusals, len(cases)-refusals)
	}
}

// evaluation is what nix/tests/eval.nix answers about one evaluation.
type evaluation struct {
	FailedAssertions  []string       `json:"failedAssertions"`
	Warnings          []string       `json:"warnings"`
	DuplicateTmpfiles []string       `json:"duplicateTmpfiles"`
	Sysctl            map[string]any `json:"sysctl"`
	Services          []string       `json:"services"`
	Etc               []string       `json:"etc"`
	Package           string         `json:"package"`
	// What the privilege boundary rests on (boundary_test.go).
	Packages         []string          `json:"packages"`
	OperatorsGroup   string            `json:"operatorsGroup"`
	Polkit           string            `json:"polkit"`
	Tmpfiles         []string          `json:"tmpfiles"`
	SessionVariables map[string]string `json:"sessionVariables"`
	Units            map[string]*unit  `json:"units"`
	Peers            peerEvaluation    `json:"peers"` // peers_test.go
}

// moduleCase is one host the module is evaluated for.
type moduleCase struct {
	name      string
	host      *Host  // written to a host file with EncodeHost
	file      string // or this host file as it is
	firstBoot bool   // no host file, firstBoot.enable
	flake     bool   // the flake's module rather than nix/module.nix
	vmTest    string // or this VM test's node, as the test configures it
	node      string
	hardened  bool // the hardened phase's own settings must be in effect
	refused   []string
}

// evaluate evaluates the case; more are more arguments for eval.nix.
func (c moduleCase) evaluate(t *testing.T, more ...string) evaluation {
	t.Helper()
	file := c.file
	switch {
	case c.firstBoot:
		file = filepath.Join(t.TempDir(), "not-written-yet.toml")
	case c.host != nil:
		data, err := EncodeHost(c.host)
		if err != nil {
			t.Fatal(err)
		}
		file = filepath.Join(t.TempDir(), "host.toml")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--eval", "--strict", "--json", filepath.Join("tests", "eval.nix")}
	if c.vmTest != "" {
		// The test may write its host file to the Nix store: a store of
		// the test's own, no root needed.
		args = append(args, "--argstr", "vmTest", c.vmTest, "--argstr", "node", c.node,
			"--read-write-mode", "--store", t.TempDir())
	} else {
		abs, err := filepath.Abs(file)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, "--argstr", "hostFile", abs,
			"--arg", "firstBoot", fmt.Sprint(c.firstBoot), "--arg", "flake", fmt.Sprint(c.flake))
	}
	args = append(append(args, more...), libArgs()...)
	var ev evaluation
	if err := json.Unmarshal([]byte(nixInstantiate(t, args...)), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// moduleCases: the example host file, the flake's module, first boot, the
// VM tests' hosts, every preset in every phase, every feature alone in
// every phase that allows it, and every feature the hardened phase allows,
// together.
func moduleCases(t *testing.T) []moduleCase {
	t.Helper()
	cat, err := DecodeCatalog(CatalogTOML)
	if err != nil {
		t.Fatal(err)
	}
	// Every setting set, so that every feature has what it needs.
	full, err := DecodeHost(readTestdata(t, "full.toml"))
	if err != nil {
		t.Fatal(err)
	}
	host := func(phase string, features []string) *Host {
		h := *full
		h.Phase, h.Features = phase, features
		return &h
	}
	byID := map[string]FeatureSpec{}
	for _, f := range cat.Features {
		byID[f.ID] = f
	}
	// What the phase refuses of a selection and the features it requires.
	refused := func(phase string, selection []string) []string {
		var out []string
		seen := map[string]bool{}
		var visit func(id string)
		visit = func(id string) {
			if seen[id] {
				return
			}
			seen[id] = true
			if !slices.Contains(byID[id].Phases, phase) {
				out = append(out, id)
			}
			for _, r := range byID[id].Requires {
				visit(r)
			}
		}
		for _, id := range selection {
			visit(id)
		}
		return out
	}
	// As many features as the phase allows, taken in order, skipping any
	// that conflicts with one already taken.
	together := func(phase string, features []FeatureSpec) []string {
		var ids []string
		for _, f := range features {
			clash := slices.ContainsFunc(ids, func(id string) bool {
				return slices.Contains(f.Conflicts, id) || slices.Contains(byID[id].Conflicts, f.ID)
			})
			if slices.Contains(f.Phases, phase) && !clash {
				ids = append(ids, f.ID)
			}
		}
		return ids
	}

	example := filepath.Join("examples", "host.toml") // hardened
	cases := []moduleCase{
		{name: "example host file", file: example, hardened: true},
		{name: "the flake's module, example host file", file: example, flake: true, hardened: true},
		{name: "first boot", firstBoot: true},
		{name: "VM test vm.nix, node host", vmTest: "vm.nix", node: "host"},
		{name: "VM test vm.nix, node fresh", vmTest: "vm.nix", node: "fresh", firstBoot: true},
		{name: "VM test vm-hardened.nix, node host", vmTest: "vm-hardened.nix", node: "host", hardened: true},
	}
	for _, p := range cat.Presets {
		for _, ph := range cat.Phases {
			cases = append(cases, moduleCase{
				name:     fmt.Sprintf("preset %s, %s phase", p.ID, ph.ID),
				host:     host(ph.ID, p.Features),
				hardened: ph.ID == "hardened",
				refused:  refused(ph.ID, p.Features),
			})
		}
	}
	for _, f := range cat.Features {
		for _, ph := range f.Phases {
			cases = append(cases, moduleCase{
				name:     fmt.Sprintf("%s alone, %s phase", f.ID, ph),
				host:     host(ph, []string{f.ID}),
				hardened: ph == "hardened",
			})
		}
	}
	reversed := slices.Clone(cat.Features)
	slices.Reverse(reversed)
	// In catalog order and reversed, so that each side of every conflict
	// is in one of them.
	cases = append(cases,
		moduleCase{name: "every feature the hardened phase allows, in catalog order", host: host("hardened", together("hardened", cat.Features)), hardened: true},
		moduleCase{name: "every feature the hardened phase allows, in reverse order", host: host("hardened", together("hardened", reversed)), hardened: true},
	)
	return cases
}

// TestModuleEvaluatesUnderNixOSTypes evaluates the module for every case of
// moduleCases with NixOS's option types and merge rules, forcing every
// value it defines and every assertion. Hosts the phase allows build: no
// assertion fails, no warning, no tmpfiles rule fights another for a path;
// the privilege boundary holds (checkBoundary); the hardened phase's own
// settings are in effect whatever the features.
// A preset the phase refuses fails exactly the assertions naming what is
// refused.
func TestModuleEvaluatesUnderNixOSTypes(t *testing.T) {
	cases := moduleCases(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ev := c.evaluate(t)
			if len(c.refused) > 0 {
				if len(ev.FailedAssertions) != len(c.refused) {
					t.Fatalf("the phase refuses %v; failed assertions:\n%s", c.refused, strings.Join(ev.FailedAssertions, "\n"))
				}
				for _, id := range c.refused {
					if !slices.ContainsFunc(ev.FailedAssertions, func(m string) bool { return strings.Contains(m, fmt.Sprintf("%q is not allowed in the", id)) }) {
						t.Errorf("no failed assertion says %q is not allowed:\n%s", id, strings.Join(ev.FailedAssertions, "\n"))
					}
				}
				return
			}
			if len(ev.FailedAssertions) > 0 {
				t.Errorf("NixOS would refuse to build it; failed assertions:\n%s", strings.Join(ev.FailedAssertions, "\n"))
			}
			if len(ev.DuplicateTmpfiles) > 0 {
				t.Errorf("tmpfiles rules that name a path twice (systemd-tmpfiles ignores the second): %v", ev.DuplicateTmpfiles)
			}
			if !slices.Contains(ev.Services, "hyper-nixos-apply") {
				t.Errorf("no hyper-nixos-apply service: %v", ev.Services)
			}
			checkBoundary(t, ev)
			switch {
			case c.firstBoot:
				if len(ev.Warnings) != 1 || !strings.Contains(ev.Warnings[0], "first-boot mode") {
					t.Errorf("warnings %q, want the first-boot one", ev.Warnings)
				}
				if !slices.Contains(ev.Services, "hyper-nixos-wizard") {
					t.Errorf("first boot without the wizard: %v", ev.Services)
				}
				if len(ev.Etc) > 0 {
					t.Errorf("first boot installs %v, but there is no host file yet", ev.Etc)
				}
				return
			case len(ev.Warnings) > 0:
				t.Errorf("warnings: %q", ev.Warnings)
			}
			if !slices.Contains(ev.Etc, "hyper-nixos/host.toml") {
				t.Errorf("the host file is not installed in /etc: %v", ev.Etc)
			}
			if c.flake && ev.Package != "hv-0000000" {
				t.Errorf("the flake's module installs %s, not the flake's own hv", ev.Package)
			}
			if c.hardened {
				// The hardened phase's own settings, whatever the features.
				for key, want := range map[string]float64{"kernel.kptr_restrict": 2, "fs.suid_dumpable": 0, "kernel.kexec_load_disabled": 1, "fs.protected_regular": 2} {
					if got := ev.Sysctl[key]; got != want {
						t.Errorf("sysctl %s = %v, the hardened phase sets %v", key, got, want)
					}
				}
			}
		})
	}
	if len(cases) < 100 {
		t.Fatalf("only %d cases", len(cases))
	}
}
