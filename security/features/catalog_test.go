package features

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/security"
)

func TestBuiltinCatalog(t *testing.T) {
	c := Builtin()
	if n := len(c.Features()); n < 50 {
		t.Errorf("the catalog has %d features, the issue asks for 50+", n)
	}
	for _, cat := range c.Categories() {
		if len(c.InCategory(cat.ID)) == 0 {
			t.Errorf("category %s has no features", cat.ID)
		}
	}
	risks := map[security.Risk]int{}
	for _, f := range c.Features() {
		risks[f.Risk]++
		if f.Category == "hardening" && f.Risk != security.Minimal {
			t.Errorf("%s: hardening features add no risk by definition, this one is %s", f.ID, f.Risk)
		}
		for _, s := range []string{f.Description, f.Impact} {
			if !strings.HasSuffix(s, ".") || len(s) < 20 {
				t.Errorf("%s: %q should be a sentence", f.ID, s)
			}
		}
	}
	for _, r := range security.Risks {
		if risks[r] == 0 {
			t.Errorf("no feature of risk %s: the badge colours are untested", r)
		}
	}
	for _, want := range []string{"paranoid", "cautious", "balanced", "permissive"} {
		if _, ok := c.Preset(want); !ok {
			t.Errorf("preset %s missing", want)
		}
	}
}

// catalogWith builds a small catalog around the given [[feature]] and
// [[preset]] lines, to break one rule at a time.
func catalogWith(features ...string) []byte {
	return []byte(`schema = 1
[risk_points]
minimal = 0
low = 1
medium = 3
high = 6
critical = 10
[[phase]]
id = "setup"
name = "Setup"
description = "Anything."
[[phase]]
id = "hardened"
name = "Hardened"
description = "Less."
[[category]]
id = "one"
name = "One"
description = "All."
` + strings.Join(features, "\n"))
}

func feature(id, extra string) string {
	lines := map[string]string{
		"requires": "[]", "conflicts": "[]", "phases": `["setup", "hardened"]`, "needs": "[]",
		"settings": `["x.enable"]`, "risk": `"low"`, "category": `"one"`,
	}
	for _, kv := range strings.Split(extra, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			lines[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return fmt.Sprintf(`[[feature]]
id = %q
name = "Feature %s"
description = "Does %s."
impact = "Some."
category = %s
risk = %s
requires = %s
conflicts = %s
phases = %s
needs = %s
settings = %s
`, id, id, id, lines["category"], lines["risk"], lines["requires"], lines["conflicts"], lines["phases"], lines["needs"], lines["settings"])
}

// TestLoadRejects: each broken catalog is refused, and the error names the
// feature at fault.
func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{"unknown requirement", catalogWith(feature("a", `requires = ["ghost"]`)),
			[]string{`feature "a": requires "ghost", which is not in the catalog`}},
		{"unknown conflict", catalogWith(feature("a", `conflicts = ["ghost"]`)),
			[]string{`feature "a": conflicts "ghost", which is not in the catalog`}},
		{"self requirement", catalogWith(feature("a", `requires = ["a"]`)),
			[]string{`feature "a": requires itself`}},
		{"self conflict", catalogWith(feature("a", `conflicts = ["a"]`)),
			[]string{`feature "a": conflicts with itself`}},
		{"cycle", catalogWith(feature("a", `requires = ["b"]`), feature("b", `requires = ["c"]`), feature("c", `requires = ["a"]`)),
			[]string{`feature "a": requires itself through a -> b -> c -> a`}},
		{"conflict with its own requirement", catalogWith(feature("a", `requires = ["b"]`), feature("b", `requires = ["c"]`), feature("c", `conflicts = ["a"]`)),
			[]string{`feature "a": can never be enabled: it needs both "a" and "c", which conflict`}},
		{"phase its requirement refuses", catalogWith(feature("a", `requires = ["b"]`), feature("b", `phases = ["setup"]`)),
			[]string{`feature "a": is allowed in the hardened phase, but it requires "b", which is not`}},
		{"duplicate id", catalogWith(feature("a", ""), feature("a", "")), []string{`feature "a": listed twice`}},
		{"unknown category", catalogWith(feature("a", `category = "misc"`)), []string{`feature "a": category "misc"`}},
		{"unknown risk", catalogWith(feature("a", `risk = "spicy"`)), []string{`feature "a": unknown risk level "spicy"`}},
		{"unknown phase", catalogWith(feature("a", `phases = ["prod"]`)), []string{`feature "a": phase "prod" is not a [[phase]]`}},
		{"no phase", catalogWith(feature("a", `phases = []`)), []string{`feature "a": no phase allows it`}},
		{"unknown need", catalogWith(feature("a", `needs = ["network.gateway"]`)), []string{`feature "a": needs "network.gateway", which is not a setting`}},
		{"no settings", catalogWith(feature("a", `settings = []`)), []string{`feature "a": lists no NixOS settings`}},
		{"bad id", catalogWith(feature("A b", "")), []string{`feature "A b": the id must be`}},
		{"preset above its max risk", catalogWith(feature("a", `risk = "high"`),
			"[[preset]]\nid = \"calm\"\nname = \"Calm\"\nphase = \"setup\"\nmax_risk = \"low\"\ndescription = \"x\"\nfeatures = [\"a\"]\n"),
			[]string{`preset "calm": "a" is high risk, above the preset's max_risk "low"`}},
		{"preset with a problem", catalogWith(feature("a", ""),
			"[[preset]]\nid = \"odd\"\nname = \"Odd\"\nphase = \"setup\"\nmax_risk = \"low\"\ndescription = \"x\"\nfeatures = [\"zz\"]\n"),
			[]string{`preset "odd": unknown feature "zz"`}},
		{"newer schema", []byte("schema = 2\n"), []string{"schema 2 is not the one this hv reads"}},
		{"corrupt TOML", []byte("schema = 1\n[[feature]\n"), []string{"line 2, column"}},
		{"a datetime", catalogWith(feature("a", ""), "when = 2026-11-26\n"), []string{"TOML date or time"}},
		{"unknown key", catalogWith(feature("a", ""), "colour = \"blue\"\n"), []string{`unknown key "feature.colour"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.data)
			if err == nil {
				t.Fatalf("accepted: %d features", len(c.Features()))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nlacks %q", err, w)
				}
			}
		})
	}
	if _, err := Load(catalogWith(feature("a", `requires = ["b"]`), feature("b", ""))); err != nil {
		t.Errorf("the valid base catalog is refused: %v", err)
	}
}
