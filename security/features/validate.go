package features

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security"
)

// CatalogError is one thing wrong with a catalog, naming what it is about.
type CatalogError struct {
	Subject string // `feature "vfio"`, `preset "paranoid"`, `the catalog`
	Problem string
}

func (e *CatalogError) Error() string { return "catalog: " + e.Subject + ": " + e.Problem }

var (
	idPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	settingPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_"<>-]+)*$`)
)

// checker collects catalog problems in the order they are found.
type checker struct{ errs []error }

func (k *checker) add(subject, format string, args ...any) {
	k.errs = append(k.errs, &CatalogError{Subject: subject, Problem: fmt.Sprintf(format, args...)})
}

// build validates raw and turns it into a Catalog.
func build(raw *nix.Catalog, schema *nix.HostSchema) (*Catalog, error) {
	k := &checker{}
	c := &Catalog{byID: map[string]*Feature{}, schema: schema}
	if raw.Schema != nix.CatalogSchema {
		k.add("the catalog", "schema %d is not the one this hv reads (%d)", raw.Schema, nix.CatalogSchema)
		return nil, errors.Join(k.errs...)
	}
	c.checkPoints(k, raw.RiskPoints)
	c.checkPhases(k, raw.Phases)
	c.checkCategories(k, raw.Categories)
	c.checkFeatures(k, raw.Features)
	if len(k.errs) == 0 {
		c.checkGraph(k)
	}
	if len(k.errs) == 0 {
		c.checkPresets(k, raw.Presets)
	}
	if len(k.errs) > 0 {
		return nil, errors.Join(k.errs...)
	}
	return c, nil
}

func (c *Catalog) checkPoints(k *checker, points map[string]int) {
	prev := -1
	for _, r := range riskLevels {
		p, ok := points[r.String()]
		switch {
		case !ok:
			k.add("risk_points", "no points for risk %q", r)
		case p < prev:
			k.add("risk_points", "%q gives fewer points (%d) than a lower risk (%d)", r, p, prev)
		}
		c.points[r], prev = p, max(prev, p)
	}
	for name := range points {
		if _, err := security.ParseRisk(name); err != nil {
			k.add("risk_points", "%v", err)
		}
	}
}

func (c *Catalog) checkPhases(k *checker, phases []nix.PhaseSpec) {
	if len(phases) == 0 {
		k.add("the catalog", "no [[phase]]: at least one phase is needed")
	}
	for i, p := range phases {
		subject := fmt.Sprintf("phase %q", p.ID)
		switch {
		case !idPattern.MatchString(p.ID):
			k.add(subject, "the id must be lower-case letters, digits and -")
		case slices.ContainsFunc(c.phases, func(q Phase) bool { return q.ID == p.ID }):
			k.add(subject, "listed twice")
		}
		if p.Name == "" || p.Description == "" {
			k.add(subject, "needs a name and a description")
		}
		if (len(p.Effects) == 0) != (len(p.Settings) == 0) {
			k.add(subject, "says what it sets in effects and lists the NixOS options in settings, both or neither")
		}
		c.phases = append(c.phases, Phase{ID: p.ID, Name: p.Name, Description: p.Description, Rank: i,
			Effects: p.Effects, Settings: p.Settings})
	}
}

func (c *Catalog) checkCategories(k *checker, cats []nix.CategorySpec) {
	for _, cat := range cats {
		subject := fmt.Sprintf("category %q", cat.ID)
		if !idPattern.MatchString(cat.ID) {
			k.add(subject, "the id must be lower-case letters, digits and -")
		}
		if slices.ContainsFunc(c.categories, func(x Category) bool { return x.ID == cat.ID }) {
			k.add(subject, "listed twice")
		}
		if cat.Name == "" {
			k.add(subject, "needs a name")
		}
		c.categories = append(c.categories, Category(cat))
	}
}

func (c *Catalog) checkFeatures(k *checker, specs []nix.FeatureSpec) {
	if len(specs) == 0 {
		k.add("the catalog", "no [[feature]]")
	}
	for _, s := range specs {
		subject := fmt.Sprintf("feature %q", s.ID)
		if !idPattern.MatchString(s.ID) {
			k.add(subject, "the id must be lower-case letters, digits and -")
		}
		if _, dup := c.byID[s.ID]; dup {
			k.add(subject, "listed twice")
		}
		risk, err := security.ParseRisk(s.Risk)
		if err != nil {
			k.add(subject, "%v", err)
		}
		if s.Name == "" || s.Description == "" || s.Impact == "" {
			k.add(subject, "needs a name, a description and an impact")
		}
		if !slices.ContainsFunc(c.categories, func(x Category) bool { return x.ID == s.Category }) {
			k.add(subject, "category %q is not a [[category]] of the catalog", s.Category)
		}
		if len(s.Phases) == 0 {
			k.add(subject, "no phase allows it: list at least one in phases")
		}
		for _, p := range s.Phases {
			if _, ok := c.Phase(p); !ok {
				k.add(subject, "phase %q is not a [[phase]] of the catalog", p)
			}
		}
		for _, list := range []struct {
			name string
			ids  []string
		}{{"requires", s.Requires}, {"conflicts", s.Conflicts}, {"phases", s.Phases}, {"needs", s.Needs}, {"settings", s.Settings}} {
			if len(sortedUnique(list.ids)) != len(list.ids) {
				k.add(subject, "%s lists an entry twice", list.name)
			}
		}
		if contains(s.Requires, s.ID) {
			k.add(subject, "requires itself")
		}
		if contains(s.Conflicts, s.ID) {
			k.add(subject, "conflicts with itself")
		}
		for _, n := range s.Needs {
			if _, ok := c.schema.Setting(n); !ok {
				k.add(subject, "needs %q, which is not a setting of the host-file schema (nix/host-schema.toml)", n)
			}
		}
		if len(s.Settings) == 0 {
			k.add(subject, "lists no NixOS settings: every feature must say what it turns on")
		}
		for _, st := range s.Settings {
			if !settingPattern.MatchString(st) {
				k.add(subject, "setting %q is not a NixOS option path such as boot.kernelParams", st)
			}
		}
		c.byID[s.ID] = &Feature{ID: s.ID, Name: s.Name, Category: s.Category, Risk: risk,
			Description: s.Description, Impact: s.Impact, Caveat: s.Caveat,
			Requires: s.Requires, Conflicts: s.Conflicts, Phases: s.Phases, Needs: s.Needs, Settings: s.Settings}
		c.features = append(c.features, c.byID[s.ID])
	}
	// References are checked once every id is known.
	for _, f := range c.features {
		for _, list := range []struct {
			name string
			ids  []string
		}{{"requires", f.Requires}, {"conflicts", f.Conflicts}} {
			for _, id := range list.ids {
				if _, ok := c.byID[id]; !ok {
					k.add(fmt.Sprintf("feature %q", f.ID), "%s %q, which is not in the catalog", list.name, id)
				}
			}
		}
	}
}

// checkGraph finds what makes a feature impossible to enable: a cycle of
// requirements, a conflict with its own requirements, or a phase that one
// of its requirements does not allow.
func (c *Catalog) checkGraph(k *checker) {
	reported := map[string]bool{}
	for _, f := range c.features {
		if path := c.cycleThrough(f.ID); path != nil {
			members := sortedUnique(path)
			if key := strings.Join(members, " "); !reported[key] {
				reported[key] = true
				k.add(fmt.Sprintf("feature %q", f.ID), "requires itself through %s: a cycle of requirements", strings.Join(path, " -> "))
			}
		}
	}
	if len(k.errs) > 0 {
		return // closures are not meaningful on a cyclic graph
	}
	for _, f := range c.features {
		closure := c.Closure(f.ID)
		for _, a := range closure {
			for _, b := range closure {
				if a < b && c.Conflict(a, b) {
					k.add(fmt.Sprintf("feature %q", f.ID), "can never be enabled: it needs both %q and %q, which conflict", a, b)
				}
			}
		}
		for _, p := range f.Phases {
			for _, r := range closure {
				if !c.byID[r].AllowedIn(p) {
					k.add(fmt.Sprintf("feature %q", f.ID), "is allowed in the %s phase, but it requires %q, which is not", p, r)
				}
			}
		}
	}
}

// cycleThrough returns a path id -> ... -> id along requires, or nil.
func (c *Catalog) cycleThrough(id string) []string {
	parent := map[string]string{}
	queue := []string{}
	for _, r := range c.byID[id].Requires {
		if _, seen := parent[r]; !seen {
			parent[r] = id
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == id {
			path := []string{id}
			for p := parent[id]; p != id; p = parent[p] {
				path = append(path, p)
			}
			path = append(path, id)
			slices.Reverse(path)
			return path
		}
		for _, r := range c.byID[cur].Requires {
			if _, seen := parent[r]; !seen {
				parent[r] = cur
				queue = append(queue, r)
			}
		}
	}
	return nil
}

func (c *Catalog) checkPresets(k *checker, presets []nix.PresetSpec) {
	for _, p := range presets {
		subject := fmt.Sprintf("preset %q", p.ID)
		if slices.ContainsFunc(c.presets, func(q Preset) bool { return q.ID == p.ID }) {
			k.add(subject, "listed twice")
		}
		maxRisk, err := security.ParseRisk(p.MaxRisk)
		if err != nil {
			k.add(subject, "max_risk: %v", err)
		}
		res := c.Resolve(p.Features, p.Phase)
		for _, pr := range res.Problems {
			k.add(subject, "%s", pr.Message)
		}
		for _, id := range res.Enabled {
			if f := c.byID[id]; f.Risk > maxRisk {
				k.add(subject, "%q is %s risk, above the preset's max_risk %q", id, f.Risk, maxRisk)
			}
		}
		c.presets = append(c.presets, Preset{ID: p.ID, Name: p.Name, Description: p.Description,
			Phase: p.Phase, MaxRisk: maxRisk, Features: p.Features})
	}
}
