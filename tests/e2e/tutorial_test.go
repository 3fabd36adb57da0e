package e2e

import (
	"strings"
	"testing"
)

// TestTutorialOnTheDemoHostSurvivesARestart: a newcomer follows the VM
// lifecycle tutorial on a Linux console. Each step completes when libvirt
// really reports the change; hv is quit half-way and started again, and
// the tutorial resumes where it was.
func TestTutorialOnTheDemoHostSurvivesARestart(t *testing.T) {
	state := t.TempDir()
	tm := runWithState(t, state, "linux", 100, 30, "--demo")
	tm.waitFor("Virtual machines")
	tm.keys("5") // Help & tutorials
	tm.waitFor("51 topics")
	tm.keys("t")
	tm.waitFor("The life of a VM")
	tm.keys("Down", "Enter")
	tm.waitFor("tutorial 1/5")
	tm.keys("Escape", "Escape", "1")
	tm.waitFor("tutorial 2/5")
	tm.keys("/", "ci-runner", "Enter")
	tm.waitFor("1 of 14 shown")
	tm.keys("s")
	s := tm.waitFor("tutorial 3/5")
	if !strings.Contains(s, "Pause ci-runner") || !strings.Contains(s, "running") {
		t.Errorf("ci-runner's start should have completed the step:\n%s", s)
	}
	tm.keys("q")
	tm.waitFor("Quit hv?")
	tm.keys("y")
	tm.waitFor("hv-exited-0")

	// The demo host starts afresh (ci-runner is off again); the progress
	// does not.
	tm = runWithState(t, state, "linux", 100, 30, "--demo")
	s = tm.waitFor("tutorial 3/5")
	if !strings.Contains(s, "Pause ci-runner") {
		t.Fatalf("the tutorial should resume at its third step:\n%s", s)
	}
	tm.keys("1", "/", "ci-runner", "Enter")
	tm.waitFor("1 of 14 shown")
	tm.keys("s") // start it again: the step waits for a pause, not a start
	tm.waitFor("ci-runner started")
	tm.keys("p")
	tm.waitFor("tutorial 4/5")
	tm.keys("p")
	tm.waitFor("tutorial 5/5")
	tm.keys("d")
	tm.waitFor("Shut down ci-runner?")
	tm.keys("y")
	s = tm.waitFor("Tutorial complete")
	if strings.Contains(s, "tutorial 5/5") {
		t.Errorf("the strip should go once the tutorial is done:\n%s", s)
	}
	for _, r := range s {
		if r > 0x7e {
			t.Errorf("TERM=linux screen holds %q:\n%s", r, s)
			break
		}
	}
}
