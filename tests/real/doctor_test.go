package real

import (
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/tests/need"
)

// doctorReport is the part of 'hv doctor --json' the test reads.
type doctorReport struct {
	User    string `json:"user"`
	Libvirt struct {
		ReadWrite bool `json:"read_write"`
		ReadOnly  bool `json:"read_only"`
	} `json:"libvirt"`
	Polkit struct {
		LibvirtRule struct {
			Installed  bool   `json:"installed"`
			File       string `json:"file"`
			Unreadable string `json:"unreadable"`
		} `json:"libvirt_rule"`
	} `json:"polkit"`
	Capabilities []struct {
		ID, Why, Fix string
		Can          bool
		Root         string `json:"why_root"`
	} `json:"capabilities"`
}

// TestDoctorAsRootOperatorAndOutsider runs the built hv doctor as root, as
// the operator (read-write through hv's polkit rule) and as the outsider
// (read-only), on a host contract laid out as the NixOS module lays it out:
// a staging directory and an audit trail for the operators group.
func TestDoctorAsRootOperatorAndOutsider(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to switch users")
	bin := buildHV(t)
	env := moduleLayout(t)
	type want struct {
		rw, manage, stage, audit, leave bool
		fixes                           map[string]string // capability: part of its fix
		rule                            string            // what the libvirt rule check says
	}
	for _, tt := range []struct {
		user string
		want want
	}{
		{"root", want{rw: true, manage: true, stage: true, audit: true, leave: true, rule: "installed"}},
		{e.operator, want{rw: true, manage: true, stage: true, audit: true, leave: false, rule: "unknown",
			fixes: map[string]string{"phase.leave": "run 'hv phase setup' as root", "operators.change": "run 'hv wizard' as root"}}},
		{e.outsider, want{rw: false, manage: false, stage: false, audit: false, leave: false, rule: "unknown",
			fixes: map[string]string{"vm.manage": "usermod -aG hvoperators " + e.outsider, "host.stage": "add " + e.outsider + " to operators.users"}}},
	} {
		t.Run(tt.user, func(t *testing.T) {
			out := runHVAs(t, bin, tt.user, env, "doctor", "--json", "--connect", e.uri)
			var r doctorReport
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			caps := map[string]bool{}
			for _, c := range r.Capabilities {
				caps[c.ID] = c.Can
				// Without systemd here, nothing in hv's power starts the apply
				// service (nor so hardens the host): the reason says so.
				if !c.Can && c.Fix == "" && c.ID != "host.apply" && c.ID != "phase.harden" {
					t.Errorf("%s may not %s, and no fix is given", tt.user, c.ID)
				}
				if want, ok := tt.want.fixes[c.ID]; ok && (!strings.Contains(c.Fix, want) || c.Root == "") {
					t.Errorf("%s: %s fix %q (root: %q), want %q and why root", tt.user, c.ID, c.Fix, c.Root, want)
				}
			}
			w := tt.want
			got := want{rw: r.Libvirt.ReadWrite, manage: caps["vm.manage"], stage: caps["host.stage"], audit: caps["audit.append"], leave: caps["phase.leave"]}
			if got.rw != w.rw || !r.Libvirt.ReadOnly || !caps["vm.watch"] || got.manage != w.manage || got.stage != w.stage ||
				got.audit != w.audit || got.leave != w.leave {
				t.Errorf("%s: read-write %v, manage %v, stage %v, audit %v, leave %v; want %+v\n%s",
					tt.user, got.rw, got.manage, got.stage, got.audit, got.leave, w, out)
			}
			rule := r.Polkit.LibvirtRule
			switch {
			case w.rule == "installed" && (!rule.Installed || filepath.Base(rule.File) != "50-hyper-nixos.rules"):
				t.Errorf("root reads the rules: %+v", rule)
			case w.rule == "unknown" && (rule.Installed || rule.Unreadable == ""):
				t.Errorf("%s cannot read the rules, and must say so: %+v", tt.user, rule)
			}
			text := runHVAs(t, bin, tt.user, env, "doctor", "--connect", e.uri)
			if !strings.Contains(text, "What you may do") || !strings.Contains(text, "This host") || (!w.manage && !strings.Contains(text, "root is needed:")) {
				t.Errorf("%s: the text report\n%s", tt.user, text)
			}
		})
	}
}

// moduleLayout makes a host contract as the NixOS module's tmpfiles rules
// do, in a directory of its own, and returns the environment pointing hv
// at it: staged/ 2770 root:hvoperators, the audit trail 0660 in a 0750
// directory of the group, a host file naming the operator.
func moduleLayout(t *testing.T) []string {
	t.Helper()
	g, err := user.LookupGroup("hvoperators")
	if err != nil {
		t.Fatal(err)
	}
	gid, _ := strconv.Atoi(g.Gid)
	dir := sharedDir(t, "hv-doctor-", 0o755)
	mk := func(path string, mode os.FileMode) {
		if err := os.MkdirAll(path, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chown(path, 0, gid)
		os.Chmod(path, mode)
	}
	state, logs := filepath.Join(dir, "state"), filepath.Join(dir, "log")
	mk(state, 0o755)
	mk(filepath.Join(state, "staged"), 0o2770|os.ModeSetgid)
	mk(logs, 0o750)
	audit := filepath.Join(logs, "audit.log")
	os.WriteFile(audit, nil, 0o660)
	os.Chown(audit, 0, gid)
	os.Chmod(audit, 0o660)
	host := filepath.Join(dir, "host.toml")
	os.WriteFile(host, []byte("version = 1\nphase = \"setup\"\nfeatures = []\n[operators]\ngroup = \"hvoperators\"\nusers = [\"hvop\"]\n"), 0o644)
	return []string{"HV_STATE_DIR=" + state, "HV_AUDIT_LOG=" + audit, "HV_HOST_FILE=" + host}
}
