package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/help"
)

var update = flag.Bool("update", false, "rewrite the generated docs")

// hvAt runs the CLI with its own settings and state directories.
func hvAt(t *testing.T, config, state string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Setenv("XDG_STATE_HOME", state)
	var out, errOut bytes.Buffer
	code := runWith(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpListsTopicsAndStillHelpsWithCommands(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := hvAt(t, dir, dir, "help")
	if code != 0 || !strings.Contains(out, "vm-lifecycle") || !strings.Contains(out, "Errors") {
		t.Errorf("hv help should list the topics: %d\n%s", code, out)
	}
	code, out, _ = hvAt(t, dir, dir, "help", "vm", "list")
	if code != 0 || !strings.Contains(out, "hv vm list [flags]") {
		t.Errorf("hv help vm list should show the command's help: %d\n%s", code, out)
	}
	code, _, errOut := hvAt(t, dir, dir, "help", "zzyzx")
	if code != 2 || !strings.Contains(errOut, "no command or topic") {
		t.Errorf("an unknown topic is a usage error: %d %q", code, errOut)
	}
}

// 'hv help keys' is the cheatsheet as a person reads it: no note for
// developers, and no key described by what happened to be selected when it
// was generated.
func TestHelpKeysIsForPeople(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := hvAt(t, dir, dir, "help", "keys")
	if code != 0 || !strings.Contains(out, "Keyboard cheatsheet") {
		t.Fatalf("hv help keys: %d\n%s", code, out)
	}
	for _, bad := range []string{"<!--", "generated", "not now"} {
		if strings.Contains(out, bad) {
			t.Errorf("hv help keys prints %q", bad)
		}
	}
}

func TestHelpPrintsATopicAtTheOperatorsLevel(t *testing.T) {
	dir := t.TempDir()
	_, beginner, _ := hvAt(t, dir, dir, "help", "vm-states")
	if !strings.Contains(beginner, "A **transient** VM") || !strings.Contains(beginner, "(hv help vm-lifecycle)") {
		t.Errorf("beginners get the long version, links as commands:\n%s", beginner)
	}
	if code, out, _ := hvAt(t, dir, dir, "level", "expert"); code != 0 || !strings.HasPrefix(out, "expert:") {
		t.Fatalf("hv level expert: %d %s", code, out)
	}
	_, expert, _ := hvAt(t, dir, dir, "help", "vm-states")
	if strings.Contains(expert, "transient** VM") || !strings.Contains(expert, "error_policy") {
		t.Errorf("the saved level should apply:\n%s", expert)
	}
	_, flagged, _ := hvAt(t, dir, dir, "help", "vm-states", "--level", "beginner")
	if !strings.Contains(flagged, "A **transient** VM") {
		t.Error("--level overrides the saved level")
	}
	_, found, _ := hvAt(t, dir, dir, "help", "hibernating")
	if !strings.Contains(found, "vm-lifecycle") {
		t.Errorf("words search the topics:\n%s", found)
	}
}

func TestTopicIDsDoNotHideCommands(t *testing.T) {
	root := newRoot(strings.NewReader(""), os.Stdout, os.Stderr)
	for _, c := range root.Commands() {
		for _, name := range append([]string{c.Name()}, c.Aliases...) {
			if _, ok := help.Builtin().Topics.Topic(name); ok {
				t.Errorf("topic %q has the name of a command: 'hv help %s' could never print it", name, name)
			}
		}
	}
}

func TestTutorialListAndProgress(t *testing.T) {
	config, state := t.TempDir(), t.TempDir()
	code, out, _ := hvAt(t, config, state, "tutorial", "list")
	// Every screen is built: every tutorial can be followed.
	if code != 0 || !strings.Contains(out, "vm-lifecycle") || !strings.Contains(out, "hardening          Hardening the host               not started") {
		t.Fatalf("hv tutorial list: %d\n%s", code, out)
	}
	code, out, _ = hvAt(t, config, state, "tutorial", "vm-lifecycle", "--start")
	if code != 0 || !strings.Contains(out, "[>] 1. Open the VM list") || !strings.Contains(out, "following: 0/5") {
		t.Fatalf("--start should follow it: %d\n%s", code, out)
	}
	p, err := help.LoadProgress(filepath.Join(state, "hv", "tutorials.toml"))
	if err != nil || p.Active != "vm-lifecycle" {
		t.Errorf("the progress file should name it active: %+v %v", p, err)
	}
	// With the setup wizard built, the hardening tutorial can start too.
	if code, _, errOut := hvAt(t, config, state, "tutorial", "hardening", "--start"); code != 0 {
		t.Errorf("the hardening tutorial should start: %d %s", code, errOut)
	}
	if code, _, _ := hvAt(t, config, state, "tutorial", "nope"); code != 2 {
		t.Errorf("an unknown tutorial is a usage error: %d", code)
	}
}

func TestCorruptSettingsAreReportedAndKept(t *testing.T) {
	config := t.TempDir()
	path := filepath.Join(config, "hv", "settings.toml")
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.WriteFile(path, []byte("level = 3\n"), 0o600)
	code, _, errOut := hvAt(t, config, t.TempDir(), "level", "expert")
	if code != 1 || !strings.Contains(errOut, "will not overwrite") {
		t.Errorf("a corrupt settings file must be reported: %d %q", code, errOut)
	}
	if b, _ := os.ReadFile(path); string(b) != "level = 3\n" {
		t.Error("the corrupt file was overwritten")
	}
}

// The manual page and the command reference topic follow the commands.
func TestGeneratedDocsAreFresh(t *testing.T) {
	root := newRoot(strings.NewReader(""), os.Stdout, os.Stderr)
	var man, ref bytes.Buffer
	writeMan(&man, root)
	writeReference(&ref, root)
	for path, want := range map[string][]byte{"../../docs/hv.1": man.Bytes(), "../../content/docs/cli-reference.md": ref.Bytes()} {
		if *update {
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale: go test ./cmd/hv -run TestGeneratedDocs -update", path)
		}
	}
}
