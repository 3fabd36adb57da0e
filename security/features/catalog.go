// Package features is the meaning of the feature catalog: it validates the
// catalog, resolves an operator's selection (dependencies, conflicts,
// phase limits) with a reason for every decision, scores its risk, plans
// changes, and checks a host file the way the NixOS module does.
//
// The rules mirror nix/lib/resolve.nix rule for rule; shared test vectors
// (nix/tests/vectors.toml) keep the two in agreement.
package features

import (
	"sync"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security"
)

// Feature is one validated catalog entry.
type Feature struct {
	ID, Name, Category string
	Risk               security.Risk
	Description        string
	Impact             string // its security impact, in plain words
	Caveat             string // what it does not do (yet); may be empty
	Requires           []string
	Conflicts          []string
	Phases             []string // the phases that allow it
	Needs              []string // host-file settings it cannot work without
	Settings           []string // the NixOS options its implementation sets
}

// AllowedIn reports whether phase allows the feature.
func (f *Feature) AllowedIn(phase string) bool { return contains(f.Phases, phase) }

// Category groups features on screen.
type Category struct{ ID, Name, Description string }

// Phase is a security phase; Rank orders them from permissive (0) up.
// Effects and Settings are what the phase itself sets on NixOS.
type Phase struct {
	ID, Name, Description string
	Rank                  int
	Effects, Settings     []string
}

// Preset is a starting selection for a risk tolerance.
type Preset struct {
	ID, Name, Description, Phase string
	MaxRisk                      security.Risk
	Features                     []string
}

// Catalog is a validated feature catalog. It is read-only once loaded.
type Catalog struct {
	features   []*Feature
	byID       map[string]*Feature
	categories []Category
	phases     []Phase
	presets    []Preset
	points     [security.Critical + 1]int
	schema     *nix.HostSchema
}

var riskLevels = security.Risks

// Load decodes and validates a catalog. Every problem found is reported,
// each naming the feature (or phase, category, preset) at fault.
func Load(data []byte) (*Catalog, error) {
	raw, err := nix.DecodeCatalog(data)
	if err != nil {
		return nil, err
	}
	return build(raw, nix.BuiltinHostSchema())
}

// Builtin is the catalog hv was built with (nix/catalog.toml). Its tests
// guarantee it loads; a broken one is a build mistake and panics.
var Builtin = sync.OnceValue(func() *Catalog {
	c, err := Load(nix.CatalogTOML)
	if err != nil {
		panic("the built-in feature catalog is invalid: " + err.Error())
	}
	return c
})

// Features returns every feature in catalog order.
func (c *Catalog) Features() []*Feature { return c.features }

// Feature returns the feature with that id.
func (c *Catalog) Feature(id string) (*Feature, bool) {
	f, ok := c.byID[id]
	return f, ok
}

// Categories returns the categories in catalog order.
func (c *Catalog) Categories() []Category { return c.categories }

// CategoryName returns the display name of a category id.
func (c *Catalog) CategoryName(id string) string {
	for _, cat := range c.categories {
		if cat.ID == id {
			return cat.Name
		}
	}
	return id
}

// InCategory returns the features of a category in catalog order.
func (c *Catalog) InCategory(id string) []*Feature {
	var out []*Feature
	for _, f := range c.features {
		if f.Category == id {
			out = append(out, f)
		}
	}
	return out
}

// Phases returns the phases from the most permissive to the strictest.
func (c *Catalog) Phases() []Phase { return c.phases }

// Phase returns the phase with that id.
func (c *Catalog) Phase(id string) (Phase, bool) {
	for _, p := range c.phases {
		if p.ID == id {
			return p, true
		}
	}
	return Phase{}, false
}

// PhaseIDs lists the phase ids in order.
func (c *Catalog) PhaseIDs() []string {
	ids := make([]string, len(c.phases))
	for i, p := range c.phases {
		ids[i] = p.ID
	}
	return ids
}

// Presets returns the presets in catalog order.
func (c *Catalog) Presets() []Preset { return c.presets }

// Preset returns the preset with that id.
func (c *Catalog) Preset(id string) (Preset, bool) {
	for _, p := range c.presets {
		if p.ID == id {
			return p, true
		}
	}
	return Preset{}, false
}

// Points is what a feature of risk r adds to the risk score.
func (c *Catalog) Points(r security.Risk) int { return c.points[r] }

// Conflict reports whether a and b conflict; conflicts go both ways
// whichever side declares them.
func (c *Catalog) Conflict(a, b string) bool {
	fa, okA := c.byID[a]
	fb, okB := c.byID[b]
	return okA && okB && (contains(fa.Conflicts, b) || contains(fb.Conflicts, a))
}

// ConflictsOf lists every feature that conflicts with id, in catalog order.
func (c *Catalog) ConflictsOf(id string) []string {
	var out []string
	for _, f := range c.features {
		if f.ID != id && c.Conflict(id, f.ID) {
			out = append(out, f.ID)
		}
	}
	return out
}

// RequiredBy lists the features that directly require id, in catalog order.
func (c *Catalog) RequiredBy(id string) []string {
	var out []string
	for _, f := range c.features {
		if contains(f.Requires, id) {
			out = append(out, f.ID)
		}
	}
	return out
}

// Closure returns ids and everything they require, directly or not,
// sorted. Unknown ids are left out.
func (c *Catalog) Closure(ids ...string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(id string) {
		f, ok := c.byID[id]
		if !ok || seen[id] {
			return
		}
		seen[id] = true
		for _, r := range f.Requires {
			walk(r)
		}
	}
	for _, id := range ids {
		walk(id)
	}
	return sortedKeys(seen)
}

// HostSchema is the host-file schema the catalog was checked against.
func (c *Catalog) HostSchema() *nix.HostSchema { return c.schema }
