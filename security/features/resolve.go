package features

import (
	"fmt"
	"slices"
	"strings"
)

// Kind names a kind of problem; the names are shared with the Nix side.
type Kind string

const (
	UnknownFeature Kind = "unknown-feature"
	UnknownPhase   Kind = "unknown-phase"
	Conflicting    Kind = "conflict"
	PhaseRefused   Kind = "phase"
	MissingSetting Kind = "missing-setting"
	InvalidSetting Kind = "invalid-setting"
)

// Problem is one reason a selection cannot be applied. Message is the same
// text the NixOS module's assertion shows.
type Problem struct {
	Kind     Kind     `json:"kind"`
	Features []string `json:"features,omitempty"`
	Setting  string   `json:"setting,omitempty"`
	Message  string   `json:"message"`
}

// Resolution is what a selection of features means in a phase.
type Resolution struct {
	Phase    string
	Selected []string // what the operator chose, sorted, without duplicates
	Enabled  []string // Selected and everything it requires, sorted
	// RequiredBy lists, for each enabled feature, the enabled features that
	// require it directly: the reason it is on when not selected.
	RequiredBy map[string][]string
	Problems   []Problem
}

// OK reports whether the selection can be applied as it is.
func (r *Resolution) OK() bool { return len(r.Problems) == 0 }

// Err returns the problems as one error, or nil.
func (r *Resolution) Err() error {
	if r.OK() {
		return nil
	}
	return &ProblemsError{Problems: r.Problems}
}

// IsOn reports whether id is enabled.
func (r *Resolution) IsOn(id string) bool {
	_, found := slices.BinarySearch(r.Enabled, id)
	return found
}

// IsSelected reports whether the operator chose id (rather than it being
// pulled in by a requirement).
func (r *Resolution) IsSelected(id string) bool {
	_, found := slices.BinarySearch(r.Selected, id)
	return found
}

// Why explains one feature's state in a few words: "selected", "enabled
// because "a" requires it", or "off".
func (r *Resolution) Why(id string) string {
	switch {
	case !r.IsOn(id):
		return "off"
	case r.IsSelected(id):
		return "selected"
	}
	by := r.RequiredBy[id]
	verb := "requires"
	if len(by) > 1 {
		verb = "require"
	}
	return fmt.Sprintf("enabled because %s %s it", quoted(by), verb)
}

// Explain lists every decision: one line per enabled feature, then the
// problems.
func (r *Resolution) Explain() []string {
	lines := make([]string, 0, len(r.Enabled)+len(r.Problems))
	for _, id := range r.Enabled {
		lines = append(lines, id+": "+r.Why(id))
	}
	for _, p := range r.Problems {
		lines = append(lines, "problem: "+p.Message)
	}
	return lines
}

// ProblemsError is a selection that cannot be applied.
type ProblemsError struct{ Problems []Problem }

func (e *ProblemsError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0].Message
	}
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return fmt.Sprintf("%d problems: %s", len(e.Problems), strings.Join(msgs, "; "))
}

// Fix says what to do, for the footer and the CLI.
func (e *ProblemsError) Fix() string {
	return "'hv features show ID' explains a feature, its requirements and conflicts"
}

// Resolve works out what a selection means in a phase: the dependency
// closure, with why each feature is on, and every problem: unknown ids, an
// unknown phase, conflicting pairs, features the phase does not allow.
// It never fails; an empty Problems list means the selection is valid.
func (c *Catalog) Resolve(selected []string, phase string) *Resolution {
	r := &Resolution{Phase: phase, Selected: sortedUnique(selected), RequiredBy: map[string][]string{}}
	for _, id := range r.Selected {
		if _, ok := c.byID[id]; !ok {
			r.Problems = append(r.Problems, Problem{Kind: UnknownFeature, Features: []string{id},
				Message: fmt.Sprintf(`unknown feature "%s": 'hv features list' shows the known ones`, id)})
		}
	}
	r.Enabled = c.Closure(r.Selected...)
	for _, id := range r.Enabled {
		for _, req := range c.byID[id].Requires {
			r.RequiredBy[req] = append(r.RequiredBy[req], id)
		}
	}
	for _, by := range r.RequiredBy {
		slices.Sort(by)
	}
	if _, ok := c.Phase(phase); !ok {
		r.Problems = append(r.Problems, Problem{Kind: UnknownPhase,
			Message: fmt.Sprintf(`unknown phase "%s": the phases are %s`, phase, strings.Join(c.PhaseIDs(), ", "))})
	}
	for i, a := range r.Enabled {
		for _, b := range r.Enabled[i+1:] {
			if c.Conflict(a, b) {
				r.Problems = append(r.Problems, Problem{Kind: Conflicting, Features: []string{a, b},
					Message: fmt.Sprintf(`"%s"%s conflicts with "%s"%s: turn one of them off`, a, r.pulledBy(a), b, r.pulledBy(b))})
			}
		}
	}
	if _, ok := c.Phase(phase); ok {
		for _, id := range r.Enabled {
			if f := c.byID[id]; !f.AllowedIn(phase) {
				r.Problems = append(r.Problems, Problem{Kind: PhaseRefused, Features: []string{id},
					Message: fmt.Sprintf(`"%s"%s is not allowed in the %s phase (allowed in: %s)`, id, r.pulledBy(id), phase, strings.Join(f.Phases, ", "))})
			}
		}
	}
	return r
}

// pulledBy is ` (required by "a", "b")` for a feature that is on only
// because others need it, else "".
func (r *Resolution) pulledBy(id string) string {
	if r.IsSelected(id) {
		return ""
	}
	return " (required by " + quoted(r.RequiredBy[id]) + ")"
}
