package nix

import (
	_ "embed"
)

// CatalogTOML is the feature catalog, nix/catalog.toml, as hv was built
// with it. The NixOS module reads the same file.
//
//go:embed catalog.toml
var CatalogTOML []byte

// CatalogSchema is the catalog format this hv understands.
const CatalogSchema = 1

// Catalog is catalog.toml as written, before validation.
type Catalog struct {
	Schema     int            `toml:"schema"`
	RiskPoints map[string]int `toml:"risk_points"`
	Phases     []PhaseSpec    `toml:"phase"`
	Categories []CategorySpec `toml:"category"`
	Features   []FeatureSpec  `toml:"feature"`
	Presets    []PresetSpec   `toml:"preset"`
}

// PhaseSpec is one [[phase]], listed from the most permissive to the strictest.
type PhaseSpec struct {
	ID          string `toml:"id"`
	Name        string `toml:"name"`
	Description string `toml:"description"`
	// Effects say in plain words what the phase itself sets on the host,
	// whatever the features; Settings are the NixOS options it sets
	// (nix/phases.nix; a test checks both agree).
	Effects  []string `toml:"effects"`
	Settings []string `toml:"settings"`
}

// CategorySpec is one [[category]].
type CategorySpec struct {
	ID          string `toml:"id"`
	Name        string `toml:"name"`
	Description string `toml:"description"`
}

// FeatureSpec is one [[feature]]; catalog.toml's header documents the fields.
type FeatureSpec struct {
	ID          string   `toml:"id"`
	Name        string   `toml:"name"`
	Category    string   `toml:"category"`
	Risk        string   `toml:"risk"`
	Description string   `toml:"description"`
	Impact      string   `toml:"impact"`
	Requires    []string `toml:"requires"`
	Conflicts   []string `toml:"conflicts"`
	Phases      []string `toml:"phases"`
	Needs       []string `toml:"needs"`
	Settings    []string `toml:"settings"`
	Caveat      string   `toml:"caveat"`
}

// PresetSpec is one [[preset]]: a starting selection by risk tolerance.
type PresetSpec struct {
	ID          string   `toml:"id"`
	Name        string   `toml:"name"`
	Phase       string   `toml:"phase"`
	MaxRisk     string   `toml:"max_risk"`
	Description string   `toml:"description"`
	Features    []string `toml:"features"`
}

// DecodeCatalog reads a catalog strictly: unknown keys, wrong types and
// TOML datetimes are errors with their line and column.
func DecodeCatalog(data []byte) (*Catalog, error) {
	var c Catalog
	if err := decodeStrict("the feature catalog", data, &c); err != nil {
		return nil, err
	}
	return &c, nil
}
