package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/nix"
)

// demoInPhase prepares the demo's private host contract with the given
// phase, as if the demo host ran it.
func demoInPhase(t *testing.T, p string) {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("LIBVIRT_DEFAULT_URI", "")
	paths, err := nix.PrepareDir(filepath.Join(stateDir(), "demo"), content.DemoHostTOML)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(paths.Host)
	data = []byte(strings.Replace(string(data), `phase = "setup"`, `phase = "`+p+`"`, 1))
	if err := os.WriteFile(paths.Host, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// asOperator makes hv see an operator's uid for the test, whoever runs it.
func asOperator(t *testing.T) {
	t.Helper()
	saved := geteuid
	geteuid = func() int { return 1000 }
	t.Cleanup(func() { geteuid = saved })
}

// TestHardenedPhaseInTheCLI: what the matrix refuses exits 1 with the
// reason and the way around it, before any question or change; what it
// allows still runs.
func TestHardenedPhaseInTheCLI(t *testing.T) {
	demoInPhase(t, "hardened")
	asOperator(t)
	refused := []struct {
		args []string
		want string
	}{
		{[]string{"--demo", "vm", "destroy", "--filter", "k8s", "--yes"}, "in the hardened phase high-risk actions run on one VM at a time; fix: name the VMs one by one"},
		{[]string{"--demo", "vm", "delete", "backup", "--storage", "--yes"}, "does not delete a VM together with its disks in one step; fix: delete the VM (its disks stay)"},
	}
	for _, tt := range refused {
		code, out, errOut := cli(t, tt.args...)
		if code != exitFailure || !strings.Contains(errOut, tt.want) || out != "" {
			t.Errorf("hv %v: exit %d, stdout %q, stderr %q; want exit 1 and %q", tt.args, code, out, errOut, tt.want)
		}
	}
	if code, _, errOut := cli(t, "--demo", "vm", "destroy", "web-01", "--yes"); code != exitOK {
		t.Errorf("force off of one VM is allowed after confirmation: exit %d, %s", code, errOut)
	}
	if code, _, errOut := cli(t, "--demo", "vm", "delete", "backup", "--yes"); code != exitOK {
		t.Errorf("delete keeping the disks is allowed: exit %d, %s", code, errOut)
	}
}

// TestHostChangesTheOperatorMayNotMake: leaving the hardened phase or
// turning hardening off is refused at staging, exit 1, nothing staged.
func TestHostChangesTheOperatorMayNotMake(t *testing.T) {
	paths := hostEnv(t, "ssh", "sysctl-hardening")
	h, raw, _ := nix.ReadHost(paths.Host)
	h.Phase = "hardened"
	h.Operators.Users = []string{"alice"}
	if _, err := nix.WriteHost(paths.Host, h, raw); err != nil {
		t.Fatal(err)
	}
	asOperator(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"features", "disable", "sysctl-hardening"}, `turning off "sysctl-hardening" in the hardened phase needs root`},
		{[]string{"features", "phase", "setup"}, "leaving the hardened phase for setup needs root: run 'hv phase setup' as root"},
	} {
		code, out, errOut := cli(t, tt.args...)
		if code != exitFailure || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("hv %v: exit %d\n%s%s\nwant exit 1 and %q", tt.args, code, out, errOut, tt.want)
		}
		if _, err := os.Stat(paths.Staged); err == nil {
			t.Fatalf("hv %v staged a file", tt.args)
		}
	}
}
