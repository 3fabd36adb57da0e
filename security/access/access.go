// Package access is privilege separation made visible: who the user is,
// what libvirt, polkit and the host's files let them do, and for each
// thing they may not, the fix (the exact command) and why it needs root.
// hv never calls sudo; it says what root must run.
//
// Facts come in (Gather reads the files; the caller probes libvirt and
// passes the answers), and Map turns them into the capability map.
package access

import (
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

// Libvirt is what connecting to libvirt answered, read-write and read-only
// tried apart: nil when allowed.
type Libvirt struct {
	URI       string
	ReadWrite error
	ReadOnly  error
}

// Rule is one of hv's polkit rules as found on the host.
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
	Libvirt     Libvirt
	LibvirtRule Rule // 50-hyper-nixos: the group manages libvirt
	ApplyRule   Rule // 51-hyper-nixos-apply: the group may start the apply service
	Audit       Path // the audit trail
	Staging     Path // the directory staged host files go to
	Apply       Unit
	Phase       phase.Phase
}

// InGroup reports whether this process has the operators group now;
// MemberOfGroup whether the user is in it at all (next login).
func (f Facts) InGroup() bool       { return slices.Contains(f.Groups, f.Group) }
func (f Facts) MemberOfGroup() bool { return slices.Contains(f.Member, f.Group) }

// Report is what 'hv doctor' and the Host screen show: the facts, the
// capability map made from them, and the host's checks.
type Report struct {
	Facts        Facts
	Capabilities []Capability
	Host         []hostcheck.Check
}
