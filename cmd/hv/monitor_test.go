package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/tests/need"
)

// The NixOS fragment for the monitor service parses, and every flag it
// passes to 'hv monitor' exists.
func TestThreatMonitorModule(t *testing.T) {
	src, err := os.ReadFile("../../nix/threat-monitor.nix")
	if err != nil {
		t.Fatal(err)
	}
	cmd := newMonitorCmd(&globals{})
	for _, m := range regexp.MustCompile(`"--([a-z-]+)"`).FindAllStringSubmatch(string(src), -1) {
		if m[1] == "connect" {
			continue // a global flag
		}
		if cmd.Flags().Lookup(m[1]) == nil {
			t.Errorf("nix/threat-monitor.nix passes --%s, which hv monitor does not have", m[1])
		}
	}
	nix := need.Tool(t, "nix-instantiate", "Debian: apt-get install nix-bin; without it the module's syntax is not checked")
	if out, err := exec.Command(nix, "--parse", "../../nix/threat-monitor.nix").CombinedOutput(); err != nil {
		t.Errorf("nix-instantiate --parse: %v\n%s", err, out)
	}
}

// 'hv monitor' where it cannot keep its findings says what to do, not
// SQLite's "unable to open database file (14)".
func TestMonitorWithoutAStateDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	var out, errb bytes.Buffer
	code := runWith([]string{"monitor", "--no-libvirt", "--no-journal", "--listen", "", "--db", filepath.Join(file, "threats.db"), "--state-dir", t.TempDir()},
		strings.NewReader(""), &out, &errb)
	if code == 0 || strings.Contains(errb.String(), "(14)") || !strings.Contains(errb.String(), "give --db and --state-dir a directory you can write") {
		t.Errorf("exit %d: %q", code, errb.String())
	}
}
