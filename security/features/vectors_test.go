package features

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/hyper-nixos/hv/nix"
)

// The vectors live with the Nix files: nix/tests/vectors.toml.
var nixTests = filepath.Join("..", "..", "nix", "tests")

type vectorProblem struct {
	Kind     string   `toml:"kind"`
	Features []string `toml:"features"`
	Setting  string   `toml:"setting"`
	Message  string   `toml:"message"`
}

type vectors struct {
	Resolve []struct {
		Name     string              `toml:"name"`
		Catalog  string              `toml:"catalog"`
		Phase    string              `toml:"phase"`
		Select   []string            `toml:"select"`
		Enabled  []string            `toml:"enabled"`
		Because  map[string][]string `toml:"because"`
		Problems []vectorProblem     `toml:"problem"`
	} `toml:"resolve"`
	Host []struct {
		Name     string          `toml:"name"`
		TOML     string          `toml:"toml"`
		Problems []vectorProblem `toml:"problem"`
	} `toml:"host"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(nixTests, "vectors.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("vectors.toml: %v", err)
	}
	if len(v.Resolve) < 10 || len(v.Host) < 3 {
		t.Fatalf("only %d resolve and %d host vectors", len(v.Resolve), len(v.Host))
	}
	return v
}

func testCatalog(t testing.TB) *Catalog {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(nixTests, "test-catalog.toml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(data)
	if err != nil {
		t.Fatalf("the test catalog: %v", err)
	}
	return c
}

// asVector puts problems in the vectors' shape: empty lists, not nil.
func asVector(ps []Problem) []vectorProblem {
	out := []vectorProblem{}
	for _, p := range ps {
		f := p.Features
		if f == nil {
			f = []string{}
		}
		out = append(out, vectorProblem{string(p.Kind), f, p.Setting, p.Message})
	}
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// TestVectors is the Go half of "Go and Nix agree"; the Nix half is
// nix/tests/run.nix, run by TestNixAgrees in package nix.
func TestVectors(t *testing.T) {
	v := loadVectors(t)
	catalogs := map[string]*Catalog{"real": Builtin(), "test": testCatalog(t)}
	for _, tt := range v.Resolve {
		t.Run("resolve/"+tt.Name, func(t *testing.T) {
			r := catalogs[tt.Catalog].Resolve(tt.Select, tt.Phase)
			if !reflect.DeepEqual(orEmpty(r.Enabled), orEmpty(tt.Enabled)) {
				t.Errorf("enabled %v, want %v", r.Enabled, tt.Enabled)
			}
			want := tt.Because
			if want == nil {
				want = map[string][]string{}
			}
			if !reflect.DeepEqual(r.RequiredBy, want) {
				t.Errorf("because %v, want %v", r.RequiredBy, want)
			}
			if got := asVector(r.Problems); !reflect.DeepEqual(got, orEmpty(tt.Problems)) {
				t.Errorf("problems\n%+v\nwant\n%+v", got, tt.Problems)
			}
		})
	}
	for _, tt := range v.Host {
		t.Run("host/"+tt.Name, func(t *testing.T) {
			h, err := nix.DecodeHost([]byte(tt.TOML))
			if err != nil {
				t.Fatal(err)
			}
			if got := asVector(Builtin().CheckHost(h).Problems); !reflect.DeepEqual(got, orEmpty(tt.Problems)) {
				t.Errorf("problems\n%+v\nwant\n%+v", got, tt.Problems)
			}
		})
	}
}
