package main

import (
	"bytes"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/security/audit"
)

// TestCLIAnswersGoToTheAuditTrail: what a person answers at the terminal
// (yes, no, a wrong name) and a script's --yes are all recorded.
func TestCLIAnswersGoToTheAuditTrail(t *testing.T) {
	demoInPhase(t, "setup")
	t.Setenv(audit.PathEnv, t.TempDir()+"/audit.log")
	saved := isTerminal
	isTerminal = func(io.Reader) bool { return true }
	t.Cleanup(func() { isTerminal = saved })
	typed := func(input string, args ...string) int {
		var out, errb bytes.Buffer
		return runWith(args, strings.NewReader(input), &out, &errb)
	}
	if code := typed("n\n", "--demo", "vm", "destroy", "web-01"); code != exitFailure {
		t.Errorf("declined: exit %d", code)
	}
	if code := typed("backu\n", "--demo", "vm", "delete", "backup"); code != exitFailure {
		t.Errorf("a wrong name: exit %d", code)
	}
	if code := typed("", "--demo", "vm", "destroy", "web-02", "--yes"); code != exitOK {
		t.Errorf("--yes: exit %d", code)
	}
	entries, err := audit.Open(os.Getenv(audit.PathEnv)).Read()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "confirm.") || e.Note != "" {
			got = append(got, e.Action+" "+e.Target+": "+e.Result+" "+e.Note)
		}
	}
	// A confirmed answer is recorded with the change it allowed.
	want := []string{
		"confirm.vm.force-off web-01: declined ",
		"confirm.vm.delete backup: wrong name ",
		"vm.force-off web-02: ok confirmed (--yes)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("answers recorded\n%q\nwant\n%q", got, want)
	}
	// The answer and the change have one name, the TUI's too: vm.force-off.
	if last := entries[len(entries)-1]; last.Action != "vm.force-off" || last.Target != "web-02" {
		t.Errorf("the change after the answer: %+v", last)
	}
}
