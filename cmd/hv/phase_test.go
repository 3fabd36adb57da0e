package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/phase"
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

func TestPhaseStatusJSON(t *testing.T) {
	hostEnv(t, "ssh", "console-network")
	code, out, errOut := cli(t, "phase", "status", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r phaseStatusJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Phase != "setup" || r.ReadyToHarden == nil || *r.ReadyToHarden || len(r.Rules) < 20 {
		t.Fatalf("%+v", r)
	}
	if c := r.HardenChecks[0]; c.OK || !strings.Contains(c.Detail, "console-network") || !strings.Contains(c.Fix, "hv features disable console-network") {
		t.Errorf("the critical feature check: %+v", c)
	}
}

// TestHardenRunsThePreChecks: a critical feature on stops hardening with
// the fix; once off, hardening stages the phase and is audited.
func TestHardenRunsThePreChecks(t *testing.T) {
	paths := hostEnv(t, "ssh", "console-network")
	h, raw, _ := nix.ReadHost(paths.Host)
	h.Operators.Users = []string{"alice"}
	nix.WriteHost(paths.Host, h, raw)
	asOperator(t)
	code, out, errOut := cli(t, "phase", "harden", "--yes")
	if code != exitFailure || !strings.Contains(out, "[no] No critical feature is on: critical features are on: console-network") ||
		!strings.Contains(errOut, "not hardened: critical features are on: console-network") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := cli(t, "features", "disable", "console-network"); code != exitOK {
		t.Fatalf("disable: %s", errOut)
	}
	if code, out, _ := cli(t, "phase", "harden"); code != exitUsage || !strings.Contains(out, "From then on") {
		t.Errorf("without a terminal or --yes, harden must refuse (exit 2): %d\n%s", code, out)
	}
	started := stubApply(t)
	code, out, errOut = cli(t, "phase", "harden", "--yes")
	staged, _, err := nix.ReadHost(paths.Staged)
	if err != nil || staged.Phase != "hardened" || code != exitOK || *started != 1 {
		t.Fatalf("harden staged %v (%v), started the apply service %d times; exit %d\n%s%s", staged, err, *started, code, out, errOut)
	}
	entries, _ := audit.Open(os.Getenv(audit.PathEnv)).Read()
	if last := entries[len(entries)-1]; last.Action != "phase.harden" || last.Result != audit.OK {
		t.Errorf("last audit entry %+v", last)
	}
}

// TestLeavingTheHardenedPhaseNeedsRoot: an operator is refused with the
// exact command, and the attempt is audited; root stages the change.
func TestLeavingTheHardenedPhaseNeedsRoot(t *testing.T) {
	paths := hostEnv(t, "ssh")
	h, raw, _ := nix.ReadHost(paths.Host)
	h.Phase, h.Operators.Users = "hardened", []string{"alice"}
	nix.WriteHost(paths.Host, h, raw)
	asOperator(t)
	code, _, errOut := cli(t, "phase", "setup", "--yes")
	if code != exitFailure || !strings.Contains(errOut, "leaving the hardened phase for setup needs root: run 'hv phase setup' as root") || !strings.Contains(errOut, "fix: only root may") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	entries, _ := audit.Open(os.Getenv(audit.PathEnv)).Read()
	if len(entries) != 1 || entries[0].Action != "phase.leave" || entries[0].Result != audit.Refused {
		t.Fatalf("the refused attempt should be audited: %+v", entries)
	}
	geteuid = func() int { return 0 }
	stubApply(t)
	cli(t, "phase", "setup", "--yes")
	staged, _, err := nix.ReadHost(paths.Staged)
	if err != nil || staged.Phase != "setup" {
		t.Fatalf("root's change was not staged: %v %v", staged, err)
	}
	entries, _ = audit.Open(os.Getenv(audit.PathEnv)).Read()
	if last := entries[len(entries)-1]; last.Action != "phase.leave" || last.Result != audit.OK {
		t.Errorf("root leaving the phase: %+v", last)
	}
}

// stubApply stands in for starting the apply service and counts the starts.
func stubApply(t *testing.T) *int {
	t.Helper()
	saved, n := startApply, new(int)
	startApply = func(context.Context, bool) error { *n++; return nil }
	t.Cleanup(func() { startApply = saved })
	return n
}

// 'hv phase status' says what each operation asks, of a person and of a
// script, and it is what the commands do: a medium-risk shutdown runs
// from a script as typed, a high-risk force off wants --yes.
func TestPhaseStatusSaysWhatIsAsked(t *testing.T) {
	code, out, _ := hv(t, "phase", "status", "--demo", "--json")
	var r phaseStatusJSON
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("exit %d: %s", code, out)
	}
	asks := map[string]string{}
	for _, rule := range r.Rules {
		asks[rule.Operation] = rule.Terminal + " / " + rule.Script
	}
	for op, want := range map[string]string{
		"VM shut down, reboot, save (medium)":           "yes or no / nothing: the command is its yes",
		"VM force off, delete keeping its disks (high)": "yes or no / --yes",
		"volume delete (type its name)":                 "the name typed / --yes",
		"network define, start, autostart":              "nothing / nothing",
	} {
		if asks[op] != want {
			t.Errorf("%s: %q, want %q", op, asks[op], want)
		}
	}
	if code, _, errOut := hv(t, "vm", "shutdown", "web-01", "--demo"); code != 0 {
		t.Errorf("a medium-risk command is its own yes: exit %d %s", code, errOut)
	}
	// At a terminal, the same command asks what the TUI asks.
	saved := isTerminal
	isTerminal = func(io.Reader) bool { return true }
	var out2, errb bytes.Buffer
	code = runWith([]string{"--demo", "vm", "reboot", "web-02"}, strings.NewReader("n\n"), &out2, &errb)
	isTerminal = saved
	if code != exitFailure || !strings.Contains(errb.String(), "Reboot web-02? [y/N]") {
		t.Errorf("at a terminal a medium-risk command asks y/N: exit %d %s", code, errb.String())
	}
	if code, _, errOut := hv(t, "vm", "destroy", "web-01", "--demo"); code != 2 || !strings.Contains(errOut, "add --yes") {
		t.Errorf("a high-risk command wants --yes: exit %d %s", code, errOut)
	}
	_, text, _ := hv(t, "phase", "status", "--demo")
	if !strings.Contains(strings.Join(strings.Fields(text), " "), "VM force off, delete keeping its disks (high) terminal: yes or no script: --yes") {
		t.Errorf("the text says the same:\n%s", text)
	}
}

// TestPhaseStatusIsTheDaemons: through the hv daemon, the phase shown is
// the one it enforces, whatever host file this user can read.
func TestPhaseStatusIsTheDaemons(t *testing.T) {
	hostEnv(t) // a host file in the setup phase
	socket := startTestDaemon(t, phase.Hardened)
	code, out, errOut := cli(t, "--host", "unix://"+socket, "phase", "status", "--json")
	var r phaseStatusJSON
	if code != exitOK || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if r.Phase != "hardened" || r.EnforcedBy != socket || !strings.Contains(r.HostFileNote, "the host file here says setup") || r.Leave == "" {
		t.Errorf("through a hardened daemon: %+v", r)
	}
	_, out, _ = cli(t, "--host", "unix://"+socket, "phase", "status")
	if !strings.HasPrefix(out, "Security phase: hardened (enforced by the hv daemon at "+socket+")") {
		t.Errorf("the text says:\n%s", out)
	}
}
