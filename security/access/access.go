// Package access is privilege separation made visible: who the user is,
// what the hv daemon (through polkit), libvirt and the host's files let
// them do, and for each thing they may not, the fix (the exact command)
// and why it needs root. hv never calls sudo; it says what root must run.
//
// Operators change VMs and the host only through the hv daemon, which
// alone holds read-write libvirt, asks polkit for each of hv's actions,
// checks the phase and the payload policy, and writes the audit trail.
// Root's hv (and the demo) do it all themselves.
//
// Facts come in (Gather reads the files; the caller asks the daemon and
// probes libvirt, and passes the answers), and Map turns them into the
// capability map.
package access

import (
	"errors"
	"slices"

	"github.com/hyper-nixos/hv/security/hostcheck"
	"github.com/hyper-nixos/hv/security/phase"
)

// Identity is who runs hv.
type Identity struct {
	User string `json:"user"`
	UID  int    `json:"uid"`
	// Groups are this process's groups: what the kernel and polkit check
	// now. Member are the groups the group database gives the user: what
	// the next login gets.
	Groups []string `json:"groups"`
	Member []string `json:"member_of"`
}

// Root reports whether the user is root.
func (id Identity) Root() bool { return id.UID == 0 }

// Daemon is the hv daemon as this user reached it, and what its whoami
// answered.
type Daemon struct {
	Socket string
	// Missing: no socket there (the daemon is not installed or not
	// started). Err: why it did not answer otherwise, in a sentence; both
	// zero when it did.
	Missing bool
	Err     error
	Phase   string   // the phase it enforces
	Allowed []string // hv's polkit actions polkit grants this user
	URI     string   // the libvirt connection behind it
	Version string
}

// Answers reports whether the daemon answered this user.
func (d Daemon) Answers() bool { return d.Socket != "" && !d.Missing && d.Err == nil }

// Problem is why the daemon did not answer, "" when it did.
func (d Daemon) Problem() string {
	switch {
	case d.Missing:
		return "not running: no socket at " + d.Socket
	case d.Err != nil:
		return d.Err.Error()
	case d.Socket == "":
		return "not asked"
	}
	return ""
}

// Grants reports whether polkit grants this user action, as the daemon said.
func (d Daemon) Grants(action string) bool { return d.Answers() && slices.Contains(d.Allowed, action) }

// ErrNotAsked stands for read-write libvirt where hv did not ask for it:
// operators' changes go through the daemon, and a refused read-write
// connection would only be an attempt in the logs the threat monitor reads.
var ErrNotAsked = errors.New("not asked: only root and the hv daemon hold read-write libvirt")

// Libvirt is what connecting to libvirt directly answered, read-write and
// read-only tried apart: nil when allowed.
type Libvirt struct {
	URI       string
	ReadWrite error
	ReadOnly  error
}

// Rule is hv's polkit rule as found on the host.
type Rule struct {
	File      string `json:"file,omitempty"` // where it was found
	Installed bool   `json:"installed"`
	// Differs: a file of that name holds another rule (an older or edited copy).
	Differs bool `json:"differs,omitempty"`
	// Unreadable: the rules directory could not be read (only root and
	// polkitd may), so Installed is unknown.
	Unreadable string `json:"unreadable,omitempty"`
}

// Known reports whether hv could tell whether the rule is installed.
func (r Rule) Known() bool { return r.Unreadable == "" }

// Path is a file or directory hv writes to, and whether this user may.
type Path struct {
	Path     string `json:"path"`
	Writable bool   `json:"writable"`
	Why      string `json:"why,omitempty"` // why not: missing, permission
	// System: the host's own (the NixOS module made it), not a fallback
	// in the user's home.
	System bool `json:"system"`
}

// Unit is the apply service as systemd knows it.
type Unit struct {
	Name      string `json:"name"`
	Installed bool   `json:"installed"`
	// Unknown says why systemd could not be asked (not running here).
	Unknown string `json:"unknown,omitempty"`
}

// Facts are everything the map is made from.
type Facts struct {
	Identity
	Group       string // the operators group (host file, else the default)
	GroupExists bool
	Daemon      Daemon
	Libvirt     Libvirt
	Rule        Rule // hv's grant of its actions to the group (50-hyper-nixos.rules)
	Audit       Path // the audit trail
	Staging     Path // the directory of the staged host file (root's hv writes it)
	Apply       Unit
	Phase       phase.Phase // the daemon's when it answered, else the host file's
	Demo        bool        // the built-in demo host, in hv's memory
}

// InGroup reports whether this process has the operators group now;
// MemberOfGroup whether the user is in it at all (next login).
func (f Facts) InGroup() bool       { return slices.Contains(f.Groups, f.Group) }
func (f Facts) MemberOfGroup() bool { return slices.Contains(f.Member, f.Group) }

// Local reports whether hv does everything itself for this user, with no
// daemon between: as root, or with read-write libvirt of its own where no
// daemon answers (the demo host, a host without the daemon).
func (f Facts) Local() bool {
	return f.Root() || (!f.Daemon.Answers() && f.Libvirt.ReadWrite == nil)
}

// Report is what 'hv doctor' and the Host screen show: the facts, the
// capability map made from them, and the host's checks.
type Report struct {
	Facts        Facts
	Capabilities []Capability
	Host         []hostcheck.Check
}
