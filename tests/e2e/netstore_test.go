package e2e

import (
	"strings"
	"testing"
)

// TestStorageAndNetworksOnLinuxConsole: an operator checks free space,
// tries to delete a VM's disk and is told why not, creates and deletes a
// volume, then looks at the networks, all on a bare Linux console.
func TestStorageAndNetworksOnLinuxConsole(t *testing.T) {
	tm := run(t, "linux", 80, 24, "--demo")
	tm.waitFor("Virtual machines")
	tm.keys("8")
	s := tm.waitFor("Volumes of default")
	for _, want := range []string{"[########..]  81%", "web-01.qcow2", "33G free of 200G"} {
		if !strings.Contains(s, want) {
			t.Errorf("the storage screen lacks %q:\n%s", want, s)
		}
	}
	tm.keys("Tab", "G", "k", "k", "D") // web-02.qcow2: web-02's disk
	tm.waitFor("Cannot delete volume web-02.qcow2: it is a disk of web-02")
	tm.keys("n", "scratch.qcow2", "Tab")
	tm.keys("BSpace", "BSpace", "BSpace", "1G", "Enter")
	tm.waitFor("created volume scratch.qcow2")
	tm.keys("D")
	tm.waitFor("Type scratch.qcow2 to confirm")
	tm.keys("scratch.qcow2", "Enter")
	s = tm.waitFor("deleted volume scratch.qcow2")
	for _, r := range s {
		if r > 0x7e {
			t.Errorf("TERM=linux screen holds %q:\n%s", r, s)
			break
		}
	}
	tm.keys("Escape", "7")
	s = tm.waitFor("Networks  2 networks")
	if !strings.Contains(s, "192.168.122.1/24") || !strings.Contains(s, "Not now: s start (it is active)") {
		t.Errorf("the networks screen:\n%s", s)
	}
}
