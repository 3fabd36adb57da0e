package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// leaves are every command that runs (not the groups), by path.
func leaves(t *testing.T) []*cobra.Command {
	t.Helper()
	var out []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && !c.HasSubCommands() && !c.Hidden && c.Name() != "completion" && !strings.HasPrefix(c.Name(), "__") {
			out = append(out, c)
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRoot(os.Stdin, os.Stdout, os.Stderr))
	if len(out) < 50 {
		t.Fatalf("only %d commands found", len(out))
	}
	return out
}

// args is a command's path without "hv", as words.
func args(c *cobra.Command) []string {
	return strings.Fields(strings.TrimPrefix(c.CommandPath(), "hv"))
}

// Every command: its help says what its exit status means, and a flag it
// does not take exits 2 with the way to its own help.
func TestEveryCommandSaysAndKeepsItsExitStatus(t *testing.T) {
	for _, c := range leaves(t) {
		path := c.CommandPath()
		if code, out, _ := hv(t, append(args(c), "--help")...); code != 0 || !strings.Contains(out, "Exit status: 0 done; 1 refused or failed") {
			t.Errorf("%s --help: exit %d, no exit status:\n%s", path, code, out)
		}
		code, _, errOut := hv(t, append(args(c), "--no-such-flag")...)
		if code != exitUsage || !strings.Contains(errOut, "unknown flag: --no-such-flag") || !strings.Contains(errOut, "(see '"+path+" --help')") {
			t.Errorf("%s --no-such-flag: exit %d, stderr %q", path, code, errOut)
		}
	}
}

// readOnlyCommands are the commands that change nothing on the host; every other
// takes --yes, so that a script can always say it.
var readOnlyCommands = []string{
	"hv audit show", "hv audit verify", "hv doctor", "hv features check", "hv features list", "hv features score",
	"hv features show", "hv features status", "hv help", "hv level", "hv man", "hv net list", "hv net show",
	"hv phase status", "hv pool list", "hv pool show", "hv pool volumes", "hv threats report", "hv threats rules",
	"hv threats scan", "hv tutorial", "hv version", "hv vm console", "hv vm list", "hv vm show", "hv vm snapshot list",
	"hv wizard", "hv apply", "hv monitor",
	"hv daemon", // serves others' changes, each checked and asked on its own
	"hv threats actions", "hv threats feeds",
	"hv threats feeds update", // downloads blocklists into its own directory: nothing to ask
	"hv dial-stdio",           // carries others' requests to the daemon, which asks
	"hv hosts", "hv hosts peer-config",
}

func TestEveryChangeTakesYes(t *testing.T) {
	for _, c := range leaves(t) {
		if has := c.Flags().Lookup("yes") != nil; !has && !slices.Contains(readOnlyCommands, c.CommandPath()) {
			t.Errorf("%s changes the host but takes no --yes", c.CommandPath())
		}
	}
}

// The same kind of mistake gets the same status everywhere: a word hv
// knows by heart (a feature, preset, phase, tutorial, topic, level, mode)
// is a usage error, 2, with the nearest word when it looks like a typo; a
// name the host does not have is a refusal, 1.
func TestExitStatusOfMistakes(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"vm", "strat", "web-01"}, 2, `unknown command "strat" for "hv vm" (did you mean "start"?) (see 'hv vm --help')`},
		{[]string{"vm", "list", "--jsn"}, 2, `unknown flag: --jsn (did you mean "json"?)`},
		{[]string{"features", "show", "nested-virtt"}, 2, `(did you mean "nested-virt"?)`},
		{[]string{"features", "preset", "cautous", "--demo"}, 2, `(did you mean "cautious"?)`},
		{[]string{"features", "phase", "harden", "--demo"}, 2, `(did you mean "hardened"?)`},
		{[]string{"tutorial", "snapshot"}, 2, `(did you mean "snapshots"?)`},
		{[]string{"help", "snapshot"}, 0, "Snapshots"},
		{[]string{"level", "wizard"}, 2, "unknown level"},
		{[]string{"net", "define", "lab", "--mode", "bridged", "--demo"}, 2, "not offered"},
		{[]string{"vm", "shutdown", "web-01", "--force", "--demo"}, 2, "add --wait"},
		{[]string{"vm", "shutdown", "web-01", "--timeout", "5s", "--demo"}, 2, "add --wait"},
		{[]string{"vm", "start", "nosuch", "--demo"}, 1, "not found"},
		{[]string{"net", "show", "nosuch", "--demo"}, 1, "not found"},
		{[]string{"vm", "snapshot", "revert", "db-primary", "nosuch", "--demo", "--yes"}, 1, "no snapshot named"},
	} {
		code, out, errOut := hv(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("hv %v: exit %d, %s%s\nwant exit %d and %q", tt.args, code, out, errOut, tt.code, tt.want)
		}
	}
}

// 'hv --version' is 'hv version'.
func TestVersionFlag(t *testing.T) {
	_, flag, _ := hv(t, "--version")
	_, cmd, _ := hv(t, "version")
	if flag == "" || flag != cmd {
		t.Errorf("hv --version %q, hv version %q", flag, cmd)
	}
}
