package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/tests/need"
)

// TestWizardOnANewHost is a newcomer setting up a host that has no host
// file yet, on a bare Linux console (TERM=linux, 80x24): every step of the
// wizard, an interruption in the middle and the resumption, to a staged
// host file that hv's checks accept and Nix's builtins.fromTOML reads.
func TestWizardOnANewHost(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	staged := filepath.Join(dir, "lib", "staged", "host.toml")
	os.MkdirAll(filepath.Dir(staged), 0o770)
	env := []string{
		nix.HostFileEnv + "=" + filepath.Join(dir, "etc", "host.toml"), // none yet: a new host
		nix.StateDirEnv + "=" + filepath.Join(dir, "lib"),
		"HV_AUDIT_LOG=" + filepath.Join(dir, "audit.log"),
	}
	start := func() *terminal {
		return runWithEnv(t, state, env, "linux", 80, 24, "wizard", "--connect", "test:///default")
	}
	tm := start()
	tm.waitFor("This host has no host file yet")
	tm.keys("Enter")
	checks := tm.waitFor("2/9 Host checks")
	for _, want := range []string{"CPU virtualisation", "IOMMU", "KVM", "libvirt: test:///default answers, read-write"} {
		if !strings.Contains(checks, want) {
			t.Errorf("the host checks lack %q:\n%s", want, checks)
		}
	}
	tm.keys("Enter")
	tm.waitFor("3/9 Operators")
	tm.keys("Tab", "ops!")
	tm.waitFor(`"ops!" is not a user name`)
	tm.keys("BSpace", "Enter")
	tm.waitFor("4/9 Network")
	tm.keys("C-c") // interrupted

	tm = start()
	s := tm.waitFor("Resumed where you left off")
	if !strings.Contains(s, "4/9 Network") {
		t.Fatalf("the wizard should resume at the network step:\n%s", s)
	}
	tm.keys("Escape")
	if s := tm.waitFor("3/9 Operators"); !strings.Contains(s, "Users  ops") {
		t.Errorf("the answers are kept:\n%s", s)
	}
	tm.keys("Enter", "Enter") // operators, network (NAT)
	tm.waitFor("5/9 Storage")
	tm.keys("Enter")
	tm.waitFor("6/9 Feature preset")
	tm.keys("Enter") // cautious
	tm.waitFor("7/9 Review the risk")
	tm.keys("Enter")
	tm.waitFor("8/9 Security phase")
	tm.keys("Enter") // hardened, as the preset suggests; the pre-checks pass
	summary := tm.waitFor("9/9 Summary")
	for _, want := range []string{"A new host file", "+ phase = 'hardened'", "Press enter to write"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, summary)
		}
	}
	for _, r := range summary {
		if r > 0x7e && r != '\n' {
			t.Errorf("TERM=linux screen holds %q, which the console font may lack:\n%s", r, summary)
			break
		}
	}
	tm.keys("Enter")
	// No systemd here: the file is staged, and the wizard says how root applies it.
	done := tm.waitFor("Staged")
	if !strings.Contains(done, "did not start") || !strings.Contains(done, "hv apply --staged") {
		t.Errorf("without an apply service the wizard should say how root applies it:\n%s", done)
	}

	h, _, err := nix.ReadHost(staged)
	if err != nil {
		t.Fatalf("the wizard staged no readable host file: %v", err)
	}
	if r := features.Builtin().CheckHost(h); !r.OK() {
		t.Errorf("hv's checks refuse the staged file: %v", r.Problems)
	}
	if h.Phase != "hardened" || strings.Join(h.Operators.Users, ",") != "ops" {
		t.Errorf("staged %+v", h)
	}
	fromNix := nixReads(t, staged)
	if fromNix["phase"] != "hardened" || fromNix["version"] != 1.0 || len(fromNix["features"].([]any)) != len(h.Features) {
		t.Errorf("builtins.fromTOML read %v", fromNix)
	}
	if _, err := os.Stat(filepath.Join(state, "hv", "wizard.json")); !os.IsNotExist(err) {
		t.Errorf("the saved answers should be gone once the file is staged: %v", err)
	}
}

// nixReads reads a TOML file with Nix's builtins.fromTOML, as the NixOS
// module does.
func nixReads(t *testing.T, path string) map[string]any {
	t.Helper()
	bin := need.Tool(t, "nix-instantiate", "Debian: apt-get install nix-bin; without it Nix does not read the wizard's file")
	cmd := exec.Command(bin, "--eval", "--strict", "--json", "-E", "builtins.fromTOML (builtins.readFile "+path+")")
	cmd.Env = append(os.Environ(), "NIX_CONFIG=build-users-group =")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("builtins.fromTOML refuses the wizard's host file: %v\n%s", err, stderr)
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	return v
}
