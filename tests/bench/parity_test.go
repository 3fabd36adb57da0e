// Package bench holds the parity and speed benchmarks of hv's detection
// against fail2ban: the generator (authlog), the checker (parity), the
// script (parity.sh), and a small parity test CI runs.
package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/tests/need"
)

// TestParityWithFail2ban runs the parity check on a few thousand generated
// lines. It needs Debian's fail2ban (fail2ban-regex), which tests/run
// installs; the test itself installs nothing.
func TestParityWithFail2ban(t *testing.T) {
	f2b := need.Tool(t, "fail2ban-regex", "apt-get install fail2ban; without it parity is not checked")
	if testing.Short() {
		t.Skip("builds three programs")
	}
	dir := t.TempDir()
	bin := func(name, pkg string) string { return build(t, dir, name, pkg) }
	hv, gen, parity := bin("hv", "./cmd/hv"), bin("authlog", "./tests/bench/authlog"), bin("parity", "./tests/bench/parity")
	log, expect := filepath.Join(dir, "auth.log"), filepath.Join(dir, "expect.tsv")
	hvOut, f2bOut := filepath.Join(dir, "hv.jsonl"), filepath.Join(dir, "f2b.txt")
	// compare writes a log (genFlag: how), has both tools read it and
	// returns the parity report; parity fails on a disagreement.
	compare := func(genFlag, parityFlag string) string {
		mustRun(t, "", gen, genFlag, "-n", "6000", "-seed", "7", "-o", log, "-expect", expect)
		mustRun(t, hvOut, hv, "threats", "scan", log, "--json", "--rules", filepath.Join(dir, "none"))
		mustRun(t, f2bOut, f2b, "-o", "ip", log, "sshd")
		return mustRun(t, "", parity, parityFlag, "-expect", expect, "-hv", hvOut, "-f2b", f2bOut)
	}
	t.Log("\n" + compare("-classic=false", "-identical=false"))
	// A classic log (no sshd-session, no crafted user names): fail2ban reads
	// it right, so the counts must be identical for every address.
	t.Log("\n" + compare("-classic", "-identical"))
}

// build builds the package pkg (a path from the repository's root) into
// dir/name.
func build(t *testing.T, dir, name, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = "../.."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, b)
	}
	return out
}

// mustRun runs a program, writing its standard output to stdout (a file)
// when given, and returns what it printed otherwise.
func mustRun(t *testing.T, stdout, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var b strings.Builder
	cmd.Stderr = &b
	if stdout != "" {
		f, err := os.Create(stdout)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdout = f
	} else {
		cmd.Stdout = &b
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, b.String())
	}
	return b.String()
}
