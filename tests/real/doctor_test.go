package real

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/security/polkit"
	"github.com/hyper-nixos/hv/tests/need"
)

// doctorReport is the part of 'hv doctor --json' the test reads.
type doctorReport struct {
	User   string `json:"user"`
	Daemon struct {
		Socket  string   `json:"socket"`
		Answers bool     `json:"answers"`
		Error   string   `json:"error"`
		Phase   string   `json:"phase"`
		Allowed []string `json:"allowed"`
	} `json:"daemon"`
	Libvirt struct {
		ReadWrite      bool   `json:"read_write"`
		ReadWriteError string `json:"read_write_error"`
		ReadOnly       bool   `json:"read_only"`
	} `json:"libvirt"`
	Rule struct {
		Installed  bool   `json:"installed"`
		File       string `json:"file"`
		Unreadable string `json:"unreadable"`
	} `json:"polkit_rule"`
	Phase        string `json:"phase"`
	Capabilities []struct {
		ID, Why, Fix string
		Can          bool
		Root         string `json:"why_root"`
	} `json:"capabilities"`
}

// TestDoctorAsRootOperatorAndOutsider runs the built hv doctor against the
// real daemon of tests/real/daemon.sh, as root (libvirt read-write,
// directly), as the operator (every hv action through the daemon, libvirt
// read-only) and as the outsider (only looking; the fix says how to join).
func TestDoctorAsRootOperatorAndOutsider(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to switch users")
	socket, hostFile := e.socket, e.hostFile
	if socket == "" || hostFile == "" {
		need.Missing(t, "no hv daemon (HV_REAL_SOCKET, HV_REAL_HOST_FILE): run ./tests/run, or eval \"$(tests/real/daemon.sh env)\"")
	}
	bin := buildHV(t)
	// The daemon's host file (the operators group, the setup phase), and
	// a staging directory of root's, as the NixOS module makes them.
	state := sharedDir(t, "hv-doctor-", 0o755)
	if err := os.Mkdir(filepath.Join(state, "staged"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{"HV_SOCKET=" + socket, "HV_HOST_FILE=" + hostFile, "HV_STATE_DIR=" + state}
	var every []string
	for _, a := range polkit.Actions {
		every = append(every, a.ID)
	}
	type want struct {
		rw      bool
		allowed []string // hv's actions polkit grants, through the daemon; nil: not checked (root)
		can     map[string]bool
		fixes   map[string]string // capability: part of its fix, which needs root
		rule    string            // what the rule check says
		text    []string          // in the text report
	}
	// Without systemd here, nothing starts the apply service (nor so
	// hardens the host): the reason says so, with no fix.
	noFix := []string{"host.apply", "phase.harden"}
	for _, tt := range []struct {
		user string
		want want
	}{
		{"root", want{rw: true, rule: "installed", can: map[string]bool{"vm.watch": true, "vm.manage": true, "host.stage": true,
			"host.apply": false, "audit.read": true, "audit.record": true, "phase.leave": true, "operators.change": true},
			text: []string{"you are root: hv talks to libvirt at " + e.uri + " directly, read-write"}}},
		{e.operator, want{rw: false, allowed: every, rule: "unknown", can: map[string]bool{"vm.watch": true, "vm.manage": true, "host.stage": true,
			"host.apply": false, "audit.read": true, "audit.record": true, "phase.leave": false, "operators.change": false},
			fixes: map[string]string{"phase.leave": "run 'hv phase setup' as root", "operators.change": "run 'hv wizard' as root"},
			text: []string{"polkit grants you: look, lifecycle, create, edit, delete, delete with disks, console, migrate, snapshots, networks, storage, stage host changes, read the trail",
				"read-write not asked: only root and the hv daemon hold read-write libvirt; read-only allowed",
				"your actions are recorded by the hv daemon"}}},
		{e.outsider, want{rw: false, allowed: []string{polkit.Read}, rule: "unknown", can: map[string]bool{"vm.watch": true, "vm.manage": false,
			"host.stage": false, "audit.read": false, "audit.record": true, "phase.leave": false},
			fixes: map[string]string{"vm.manage": "usermod -aG hvoperators " + e.outsider, "host.stage": "add " + e.outsider + " to operators.users",
				"audit.read": "usermod -aG hvoperators " + e.outsider},
			text: []string{"polkit grants hv's actions to the hvoperators group, and you are not in it", "root is needed: membership of the operators group"}}},
	} {
		t.Run(tt.user, func(t *testing.T) {
			w := tt.want
			out := runHVAs(t, bin, tt.user, env, "doctor", "--json")
			var r doctorReport
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if d := r.Daemon; !d.Answers || d.Socket != socket || d.Phase != "setup" || r.Phase != "setup" ||
				(w.allowed != nil && !slices.Equal(d.Allowed, w.allowed)) {
				t.Errorf("%s: the daemon's answer %+v (phase %s), want it to grant %v", tt.user, d, r.Phase, w.allowed)
			}
			if r.Libvirt.ReadWrite != w.rw || !r.Libvirt.ReadOnly || (!w.rw && !strings.Contains(r.Libvirt.ReadWriteError, "not asked")) {
				t.Errorf("%s: libvirt %+v, want read-write %v (not asked otherwise) and read-only", tt.user, r.Libvirt, w.rw)
			}
			for _, c := range r.Capabilities {
				if want, ok := w.can[c.ID]; ok && c.Can != want {
					t.Errorf("%s: %s can = %v, want %v (%s)", tt.user, c.ID, c.Can, want, c.Why)
				}
				if !c.Can && c.Fix == "" && !slices.Contains(noFix, c.ID) {
					t.Errorf("%s may not %s, and no fix is given (%s)", tt.user, c.ID, c.Why)
				}
				if want, ok := w.fixes[c.ID]; ok && (!strings.Contains(c.Fix, want) || c.Root == "") {
					t.Errorf("%s: %s fix %q (root: %q), want %q and why root", tt.user, c.ID, c.Fix, c.Root, want)
				}
			}
			rule := r.Rule
			switch {
			case w.rule == "installed" && (!rule.Installed || filepath.Base(rule.File) != "50-hyper-nixos.rules"):
				t.Errorf("root reads the rules: %+v", rule)
			case w.rule == "unknown" && (rule.Installed || rule.Unreadable == ""):
				t.Errorf("%s cannot read the rules, and must say so: %+v", tt.user, rule)
			}
			text := runHVAs(t, bin, tt.user, env, "doctor")
			for _, want := range append(w.text, "What you may do", "This host") {
				if !strings.Contains(text, want) {
					t.Errorf("%s: the text report lacks %q:\n%s", tt.user, want, text)
				}
			}
		})
	}
}
