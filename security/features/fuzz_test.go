package features

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hyper-nixos/hv/nix"
)

// FuzzLoad: no catalog panics the loader, and a catalog it accepts can be
// resolved, scored and planned without panicking, whatever the selection.
// Seeds: the real and test catalogs, testdata/fuzz/FuzzLoad, and the
// broken catalogs of TestLoadRejects' shape below.
func FuzzLoad(f *testing.F) {
	f.Add(nix.CatalogTOML)
	if data, err := os.ReadFile(filepath.Join(nixTests, "test-catalog.toml")); err == nil {
		f.Add(data)
	}
	f.Add(catalogWith(feature("a", `requires = ["b"]`), feature("b", `requires = ["a"]`)))
	f.Add(catalogWith(feature("a", `conflicts = ["a"]`)))
	f.Add(catalogWith(feature("a", `requires = ["b"]`), feature("b", `phases = ["setup"]`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Load(data)
		if err != nil {
			return
		}
		var all []string
		for _, ft := range c.Features() {
			all = append(all, ft.ID)
		}
		for _, p := range c.Presets() {
			if r := c.Resolve(p.Features, p.Phase); !r.OK() {
				t.Fatalf("preset %s was accepted with problems: %v", p.ID, r.Err())
			}
		}
		for _, ph := range append(c.PhaseIDs(), "nowhere") {
			r := c.Resolve(append(all, "ghost"), ph)
			_ = r.Explain()
			_ = c.Score(r.Enabled)
			for _, id := range all[:min(len(all), 4)] {
				_ = c.Toggle(r, id)
			}
		}
	})
}
