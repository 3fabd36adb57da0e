package apply

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/features"
)

type fixture struct {
	dir                     string
	staged, install, result string
	rebuilt                 [][]string
	rebuild                 func() ([]byte, error)
}

func newFixture(t *testing.T, installed *nix.Host) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, staged: filepath.Join(dir, "staged.toml"), install: filepath.Join(dir, "host.toml"),
		result: filepath.Join(dir, "last-apply.json"), rebuild: func() ([]byte, error) { return []byte("building...\ndone\n"), nil }}
	if installed != nil {
		data, err := nix.EncodeHost(installed)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(f.install, data, 0o644)
	}
	return f
}

// stage writes h as an operator would: a file the group may write, so
// not one only root can have written (the tests' uid stands for root).
func (f *fixture) stage(t *testing.T, h *nix.Host) []byte { return f.stageAs(t, h, 0o660) }

// stageAsRoot writes h as root's own: nobody else may write it, and it
// says root staged it.
func (f *fixture) stageAsRoot(t *testing.T, h *nix.Host) []byte {
	h.Meta.UpdatedBy = "root"
	return f.stageAs(t, h, 0o640)
}

// stageByDaemon writes h as the hv daemon stages an operator's change:
// root's file, stamped with the operator's name.
func (f *fixture) stageByDaemon(t *testing.T, h *nix.Host, operator string) []byte {
	h.Meta.UpdatedBy = operator
	return f.stageAs(t, h, 0o640)
}

func (f *fixture) stageAs(t *testing.T, h *nix.Host, perm os.FileMode) []byte {
	t.Helper()
	data, err := nix.EncodeHost(h)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(f.staged)
	if err := os.WriteFile(f.staged, data, perm); err != nil {
		t.Fatal(err)
	}
	os.Chmod(f.staged, perm) // whatever the umask
	return data
}

func (f *fixture) run(t *testing.T) (*nix.ApplyResult, error) {
	t.Helper()
	r, err := Run(context.Background(), Options{
		Staged: f.staged, Install: f.install, Result: f.result,
		Rebuild: []string{"nixos-rebuild", "switch"}, Catalog: features.Builtin(),
		Audit: audit.Open(filepath.Join(f.dir, "audit.log")), RootUID: os.Getuid(),
		Now: func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) },
		Run: func(_ context.Context, argv []string) ([]byte, error) {
			f.rebuilt = append(f.rebuilt, argv)
			return f.rebuild()
		},
	})
	// The result file always says the same as the return value.
	onDisk, rerr := nix.ReadApplyResult(f.result)
	if rerr != nil || onDisk == nil || !reflect.DeepEqual(onDisk, r) {
		t.Errorf("result file %+v (%v), returned %+v", onDisk, rerr, r)
	}
	return r, err
}

func fileIs(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != string(want) {
		t.Errorf("%s holds\n%s\n(%v), want\n%s", filepath.Base(path), got, err, want)
	}
}

func hostWith(phase string, feats ...string) *nix.Host {
	h := nix.NewHost(phase, feats)
	h.Operators.Users = []string{"alice"}
	return h
}

func TestApplyInstallsRebuildsAndClearsTheStage(t *testing.T) {
	f := newFixture(t, hostWith("setup", "ssh"))
	staged := f.stage(t, hostWith("hardened", "ssh", "audit"))
	r, err := f.run(t)
	if err != nil || r.Status != nix.ApplyApplied {
		t.Fatalf("%+v, %v", r, err)
	}
	fileIs(t, f.install, staged)
	if _, err := os.Stat(f.staged); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the staged file should be gone once applied: %v", err)
	}
	if !reflect.DeepEqual(f.rebuilt, [][]string{{"nixos-rebuild", "switch"}}) {
		t.Errorf("rebuild ran %v", f.rebuilt)
	}
	if !reflect.DeepEqual(r.Output, []string{"building...", "done"}) || r.StagedSHA256 == "" || r.Started != "2026-11-26T12:00:00Z" {
		t.Errorf("result %+v", r)
	}
}

// TestApplyRefusals: nothing is installed or rebuilt, and the result says why.
func TestApplyRefusals(t *testing.T) {
	applied := hostWith("hardened", "ssh")
	tests := []struct {
		name      string
		installed *nix.Host
		staged    func(f *fixture, t *testing.T)
		status    string
		want      string
	}{
		{"nothing staged", applied, func(*fixture, *testing.T) {}, nix.ApplyNothing, "nothing is staged"},
		{"corrupt staged file", applied, func(f *fixture, t *testing.T) { os.WriteFile(f.staged, []byte("version = 1\nphase = [\n"), 0o660) },
			nix.ApplyInvalid, "line 2"},
		{"unknown feature", applied, func(f *fixture, t *testing.T) { f.stage(t, hostWith("hardened", "ssh", "warp-drive")) },
			nix.ApplyInvalid, `unknown feature "warp-drive"`},
		{"conflict", applied, func(f *fixture, t *testing.T) { f.stage(t, hostWith("hardened", "usbguard", "usb-passthrough")) },
			nix.ApplyInvalid, `"usb-passthrough" conflicts with "usbguard"`},
		{"a feature the phase refuses", applied, func(f *fixture, t *testing.T) { f.stage(t, hostWith("hardened", "web-admin")) },
			nix.ApplyInvalid, "not allowed in the hardened phase"},
		{"a missing setting", applied, func(f *fixture, t *testing.T) { f.stage(t, hostWith("hardened", "bridge-uplink")) },
			nix.ApplyInvalid, "needs network.uplink"},
		{"leaving the hardened phase", applied, func(f *fixture, t *testing.T) { f.stage(t, hostWith("setup", "ssh")) },
			nix.ApplyRefused, "leaving the hardened phase for setup needs root"},
		{"adding an operator", applied, func(f *fixture, t *testing.T) {
			h := hostWith("hardened", "ssh")
			h.Operators.Users = append(h.Operators.Users, "mallory")
			f.stage(t, h)
		}, nix.ApplyRefused, "changing who is an operator needs root"},
		{"a first host file naming operators, staged by an operator", nil, func(f *fixture, t *testing.T) { f.stage(t, hostWith("setup", "ssh")) },
			nix.ApplyRefused, "changing who is an operator needs root"},
		{"an unreadable installed host file", nil, func(f *fixture, t *testing.T) {
			os.WriteFile(f.install, []byte("version = 1\nphase = ["), 0o644)
			f.stage(t, hostWith("setup", "ssh"))
		}, nix.ApplyRefused, "root must repair it"},
		{"turning hardening off while hardened", hostWith("hardened", "ssh", "sysctl-hardening"), func(f *fixture, t *testing.T) {
			f.stage(t, hostWith("hardened", "ssh"))
		}, nix.ApplyRefused, `turning off "sysctl-hardening" in the hardened phase needs root`},
		{"leaving the hardened phase in a file root owns but others may write", applied, func(f *fixture, t *testing.T) {
			f.stageAs(t, hostWith("setup", "ssh"), 0o666)
		}, nix.ApplyRefused, "leaving the hardened phase for setup needs root"},
		{"hardening with no operators", hostWith("setup", "ssh"), func(f *fixture, t *testing.T) {
			h := hostWith("hardened", "ssh")
			h.Operators.Users = nil
			f.stageAsRoot(t, h)
		}, nix.ApplyRefused, "has no users"},
		{"hardening with a tampered audit trail", hostWith("setup", "ssh"), func(f *fixture, t *testing.T) {
			log := audit.Open(filepath.Join(f.dir, "audit.log"))
			for _, a := range []string{"vm.start", "vm.destroy"} {
				log.Append(audit.Entry{User: "alice", Action: a, Target: "web", Result: audit.OK})
			}
			data, _ := os.ReadFile(log.Path)
			os.WriteFile(log.Path, []byte(strings.Replace(string(data), "vm.destroy", "vm.start", 1)), 0o640)
			f.stage(t, hostWith("hardened", "ssh"))
		}, nix.ApplyRefused, "entry 2 was edited"},
		{"a symlink instead of a staged file", applied, func(f *fixture, t *testing.T) {
			target := filepath.Join(f.dir, "elsewhere.toml")
			data, _ := nix.EncodeHost(hostWith("hardened", "ssh"))
			os.WriteFile(target, data, 0o644)
			os.Symlink(target, f.staged)
		}, nix.ApplyInvalid, "cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.installed)
			tt.staged(f, t)
			before, _ := os.ReadFile(f.install)
			r, err := f.run(t)
			if (err == nil) != (tt.status == nix.ApplyNothing) || r.Status != tt.status {
				t.Errorf("status %q (%v), want %q", r.Status, err, tt.status)
			}
			if all := r.Message + " " + strings.Join(r.Problems, " "); !strings.Contains(all, tt.want) {
				t.Errorf("result %q lacks %q", all, tt.want)
			}
			if len(f.rebuilt) != 0 {
				t.Errorf("rebuilt anyway: %v", f.rebuilt)
			}
			if tt.installed != nil || before != nil {
				fileIs(t, f.install, before)
			} else if _, err := os.Stat(f.install); err == nil {
				t.Error("a refused first install left a host file")
			}
		})
	}
}

func TestFailedRebuildRestoresThePreviousHostFile(t *testing.T) {
	f := newFixture(t, hostWith("setup", "ssh"))
	before, _ := os.ReadFile(f.install)
	f.stage(t, hostWith("setup", "ssh", "ksm"))
	var out strings.Builder
	for i := range 60 {
		out.WriteString("line ")
		out.WriteString(strings.Repeat("x", i))
		out.WriteString("\n")
	}
	out.WriteString("error: attribute 'ksm' missing\n")
	f.rebuild = func() ([]byte, error) { return []byte(out.String()), errors.New("exit status 1") }
	r, err := f.run(t)
	if err == nil || r.Status != nix.ApplyFailed || !strings.Contains(r.Message, "previous host file is back") {
		t.Fatalf("%+v, %v", r, err)
	}
	fileIs(t, f.install, before)
	if len(r.Output) != OutputLines || r.Output[len(r.Output)-1] != "error: attribute 'ksm' missing" {
		t.Errorf("output kept: %d lines, last %q", len(r.Output), r.Output[len(r.Output)-1])
	}
	if _, err := os.Stat(f.staged); err != nil {
		t.Errorf("a failed apply must leave the staged file for another try: %v", err)
	}
}

// TestRootMayDoWhatOperatorsMayNot: a staged file only root can have
// written may leave the hardened phase and change the operators; the first
// host file of a host may name its operators when root wrote it.
func TestRootMayDoWhatOperatorsMayNot(t *testing.T) {
	f := newFixture(t, hostWith("hardened", "ssh", "sysctl-hardening"))
	down := hostWith("setup", "ssh")
	down.Operators.Users = []string{"alice", "bob"}
	staged := f.stageAsRoot(t, down)
	if r, err := f.run(t); err != nil || r.Status != nix.ApplyApplied {
		t.Fatalf("root leaving the hardened phase: %+v, %v", r, err)
	}
	fileIs(t, f.install, staged)

	first := newFixture(t, nil)
	staged = first.stageAsRoot(t, hostWith("hardened", "ssh", "audit"))
	if r, err := first.run(t); err != nil || r.Status != nix.ApplyApplied {
		t.Fatalf("root's first host file, hardened at once: %+v, %v", r, err)
	}
	fileIs(t, first.install, staged)
}

// TestTheDaemonsStageIsTheOperators: a file the hv daemon staged for an
// operator is root's on disk, but the operator's change: what only root
// may do is refused.
func TestTheDaemonsStageIsTheOperators(t *testing.T) {
	f := newFixture(t, hostWith("hardened", "ssh", "sysctl-hardening"))
	f.stageByDaemon(t, hostWith("setup", "ssh"), "alice")
	r, err := f.run(t)
	if err == nil || r.Status != nix.ApplyRefused || !strings.Contains(strings.Join(r.Problems, " "), "needs root") {
		t.Fatalf("an operator's stage leaving the hardened phase, written by the daemon: %+v, %v", r, err)
	}
}

// TestFailedFirstRebuildRemovesTheNewHostFile: with no host file before,
// a failed rebuild leaves none, so the first-boot wizard runs again.
func TestFailedFirstRebuildRemovesTheNewHostFile(t *testing.T) {
	f := newFixture(t, nil)
	f.stageAsRoot(t, hostWith("setup", "ssh"))
	f.rebuild = func() ([]byte, error) { return []byte("error: no space\n"), errors.New("exit status 1") }
	r, err := f.run(t)
	if err == nil || r.Status != nix.ApplyFailed || !strings.Contains(r.Message, "removed again") {
		t.Fatalf("%+v, %v", r, err)
	}
	if _, err := os.Stat(f.install); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the new host file should be gone: %v", err)
	}
}
