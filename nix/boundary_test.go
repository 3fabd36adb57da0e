package nix

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/vm/api"
)

// unit is a systemd unit as nix/tests/eval.nix shows it.
type unit struct {
	WantedBy      []string          `json:"wantedBy"`
	Requires      []string          `json:"requires"`
	After         []string          `json:"after"`
	Wants         []string          `json:"wants"`
	Settings      map[string]any    `json:"settings"`
	ListenStreams []string          `json:"listenStreams"`
	Environment   map[string]string `json:"environment"`
	Path          []string          `json:"path"`
	UnitSettings  map[string]any    `json:"unitSettings"`
	Before        []string          `json:"before"`
	RequiredBy    []string          `json:"requiredBy"`
}

// addRuleBlocks are the polkit.addRule(...) blocks of a rules text, each
// up to the first "});" that starts a line.
func addRuleBlocks(text string) []string {
	const start = "polkit.addRule("
	var blocks []string
	for _, piece := range strings.Split(text, start)[1:] {
		body, _, _ := strings.Cut(piece, "\n});")
		blocks = append(blocks, start+body+"\n});")
	}
	return blocks
}

// hvGrant is what the module must install of nix/polkit/50-hyper-nixos.rules:
// the blocks that decide hv's actions, for the operators group.
func hvGrant(group string) []string {
	quoted, _ := json.Marshal(group)
	var out []string
	for _, b := range addRuleBlocks(PolkitRule) {
		if strings.Contains(b, `"org.hyper-nixos.`) {
			out = append(out, strings.ReplaceAll(b, `"hvoperators"`, string(quoted)))
		}
	}
	return out
}

// checkBoundary: what the privilege boundary rests on, as the module
// configures it (nix/daemon.nix). Operators get hv's actions and nothing
// of libvirt or systemd through polkit; hv.socket lets every local user
// reach the daemon; the daemon runs as root in its sandbox, without
// capabilities or network, writing only the audit trail and the state
// directory; only root writes those; and an operator's hv is not told a
// libvirt URI, which would take it around the daemon.
func checkBoundary(t *testing.T, ev evaluation) {
	t.Helper()
	group := ev.OperatorsGroup
	quoted, _ := json.Marshal(group)
	var ours []string
	for _, b := range addRuleBlocks(ev.Polkit) {
		switch {
		case strings.Contains(b, "org.libvirt.unix.manage") && (strings.Contains(b, "isInGroup("+string(quoted)+")") || !strings.Contains(b, `isInGroup("libvirtd")`)):
			t.Errorf("a polkit rule grants read-write libvirt to someone but NixOS's libvirtd group:\n%s", b)
		case strings.Contains(b, "org.freedesktop.systemd1"):
			t.Errorf("a polkit rule lets someone manage systemd units (the daemon starts the apply service as root):\n%s", b)
		case strings.Contains(b, "isInGroup("+string(quoted)+")"):
			ours = append(ours, b)
		}
	}
	if want := hvGrant(group); len(want) == 0 || !slices.Equal(ours, want) {
		t.Errorf("the polkit rules for the operators group %s are\n%s\nwant hv's grant from 50-hyper-nixos.rules:\n%s",
			group, strings.Join(ours, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Contains(ev.Packages, ev.Package) {
		t.Errorf("hv (%s), which carries hv's polkit actions, is not in environment.systemPackages: %v", ev.Package, ev.Packages)
	}
	if uri, ok := ev.SessionVariables["LIBVIRT_DEFAULT_URI"]; ok {
		t.Errorf("sessions get LIBVIRT_DEFAULT_URI=%s: an operator's hv would go to libvirt, read-only, instead of the daemon", uri)
	}

	sock := ev.Units["hv.socket"]
	if sock == nil {
		t.Fatal("no hv.socket")
	}
	if !slices.Equal(sock.ListenStreams, []string{api.DefaultSocket}) || sock.Settings["SocketMode"] != "0666" || !slices.Contains(sock.WantedBy, "sockets.target") {
		t.Errorf("hv.socket listens on %v with %v, wanted by %v; want %s, mode 0666 (the daemon asks polkit about every request), in sockets.target",
			sock.ListenStreams, sock.Settings, sock.WantedBy, api.DefaultSocket)
	}

	svc := ev.Units["hv.service"]
	if svc == nil {
		t.Fatal("no hv.service")
	}
	if exec, _ := svc.Settings["ExecStart"].(string); !strings.HasSuffix(exec, "/bin/hv daemon") {
		t.Errorf("hv.service runs %q, not hv daemon", exec)
	}
	for _, dep := range [][]string{{"requires", "hv.socket"}, {"after", "libvirtd.service"}, {"after", "polkit.service"}, {"wants", "libvirtd.service"}} {
		list := map[string][]string{"requires": svc.Requires, "after": svc.After, "wants": svc.Wants}[dep[0]]
		if !slices.Contains(list, dep[1]) {
			t.Errorf("hv.service: %s %v lacks %s", dep[0], list, dep[1])
		}
	}
	if len(svc.WantedBy) > 0 {
		t.Errorf("hv.service is wanted by %v: it starts on the first connection to hv.socket", svc.WantedBy)
	}
	if !slices.Contains(svc.Path, "systemd") {
		t.Errorf("hv.service's path %v lacks systemd: the daemon runs systemctl (the apply) and journalctl (the audit anchors)", svc.Path)
	}
	if got := svc.Environment["LIBVIRT_LOG_OUTPUTS"]; got != "3:stderr" {
		t.Errorf("hv.service: LIBVIRT_LOG_OUTPUTS=%q; libvirt's warnings belong in the journal", got)
	}
	writable := []string{filepath.Dir(audit.SystemPath), filepath.Dir(audit.SystemAnchorPath), DefaultStateDir}
	for key, want := range map[string]any{
		"CapabilityBoundingSet":   []any{""},
		"NoNewPrivileges":         true,
		"ProtectSystem":           "strict",
		"ProtectHome":             "read-only",
		"DevicePolicy":            "closed",
		"RestrictAddressFamilies": []any{"AF_UNIX"},
		"PrivateNetwork":          true,
		"MemoryDenyWriteExecute":  true,
		"RestrictSUIDSGID":        true,
		"SystemCallFilter":        []any{"@system-service", "~@privileged"},
	} {
		if got, _ := json.Marshal(svc.Settings[key]); string(got) != mustJSON(want) {
			t.Errorf("hv.service: %s = %s, want %s", key, got, mustJSON(want))
		}
	}
	rw := asStrings(svc.Settings["ReadWritePaths"])
	for _, dir := range writable {
		if !slices.Contains(rw, dir) {
			t.Errorf("hv.service may write %v, not %s", rw, dir)
		}
	}
	if len(rw) != 2 {
		t.Errorf("hv.service may write %v: only the audit trail's directory and the state directory", rw)
	}
	// The daemon checks paths as libvirtd will see them: nothing hidden.
	for _, key := range []string{"User", "DynamicUser", "PrivateUsers", "PrivateTmp", "PrivateDevices", "ProtectProc", "ProcSubset", "AmbientCapabilities"} {
		if v, set := svc.Settings[key]; set {
			t.Errorf("hv.service sets %s = %v; the daemon runs as root and sees the tree and /proc libvirtd sees", key, v)
		}
	}

	staged := DefaultPaths().Staged
	for _, want := range []string{
		"d " + filepath.Dir(audit.SystemPath) + " 0700 root root -",
		"h " + audit.SystemPath + " - - - - +a", // append-only: the daemon has no capability to lift it
		"d " + DefaultStateDir + " 0755 root root -",
		"d " + filepath.Dir(staged) + " 2750 root " + group + " -", // operators read what hv stages 0640
		// Operators read staged/, so a lock the daemon made would be theirs to hold.
		"f " + staged + ".lock 0600 root root -",
	} {
		if !slices.Contains(ev.Tmpfiles, want) {
			t.Errorf("no tmpfiles rule %q", want)
		}
	}
	// Only root writes the trail and the staged file: every rule for the
	// log directory, the state directory or staged/, or under them, names
	// root as the owner and lets no group or other write. (The state
	// directory's other subdirectories are features': web-console's token
	// file is the operators'.)
	for _, r := range ev.Tmpfiles {
		f := strings.Fields(r)
		within := func(dir string) bool { return f[1] == dir || strings.HasPrefix(f[1], dir+"/") }
		if len(f) < 5 || !(within(filepath.Dir(audit.SystemPath)) || f[1] == DefaultStateDir || within(filepath.Dir(staged))) {
			continue
		}
		if owner := strings.TrimPrefix(f[3], ":"); owner != "root" && owner != "-" {
			t.Errorf("tmpfiles rule %q gives %s to %s; only root writes there", r, f[1], owner)
		}
		if mode, err := strconv.ParseUint(strings.TrimLeft(f[2], ":~"), 8, 32); err == nil && mode&0o022 != 0 {
			t.Errorf("tmpfiles rule %q lets others than root write %s", r, f[1])
		}
	}

	if mon := ev.Units["hv-monitor.service"]; mon != nil {
		// It records playbook actions in the trail, which only root writes.
		if user, set := mon.Settings["User"]; set {
			t.Errorf("hv-monitor runs as %v; the audit trail is root's", user)
		}
		if groups := asStrings(mon.Settings["SupplementaryGroups"]); slices.Contains(groups, "libvirtd") {
			t.Errorf("hv-monitor is in the libvirtd group: read-write libvirt outside root")
		}
		for _, dir := range writable {
			if !slices.Contains(asStrings(mon.Settings["ReadWritePaths"]), "-"+dir) {
				t.Errorf("hv-monitor may not write %s, where the audit trail keeps its entries or its anchor", dir)
			}
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func asStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// TestModuleKeepsOperatorsOutOfLibvirtd: an operator put in NixOS's
// libvirtd group (read-write libvirt, around the daemon), in any of the
// ways NixOS allows, or libvirtd as the operators group, stops the build
// with the fix.
func TestModuleKeepsOperatorsOutOfLibvirtd(t *testing.T) {
	host := filepath.Join("tests", "vm-host.toml") // operators: alice, group hvoperators
	for name, c := range map[string]struct {
		extra string
		want  string
	}{
		"an operator with libvirtd among its groups": {`{ users.users.alice.extraGroups = [ "libvirtd" ]; }`, "alice is an operator and in the libvirtd group"},
		"a member of libvirtd":                       {`{ users.groups.libvirtd.members = [ "alice" ]; }`, "alice is an operator and in the libvirtd group"},
		"an operator by extraGroups, in libvirtd": {`{ users.users.bob.extraGroups = [ "hvoperators" "libvirtd" ]; }`,
			"bob is an operator and in the libvirtd group"},
		"libvirtd as its primary group": {`{ users.users.alice.group = "libvirtd"; }`, "alice is an operator and in the libvirtd group"},
		"someone else in libvirtd":      {`{ users.users.carol.extraGroups = [ "libvirtd" ]; }`, ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			extra := filepath.Join(t.TempDir(), "extra.nix")
			if err := os.WriteFile(extra, []byte(c.extra), 0o644); err != nil {
				t.Fatal(err)
			}
			ev := moduleCase{file: host}.evaluate(t, "--arg", "extra", extra)
			if c.want == "" {
				if len(ev.FailedAssertions) > 0 {
					t.Fatalf("refused: %q", ev.FailedAssertions)
				}
				return
			}
			if len(ev.FailedAssertions) != 1 || !strings.Contains(ev.FailedAssertions[0], c.want) || !strings.Contains(ev.FailedAssertions[0], "operators manage VMs through hv") {
				t.Fatalf("failed assertions %q, want one saying %q, with the fix", ev.FailedAssertions, c.want)
			}
		})
	}
	t.Run("libvirtd as the operators group", func(t *testing.T) {
		t.Parallel()
		data, err := os.ReadFile(host)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "host.toml")
		if err := os.WriteFile(file, []byte(strings.Replace(string(data), `group = "hvoperators"`, `group = "libvirtd"`, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		ev := moduleCase{file: file}.evaluate(t)
		if !slices.ContainsFunc(ev.FailedAssertions, func(m string) bool { return strings.Contains(m, `the operators group is "libvirtd"`) }) {
			t.Fatalf("failed assertions %q, want one saying the operators group may not be libvirtd", ev.FailedAssertions)
		}
	})
}

// TestPackageShipsPolkitActions: the hv package installs the policy file
// security/polkit generates where NixOS links it for polkitd
// (share/polkit-1/actions of environment.systemPackages); without it
// polkit knows none of the actions the daemon asks about.
func TestPackageShipsPolkitActions(t *testing.T) {
	pkg, err := os.ReadFile("package.nix")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`install -Dm0644 (\S+) \$out/share/polkit-1/actions/(\S+)`).FindSubmatch(pkg)
	if m == nil {
		t.Fatal("package.nix installs no polkit actions into $out/share/polkit-1/actions")
	}
	src, dst := string(m[1]), string(m[2])
	if src != "nix/polkit/org.hyper-nixos.policy" || dst != filepath.Base(src) {
		t.Errorf("package.nix installs %s as %s; want nix/polkit/org.hyper-nixos.policy under its own name", src, dst)
	}
	if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
		t.Errorf("package.nix installs a file the source does not have: %v", err)
	}
}
