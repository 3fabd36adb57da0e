package access

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/phase"
)

// Where are the host's files Gather looks at; tests point them at
// fixtures.
type Where struct {
	Group     string   // the operators group
	RuleFiles []string // where polkit rules may be (nix.PolkitRuleFiles)
	StagedDir string   // the directory of the staged host file
	AuditLog  string   // the audit trail
	// UserState is the user's own state directory: an audit trail there is
	// hv's fallback on a host without one of its own.
	UserState string
	ApplyUnit string
	Phase     phase.Phase // the host file's, for when the daemon does not say
	Demo      bool
	// UnitLoaded asks systemd whether a unit is installed; nil uses
	// systemctl.
	UnitLoaded func(unit string) (bool, error)
}

// Gather reads the facts about this process and the host's files; lv is
// what the caller's libvirt probe answered, d what the daemon did.
func Gather(w Where, lv Libvirt, d Daemon) Facts {
	f := Facts{Group: w.Group, Libvirt: lv, Daemon: d, Phase: w.Phase, Demo: w.Demo}
	if p, err := phase.Parse(d.Phase); d.Answers() && d.Phase != "" && err == nil {
		f.Phase = p // what the daemon enforces is what binds
	}
	f.Identity = identity()
	_, err := user.LookupGroup(w.Group)
	f.GroupExists = err == nil
	f.Rule = findRule(w.RuleFiles, nix.PolkitRuleBody(nix.PolkitRule, w.Group), "50-hyper-nixos.rules")
	f.Audit = writable(w.AuditLog, true)
	f.Audit.System = w.UserState == "" || !strings.HasPrefix(w.AuditLog, filepath.Clean(w.UserState)+"/")
	f.Staging = writable(w.StagedDir, false)
	f.Staging.System = exists(w.StagedDir)
	f.Apply = unit(w.ApplyUnit, w.UnitLoaded)
	return f
}

func identity() Identity {
	id := Identity{UID: os.Getuid()}
	if u, err := user.Current(); err == nil {
		id.User = u.Username
		if gids, err := u.GroupIds(); err == nil {
			id.Member = groupNames(gids)
		}
	}
	gids, _ := os.Getgroups()
	var ids []string
	for _, g := range append([]int{os.Getgid()}, gids...) {
		ids = append(ids, strconv.Itoa(g))
	}
	id.Groups = groupNames(ids)
	return id
}

// groupNames names group ids, once each, in the order given.
func groupNames(gids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, gid := range gids {
		name := gid
		if g, err := user.LookupGroupId(gid); err == nil {
			name = g.Name
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// findRule looks for body in the rule files; own is the file name the
// rule has when installed on its own.
func findRule(files []string, body, own string) Rule {
	var r Rule
	for _, path := range files {
		data, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrPermission):
			r.Unreadable = filepath.Dir(path) + " is readable by root and polkitd only"
			continue
		case err != nil:
			continue
		}
		if strings.Contains(normalise(string(data)), normalise(body)) {
			return Rule{File: path, Installed: true}
		}
		if filepath.Base(path) == own {
			r.File, r.Differs = path, true
		}
	}
	if r.Differs {
		r.Unreadable = ""
	}
	return r
}

// normalise drops indentation and blank lines: NixOS joins rules into one
// file, which changes neither.
func normalise(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writable says whether this user may write path (append, for a file):
// the kernel's own answer (access(2)), not a guess from the mode bits.
// A file that does not exist yet is writable when its directory is.
func writable(path string, file bool) Path {
	p := Path{Path: path}
	target := path
	if file && !exists(path) {
		target = filepath.Dir(path)
		for !exists(target) && target != filepath.Dir(target) {
			target = filepath.Dir(target)
		}
	}
	if !exists(target) {
		p.Why = path + " does not exist"
		return p
	}
	if err := syscall.Access(target, 2 /* W_OK */); err != nil {
		p.Why = "permission denied"
		if !errors.Is(err, syscall.EACCES) {
			p.Why = err.Error()
		}
		return p
	}
	p.Writable = true
	return p
}

func unit(name string, loaded func(string) (bool, error)) Unit {
	u := Unit{Name: name}
	if loaded == nil {
		loaded = systemctlLoaded
	}
	ok, err := loaded(name)
	if err != nil {
		u.Unknown = err.Error()
		return u
	}
	u.Installed = ok
	return u
}

// systemctlLoaded asks systemd whether unit is installed.
func systemctlLoaded(unit string) (bool, error) {
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		return false, errors.New("systemd is not running")
	}
	out, err := exec.Command("systemctl", "show", "--property=LoadState", "--value", unit).Output()
	if err != nil {
		return false, errors.New("systemctl failed: " + err.Error())
	}
	return strings.TrimSpace(string(out)) == "loaded", nil
}
