package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
)

// hostEnv points hv at a host file of its own in a temporary directory.
func hostEnv(t *testing.T, features ...string) nix.Paths {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(nix.HostFileEnv, filepath.Join(dir, "host.toml"))
	t.Setenv(nix.StateDirEnv, dir)
	t.Setenv(audit.PathEnv, filepath.Join(dir, "audit.log"))
	p := nix.DefaultPaths()
	os.MkdirAll(filepath.Dir(p.Staged), 0o755)
	h := nix.NewHost("setup", features)
	h.Network.Uplink = "enp3s0"
	if _, err := nix.WriteHost(p.Host, h, nil); err != nil {
		t.Fatal(err)
	}
	return p
}

// cli runs hv in-process with the environment the test set up (hv, in
// main_test.go, points at no host file).
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runWith(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestFeaturesListJSON(t *testing.T) {
	hostEnv(t, "shared-folders")
	code, out, errOut := cli(t, "features", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []featureJSON
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, r := range rows {
		states[r.ID] = r.State
	}
	if len(rows) < 50 || states["shared-folders"] != "on" || states["virtiofs"] != "required" || states["ssh"] != "off" {
		t.Errorf("%d rows; states %v", len(rows), states)
	}
	if code, _, _ := cli(t, "features", "list", "--category", "nonsense"); code != exitUsage {
		t.Errorf("an unknown category is a usage error, got exit %d", code)
	}
}

func TestFeaturesEnableShowsEverythingThatChanges(t *testing.T) {
	p := hostEnv(t)
	code, out, _ := cli(t, "features", "enable", "shared-folders", "--dry-run")
	if code != 0 || !strings.Contains(out, `+ virtiofs`) || !strings.Contains(out, `required by "shared-folders"`) ||
		!strings.Contains(out, "risk 0 -> 6 (+6): virtualisation +6") || !strings.Contains(out, "dry run: nothing staged") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(p.Staged); err == nil {
		t.Error("--dry-run staged a file")
	}
	code, out, _ = cli(t, "features", "enable", "shared-folders", "--json")
	var report changeJSON
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 0 || !report.Staged || len(report.TurnedOn) != 2 {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	staged, _, err := nix.ReadHost(p.Staged)
	if err != nil || strings.Join(staged.Features, ",") != "shared-folders" || staged.Meta.Updated == "" {
		t.Errorf("staged %+v, %v", staged, err)
	}
	entries, err := audit.Open(os.Getenv(audit.PathEnv)).Read()
	if err != nil || len(entries) != 1 || entries[0].Action != "features.stage" || entries[0].Target != "+shared-folders +virtiofs" {
		t.Errorf("audit trail %+v, %v", entries, err)
	}
	// The next change starts from the staged file, not the applied one.
	code, out, _ = cli(t, "features", "disable", "virtiofs")
	if code != 0 || !strings.Contains(out, `- shared-folders  it needs "virtiofs", which you turned off`) {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestFeaturesRefuseProblemsAndStageNothing(t *testing.T) {
	p := hostEnv(t, "console-tls")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"features", "enable", "console-network"}, exitFailure, `"console-network" conflicts with "console-tls"`},
		{[]string{"features", "phase", "hardened", "--dry-run"}, exitOK, "phase setup -> hardened"},
		{[]string{"features", "enable", "ksm", "--dry-run"}, exitOK, "+ ksm"},
		{[]string{"features", "enable", "warp-drive"}, exitUsage, `unknown feature "warp-drive"`},
		{[]string{"features", "enable", "nested-virtt"}, exitUsage, `unknown feature "nested-virtt" (did you mean "nested-virt"?)`},
		{[]string{"features", "enable", "vlans"}, exitFailure, `"vlans" needs network.vlans in the host file`},
		{[]string{"features", "preset", "yolo"}, exitUsage, `unknown preset "yolo"`},
		{[]string{"features", "enable"}, exitUsage, "requires at least 1 arg"},
	}
	for _, tt := range tests {
		code, out, errOut := cli(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("hv %v: exit %d, want %d with %q:\n%s%s", tt.args, code, tt.code, tt.want, out, errOut)
		}
	}
	if _, err := os.Stat(p.Staged); err == nil {
		t.Error("a refused change staged a file")
	}
}

func TestFeaturesCheckAndStatus(t *testing.T) {
	p := hostEnv(t, "ssh")
	if code, out, _ := cli(t, "features", "check"); code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("check of a good file: %d %s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("version = 1\nphase = \"hardened\"\nfeatures = [\"web-admin\"]\n"), 0o644)
	if code, out, errOut := cli(t, "features", "check", bad); code != exitFailure || !strings.Contains(out, "not allowed in the hardened phase") || !strings.Contains(errOut, "1 problem") {
		t.Errorf("check of a bad file: %d\n%s%s", code, out, errOut)
	}
	cli(t, "features", "enable", "audit")
	code, out, _ := cli(t, "features", "status", "--json")
	var s statusJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil || code != 0 || s.Pending == nil || s.Pending.TurnedOn[0].ID != "audit" || s.LastApply != nil {
		t.Errorf("status %d %v: %s", code, err, out)
	}
	if s.Paths.Staged != p.Staged {
		t.Errorf("status names %s, want %s", s.Paths.Staged, p.Staged)
	}
}

func TestApplyCommand(t *testing.T) {
	p := hostEnv(t, "ssh")
	install := filepath.Join(t.TempDir(), "configuration-host.toml")
	data, _ := os.ReadFile(p.Host)
	os.WriteFile(install, data, 0o644)
	cli(t, "features", "enable", "audit")
	code, out, errOut := cli(t, "apply", "--staged", p.Staged, "--install", install, "--result", p.Result, "--", "true")
	if code != 0 || !strings.Contains(out, "applied:") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(install); !strings.Contains(string(got), "audit") {
		t.Errorf("not installed:\n%s", got)
	}
	code, out, _ = cli(t, "features", "status")
	if code != 0 || !strings.Contains(out, "last apply: applied") || !strings.Contains(out, "staged: nothing") {
		t.Errorf("status after apply:\n%s", out)
	}
	cli(t, "features", "enable", "ksm")
	if code, out, _ := cli(t, "apply", "--staged", p.Staged, "--install", install, "--result", p.Result, "--", "false"); code != exitFailure || !strings.Contains(out, "previous host file is back") {
		t.Errorf("failed rebuild: exit %d:\n%s", code, out)
	}
	if code, _, _ := cli(t, "apply", "--staged", p.Staged, "--result", p.Result); code != exitUsage {
		t.Errorf("no rebuild command is a usage error, got %d", code)
	}
}

func TestFeaturesInitNeverReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "host.toml")
	if code, out, errOut := cli(t, "features", "init", path, "--preset", "cautious"); code != 0 || !strings.Contains(out, "phase hardened") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	before, _ := os.ReadFile(path)
	if code, _, errOut := cli(t, "features", "init", path); code != exitFailure || !strings.Contains(errOut, "never replaces") {
		t.Errorf("second init: exit %d: %s", code, errOut)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("init replaced an existing host file")
	}
}

func TestFeaturesWithoutAHostFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(nix.HostFileEnv, filepath.Join(dir, "none.toml"))
	t.Setenv(nix.StateDirEnv, dir)
	if code, out, _ := cli(t, "features", "list"); code != 0 || strings.Contains(out, "STATE") {
		t.Errorf("list without a host file should show the catalog without states: %d\n%s", code, out)
	}
	code, _, errOut := cli(t, "features", "enable", "ssh")
	if code != exitFailure || !strings.Contains(errOut, "services.hyper-nixos") {
		t.Errorf("enable without a host file: %d %s", code, errOut)
	}
}

// TestRiskyFeaturesAsk: turning on a high-risk feature asks y/N, a
// critical one its id typed, as the Features screen does; a script says
// --yes; every answer is audited.
func TestRiskyFeaturesAsk(t *testing.T) {
	p := hostEnv(t)
	if code, _, errOut := cli(t, "features", "enable", "ssh-passwords"); code != exitUsage || !strings.Contains(errOut, "add --yes") {
		t.Fatalf("a script turning on a high-risk feature: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(p.Staged); err == nil {
		t.Fatal("staged without the answer")
	}
	saved := isTerminal
	isTerminal = func(io.Reader) bool { return true }
	t.Cleanup(func() { isTerminal = saved })
	var out, errb bytes.Buffer
	if code := runWith([]string{"features", "enable", "console-network"}, strings.NewReader("console\n"), &out, &errb); code != exitFailure ||
		!strings.Contains(errb.String(), "Type console-network to enable it") {
		t.Errorf("a critical feature asks for its id: exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := runWith([]string{"features", "enable", "ssh-passwords"}, strings.NewReader("y\n"), &out, &errb); code != exitOK ||
		!strings.Contains(out.String(), "not staged yet") || !strings.Contains(errb.String(), "HIGH risk") {
		t.Errorf("a high-risk feature asks y/N: exit %d\n%s%s", code, out.String(), errb.String())
	}
	entries, _ := audit.Open(os.Getenv(audit.PathEnv)).Read()
	var answers []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "confirm.") || e.Note != "" {
			answers = append(answers, e.Action+" "+e.Target+": "+e.Result+" "+e.Note)
		}
	}
	// A confirmed answer is recorded with the change it allowed.
	if want := "confirm.features.stage console-network: wrong name ,features.stage +ssh +ssh-passwords: ok confirmed (prompt)"; strings.Join(answers, ",") != want {
		t.Errorf("answers %q, want %q", answers, want)
	}
}
