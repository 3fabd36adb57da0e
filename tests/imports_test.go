package tests

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/hyper-nixos/hv"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// packages lists every package of the module with its direct imports and
// all its dependencies, as the go command sees them.
func packages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json=ImportPath,Imports,Deps", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func rel(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, module), "/") }

func under(path, dir string) bool {
	r := rel(path)
	return r == dir || strings.HasPrefix(r, dir+"/")
}

// TestImportRules enforces the layering of docs/ARCHITECTURE.md.
func TestImportRules(t *testing.T) {
	for _, p := range packages(t) {
		name := rel(p.ImportPath)
		for _, imp := range p.Imports {
			switch {
			case imp == "libvirt.org/go/libvirt" && name != "vm/libvirt":
				t.Errorf("%s imports libvirt.org/go/libvirt: only vm/libvirt may", name)
			case strings.HasPrefix(imp, module+"/cmd"):
				t.Errorf("%s imports %s: nothing imports cmd", name, rel(imp))
			case under(p.ImportPath, "screens") && strings.HasPrefix(imp, module+"/"):
				allowed := false
				for _, dir := range []string{"ui", "vm", "security", "help", "nix"} {
					if under(imp, dir) && rel(imp) != "vm/libvirt" && rel(imp) != "vm/demo" && rel(imp) != "ui/app" {
						allowed = true
					}
				}
				if !allowed {
					t.Errorf("%s imports %s: screens may import only ui, vm, security, help and nix (never a backend or another screen)", name, rel(imp))
				}
			case under(p.ImportPath, "ui") && name != "ui/app" && under(imp, "screens"):
				t.Errorf("%s imports %s: only the root app's registry (ui/app) may import screens", name, rel(imp))
			}
		}
		// Domain packages, and help's logic, stay free of the TUI stack,
		// directly or not.
		if under(p.ImportPath, "vm") || under(p.ImportPath, "security") || under(p.ImportPath, "nix") || under(p.ImportPath, "help") {
			for _, dep := range p.Deps {
				if strings.HasPrefix(dep, "charm.land/") || strings.HasPrefix(dep, "github.com/charmbracelet/") {
					t.Errorf("%s depends on %s: domain code imports no Charm package", name, dep)
					break
				}
			}
		}
		// The Bubble Tea v1 stack must not creep in.
		for _, dep := range p.Deps {
			if dep == "github.com/charmbracelet/bubbletea" || dep == "github.com/charmbracelet/lipgloss" {
				t.Errorf("%s depends on %s (v1): use charm.land/*/v2", name, dep)
			}
		}
	}
}
