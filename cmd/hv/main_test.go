package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/ui/uitest"
)

// hv runs the CLI in-process and returns its exit code and output.
func hv(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("LIBVIRT_DEFAULT_URI", "")
	t.Setenv("HV_HOST_FILE", filepath.Join(t.TempDir(), "none.toml"))
	var out, errOut bytes.Buffer
	code := runWith(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVMListOnTheDemoHost(t *testing.T) {
	code, out, errOut := hv(t, "vm", "list", "--demo")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 15 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("want a header and 14 VMs, got:\n%s", out)
	}
	if !strings.Contains(out, "db-primary   running   16     64G     yes") {
		t.Errorf("db-primary's row is wrong:\n%s", out)
	}
}

func TestVMListJSONIsDocumentedShape(t *testing.T) {
	code, out, _ := hv(t, "vm", "list", "--demo", "--json", "--filter", "state:running autostart:yes k8s")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var vms []map[string]any
	if err := json.Unmarshal([]byte(out), &vms); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(vms) != 2 {
		t.Fatalf("want k8s-node-1 and -2 (running, autostart), got %d: %s", len(vms), out)
	}
	for _, field := range []string{"name", "uuid", "state", "vcpus", "memory_kib", "autostart", "persistent"} {
		if _, ok := vms[0][field]; !ok {
			t.Errorf("JSON lacks the documented field %q: %v", field, vms[0])
		}
	}
	if vms[0]["name"] != "k8s-node-1" || vms[0]["state"] != "running" || vms[0]["vcpus"] != 4.0 {
		t.Errorf("unexpected first VM: %v", vms[0])
	}
}

func TestExitCodesAndOneLineErrors(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"bogus"}, 2, `unknown command "bogus"`},
		{[]string{"vm", "list", "--nope"}, 2, "unknown flag: --nope"},
		{[]string{"vm", "list", "--demo", "--filter", "state:sleepy"}, 2, "unknown state"},
		{[]string{"vm", "list", "extra"}, 2, "unknown command"},
		{[]string{"--demo", "--connect", "test:///default", "vm", "list"}, 2, "cannot be used together"},
		{[]string{"vm", "list", "--connect", "qemu+unix:///system?socket=/nonexistent/sock"}, 1, "fix: start it"},
		{[]string{"vm", "list", "--connect", "nosuchdriver:///x"}, 1, "cannot reach libvirt"},
		{[]string{}, 2, "needs a terminal"},
	}
	for _, tt := range tests {
		code, out, errOut := hv(t, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.inStderr) {
			t.Errorf("hv %v: exit %d, stderr %q; want exit %d and %q", tt.args, code, errOut, tt.code, tt.inStderr)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") != 0 || out != "" {
			t.Errorf("hv %v: errors go to stderr in one line; stdout %q stderr %q", tt.args, out, errOut)
		}
	}
}

// hostileHost writes a test-driver host whose VM names carry what libvirt's
// XML lets through (see uitest.HostileNames).
func hostileHost(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("<node>\n")
	for _, n := range uitest.HostileNames {
		b.WriteString("<domain type='test'><name>" + n + "</name><memory>65536</memory><os><type>hvm</type></os></domain>\n")
	}
	b.WriteString("</node>\n")
	path := filepath.Join(t.TempDir(), "hostile.xml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return "test://" + path
}

func TestHostileNamesPrintAsHarmlessText(t *testing.T) {
	uri := hostileHost(t)
	for _, args := range [][]string{{"vm", "list", "--connect", uri}, {"vm", "list", "--json", "--connect", uri}} {
		code, out, errOut := hv(t, args...)
		if code != 0 {
			t.Fatalf("hv %v: exit %d: %s", args, code, errOut)
		}
		for _, r := range out {
			if r < 0x20 && r != '\n' || r >= 0x7f && r < 0xa0 || r == 0x202e {
				t.Errorf("hv %v prints %U from a VM name:\n%q", args, r, out)
			}
		}
		for _, want := range uitest.HostileShown {
			if args[2] == "--json" && want == `tab\x09name` {
				want = `tab\tname` // JSON's own escape
			}
			if !strings.Contains(out, want) {
				t.Errorf("hv %v lacks the escaped name %s:\n%s", args, want, out)
			}
		}
	}
}

// What is done on the demo goes to the demo's own audit trail: trying the
// demo leaves the user's real one alone.
func TestDemoKeepsItsOwnTrail(t *testing.T) {
	t.Setenv(audit.PathEnv, "")
	os.Unsetenv(audit.PathEnv)
	code, _, errOut := hv(t, "vm", "pause", "--demo", "web-01")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	entries, err := audit.Open(filepath.Join(stateDir(), "demo", "audit.log")).Read()
	if err != nil || len(entries) != 1 || entries[0].Action != "vm.pause" {
		t.Errorf("the demo's trail holds %+v (%v)", entries, err)
	}
}

// libvirt's own log is kept small: past the limit it is moved aside.
func TestLibvirtLogIsRotated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "libvirt.log")
	os.WriteFile(path, make([]byte, 100), 0o600)
	rotate(path, 1000)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("a small log should stay: %v", err)
	}
	os.WriteFile(path, make([]byte, 2000), 0o600)
	rotate(path, 1000)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a large log should be moved aside: %v", err)
	}
	if info, err := os.Stat(path + ".1"); err != nil || info.Size() != 2000 {
		t.Errorf("the previous log should be kept as libvirt.log.1: %v", err)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := hv(t, "version")
	if code != 0 || !strings.HasPrefix(out, "hv ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

func TestLifecycleVerbsOnTheDemo(t *testing.T) {
	// Each run gets its own demo host, so each case starts fresh.
	tests := []struct {
		args   []string
		code   int
		out    string
		stderr string
	}{
		{[]string{"vm", "pause", "--demo", "web-01", "mail"}, 0, "web-01: paused\nmail: paused\n", ""},
		{[]string{"vm", "start", "--demo", "backup"}, 0, "backup: started\n", ""},
		{[]string{"vm", "pause", "--demo", "backup"}, 1, "", "backup: skipped: backup is shut off"},
		{[]string{"vm", "pause", "--demo", "backup", "ci-runner"}, 1, "", "ci-runner: skipped: ci-runner is shut off"},
		{[]string{"vm", "pause", "--demo", "backup", "web-01"}, 1, "web-01: paused\n", "backup: skipped: backup is shut off"},
		{[]string{"vm", "resume", "--demo", "--filter", "state:paused"}, 0, "dev-sandbox: resumed\nk8s-node-3: resumed\n", ""},
		{[]string{"vm", "destroy", "--demo", "web-01"}, 2, "", "refusing to force off web-01 without confirmation: add --yes"},
		{[]string{"vm", "destroy", "--demo", "--yes", "web-01"}, 0, "web-01: forced off\n", ""},
		{[]string{"vm", "start", "--demo", "nosuch"}, 1, "", "look up nosuch: not found; fix: check the name with 'hv vm list'"},
		{[]string{"vm", "start", "--demo"}, 2, "", "name the VMs, or use --filter QUERY or --all"},
		{[]string{"vm", "delete", "--demo", "--yes", "web-01"}, 1, "", "delete web-01: not possible in its current state (web-01 is running: shut it down first); fix: run 'hv vm shutdown web-01' first"},
		{[]string{"vm", "delete", "--demo", "--yes", "backup"}, 0, "backup: deleted\n", ""},
		{[]string{"vm", "pause", "--demo", "--read-only", "web-01"}, 1, "", "read-only access"},
		{[]string{"vm", "autostart", "--demo", "backup", "on"}, 0, "backup: set to start with the host\n", ""},
		{[]string{"vm", "set", "--demo", "backup", "--vcpus", "4", "--memory", "3G"}, 0, "backup: 4 vCPUs, at the next boot\nbackup: memory 3G, at the next boot\n", ""},
		{[]string{"vm", "set", "--demo", "backup", "--memory", "lots"}, 2, "", "--memory: \"lots\" is not a size"},
		{[]string{"vm", "snapshot", "create", "--demo", "web-01", "bad/name"}, 2, "", "cannot contain '/'"},
		{[]string{"vm", "snapshot", "create", "--demo", "web-01", "s1"}, 0, "web-01: took s1 (disks and memory)\n", ""},
		{[]string{"vm", "snapshot", "revert", "--demo", "--yes", "db-primary", "baseline"}, 0, "db-primary: reverted baseline\n", ""},
		{[]string{"vm", "snapshot", "revert", "--demo", "--yes", "db-primary", "nope"}, 1, "", "no snapshot named \"nope\""},
		{[]string{"vm", "snapshot", "delete", "--demo", "--yes", "db-primary", "baseline"}, 0, "db-primary: deleted baseline\n", ""},
		{[]string{"vm", "console", "--demo", "web-01"}, 1, "", "not supported"},
	}
	for _, tt := range tests {
		code, out, errOut := hv(t, tt.args...)
		if code != tt.code || out != tt.out || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("hv %v:\n exit %d, stdout %q, stderr %q\nwant exit %d, stdout %q, stderr containing %q",
				tt.args, code, out, errOut, tt.code, tt.out, tt.stderr)
		}
	}
}

// Each error names the fix that fits it, not a generic one.
func TestErrorsNameTheFixThatFits(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"vm", "snapshot", "revert", "--demo", "--yes", "db-primary", "nope"},
			`hv: revert db-primary: not found (no snapshot named "nope"); fix: check the snapshot's name with 'hv vm snapshot list db-primary'`},
		{[]string{"vm", "set", "--demo", "backup", "--detach-disk", "vdz"},
			"hv: detach a disk from backup: not found (no disk on vdz); fix: check the disk's target (vda, sdb...) with 'hv vm show backup'"},
		{[]string{"vm", "set", "--demo", "backup", "--attach-disk", "default/nope.qcow2"},
			"hv: attach a disk to backup: not found (pool default has no volume nope.qcow2); fix: check the volume's name with 'hv pool volumes default'"},
		{[]string{"vm", "delete", "--demo", "--yes", "web-01"},
			"hv: delete web-01: not possible in its current state (web-01 is running: shut it down first); fix: run 'hv vm shutdown web-01' first"},
		{[]string{"vm", "delete", "--demo", "--read-only", "--yes", "backup"},
			"hv: delete backup: permission denied (read-only access); fix: hv was started with --read-only; start it without to make changes"},
		{[]string{"net", "autostart", "--demo", "--read-only", "default", "off"},
			"; fix: hv was started with --read-only; start it without to make changes"},
	}
	for _, tt := range tests {
		code, _, errOut := hv(t, tt.args...)
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("hv %v: exit %d, stderr %q; want exit 1 and %q", tt.args, code, errOut, tt.want)
		}
	}
}

func TestShowJSON(t *testing.T) {
	code, out, _ := hv(t, "vm", "show", "--demo", "--json", "db-primary")
	var d map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if d["state"] != "running" || d["firmware"] != "uefi" || len(d["disks"].([]any)) != 2 || len(d["addresses"].([]any)) == 0 {
		t.Errorf("unexpected show output: %v", d)
	}
}

func TestCreateCloneAndDeleteWithStorage(t *testing.T) {
	iso := "/var/lib/libvirt/images/debian-12.5.0-amd64-netinst.iso"
	tests := []struct {
		args   []string
		code   int
		out    string
		stderr string
	}{
		{[]string{"vm", "create", "--demo", "app-01", "--memory", "2G", "--vcpus", "2", "--disk", "10G", "--iso", iso, "--network", "default", "--start"}, 0, "app-01: created (running)\n", ""},
		{[]string{"vm", "create", "--demo", "web-01", "--memory", "2G", "--vcpus", "2"}, 1, "", "a VM named web-01 exists); fix: pick another name"},
		{[]string{"vm", "create", "--demo", "big", "--memory", "2G", "--vcpus", "2", "--disk", "500G"}, 1, "", "not enough space in pool default: needs 500G, has 19G"},
		{[]string{"vm", "create", "--demo", "x", "--memory", "2G"}, 2, "", "--memory and --vcpus are required"},
		{[]string{"vm", "create", "--demo", "x", "--memory", "2G", "--vcpus", "1", "--iso", "/no.iso"}, 1, "", "find volume /no.iso: not found"},
		{[]string{"vm", "clone", "--demo", "web-01", "web-09"}, 1, "", "web-01 is running"},
		{[]string{"vm", "clone", "--demo", "backup", "web-01"}, 1, "", "a VM named web-01 exists"},
		{[]string{"vm", "delete", "--demo", "--storage", "backup"}, 2, "", "refusing to delete with its disks backup without confirmation: add --yes"},
		{[]string{"vm", "delete", "--demo", "--storage", "--yes", "backup"}, 0, "backup: deleted with its disks\n", ""},
	}
	for _, tt := range tests {
		code, out, errOut := hv(t, tt.args...)
		if code != tt.code || out != tt.out || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("hv %v:\n exit %d, stdout %q, stderr %q\nwant exit %d, stdout %q, stderr containing %q",
				tt.args, code, out, errOut, tt.code, tt.out, tt.stderr)
		}
	}
}

// Every --json output names its fields in snake_case, as documented.
func TestJSONKeysAreSnakeCase(t *testing.T) {
	key := regexp.MustCompile(`^[a-z0-9_]+$`)
	var walk func(cmd string, v any)
	walk = func(cmd string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if !key.MatchString(k) {
					t.Errorf("hv %s --json has the key %q", cmd, k)
				}
				walk(cmd, x)
			}
		case []any:
			for _, x := range v {
				walk(cmd, x)
			}
		}
	}
	for _, args := range [][]string{
		{"vm", "list"}, {"vm", "show", "db-primary"}, {"vm", "snapshot", "list", "db-primary"},
		{"net", "list"}, {"net", "show", "default"}, {"pool", "list"}, {"pool", "show", "default"}, {"pool", "volumes", "default"},
		{"features", "list"}, {"features", "show", "ssh"}, {"features", "score"}, {"features", "status"}, {"features", "check"},
		{"phase", "status"}, {"doctor"}, {"version"}, {"threats", "rules"},
	} {
		code, out, errOut := hv(t, append(args, "--demo", "--json")...)
		var v any
		if code != 0 || json.Unmarshal([]byte(out), &v) != nil {
			t.Errorf("hv %v --json: exit %d, %s%s", args, code, out, errOut)
			continue
		}
		walk(strings.Join(args, " "), v)
	}
}

// With --json, an error is JSON too: what went wrong, the fix, the exit
// status.
func TestJSONErrorsAreJSON(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"vm", "show", "nope", "--demo", "--json"}, 1},
		{[]string{"vm", "list", "--filter", "state:x", "--json"}, 2},
	} {
		code, out, errOut := hv(t, tt.args...)
		var e struct {
			Error, Fix string
			Exit       int
		}
		if code != tt.code || out != "" || json.Unmarshal([]byte(errOut), &e) != nil || e.Error == "" || e.Fix == "" || e.Exit != code {
			t.Errorf("hv %v: exit %d, stdout %q, stderr %q", tt.args, code, out, errOut)
		}
	}
}

// TestShutdownWaitPrintsTheFinalState: with --wait, hv reports what it
// waited for (the VM is off), not only that it asked.
func TestShutdownWaitPrintsTheFinalState(t *testing.T) {
	code, out, errOut := hv(t, "vm", "shutdown", "dns-01", "--wait", "--yes", "--demo")
	if code != 0 || !strings.Contains(out, "dns-01: shut down, now shut off") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = hv(t, "vm", "shutdown", "dns-01", "--wait", "--yes", "--json", "--demo")
	var res []map[string]any
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || len(res) != 1 || res[0]["state"] != "shut off" {
		t.Errorf("--json should give the final state: exit %d, %v, %s", code, err, out)
	}
}
