// Package security holds hv's security model in pure Go: risk levels here,
// and in subpackages the feature catalog, phases, access and threats.
package security

import (
	"fmt"
	"strings"
)

// Risk is how much harm a feature or an action can do if it goes wrong or
// is abused, from Minimal to Critical.
type Risk int

const (
	Minimal Risk = iota
	Low
	Medium
	High
	Critical
)

// Risks lists every level from the least to the most dangerous.
var Risks = []Risk{Minimal, Low, Medium, High, Critical}

var riskNames = [...]string{"minimal", "low", "medium", "high", "critical"}

// String is the level's name as the catalog spells it: "medium".
func (r Risk) String() string {
	if r < Minimal || r > Critical {
		return fmt.Sprintf("risk(%d)", int(r))
	}
	return riskNames[r]
}

// Label is the level as a badge shows it, readable without colour: "MEDIUM".
func (r Risk) Label() string { return strings.ToUpper(r.String()) }

// ParseRisk reads a level's name.
func ParseRisk(s string) (Risk, error) {
	for i, n := range riskNames {
		if s == n {
			return Risk(i), nil
		}
	}
	return 0, fmt.Errorf("unknown risk level %q (the levels are %s)", s, strings.Join(riskNames[:], ", "))
}
