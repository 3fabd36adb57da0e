package api

import (
	"net/url"
	"strings"
	"time"

	"github.com/hyper-nixos/hv/security"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/security/polkit"
	"github.com/hyper-nixos/hv/vm"
)

// The polkit actions that authorise calls (security/polkit declares them):
// hv's own, granted to the operators' group by the rules the NixOS module
// installs (nix/polkit/50-hyper-nixos.rules); ActionRead is every local
// user's by default, like libvirt's read-only socket.
const (
	ActionRead          = polkit.Read
	ActionLifecycle     = polkit.VMLifecycle
	ActionCreate        = polkit.VMCreate
	ActionEdit          = polkit.VMEdit
	ActionDelete        = polkit.VMDelete
	ActionDeleteStorage = polkit.VMDeleteStorage
	ActionConsole       = polkit.VMConsole
	ActionMigrate       = polkit.VMMigrate
	ActionSnapshot      = polkit.Snapshot
	ActionNetwork       = polkit.Network
	ActionStorage       = polkit.Storage
	ActionStage         = polkit.FeatureStage
	ActionAuditRead     = polkit.AuditRead
)

// Actions lists hv's polkit actions, in the policy's order.
var Actions = func() []string {
	ids := make([]string, len(polkit.Actions))
	for i, a := range polkit.Actions {
		ids[i] = a.ID
	}
	return ids
}()

// Stream says how a reply is sent.
type Stream int

const (
	Single  Stream = iota // one JSON value
	Lines                 // newline-delimited JSON, one value a line, until the call ends
	Upgrade               // 101 Switching Protocols, then raw bytes both ways
)

// Route is one call of the API.
type Route struct {
	Name    string // stable id, e.g. "vm.start"
	Method  string
	Path    string // with {wildcards}, as net/http's ServeMux reads it
	Action  string // the polkit action that must allow the caller
	Summary string
	// Op is what the permission matrix judges (Kind "" for reads). For a
	// VM action, Risk is the action's; where the risk depends on the
	// object (stopping a network running VMs use), it is the lowest and
	// the daemon raises it as the object requires.
	Op phase.Op
	// Names says which value the caller types for a name question: the
	// path wildcard (or body field) holding the object's name.
	Names string
	In    any // the request body's type, nil for none
	Out   any // the reply's type (for Lines: one line), nil for none
	Reply Stream
}

// Bodies of calls that take a small value.
type (
	OnOff struct {
		On bool `json:"on"`
	}
	LinksUp struct {
		Up bool `json:"up"`
	}
	Count struct {
		N int `json:"n"`
	}
	MiB struct {
		MiB uint64 `json:"mib"`
	}
	When struct {
		Applied vm.Applied `json:"applied"`
	}
	CloneReq struct {
		Name  string                  `json:"name"`
		Disks map[string]vm.VolumeRef `json:"disks"` // target (vda) -> the copy made beforehand
	}
	CopyReq struct {
		Name string `json:"name"` // the new volume, in the same pool
	}
	// CopyLine is one line of a volume copy's reply: progress, then the
	// new volume or an error.
	CopyLine struct {
		Done   uint64     `json:"done,omitempty"`
		Total  uint64     `json:"total,omitempty"`
		Volume *vm.Volume `json:"volume,omitempty"`
		Error  *Problem   `json:"error,omitempty"`
	}
	// StageReq stages a change of the host file (hostchange.Request).
	StageReq struct {
		Host           string `json:"host"`            // the whole new host file, TOML
		ExpectedSHA256 string `json:"expected_sha256"` // of the staged file the change was made from; "" when none
		Action         string `json:"action"`          // for the trail: features.stage, phase.harden...
		Summary        string `json:"summary"`
		Apply          bool   `json:"apply"` // start the apply service once staged
	}
	StageReply struct {
		StagedSHA256 string `json:"staged_sha256"`
		ApplyStarted bool   `json:"apply_started"`
		ApplyError   string `json:"apply_error,omitempty"` // why the apply service did not start
	}
	// Verification is the audit trail's check (hv audit verify).
	Verification struct {
		Path      string   `json:"path"`
		Entries   int      `json:"entries"`   // checked, or intact before the problem
		Anchoring string   `json:"anchoring"` // which anchors vouch for it, in words
		Problem   *Problem `json:"problem,omitempty"`
		Line      int      `json:"line,omitempty"` // where the chain breaks; the lines before are intact
	}
	// Answer is the operator's answer to a question that did not lead to
	// a change (declined, a wrong name), for the trail.
	Answer struct {
		Action string `json:"action"`
		Target string `json:"target"`
		Answer string `json:"answer"` // declined, wrong name
		Note   string `json:"note,omitempty"`
	}
	// MigrateReq moves a VM to another host, once that host's daemon has
	// accepted it (vm.migrate.accept): the operator asks both.
	MigrateReq struct {
		To     string `json:"to"`     // the destination's hostname, one of this host's peers (hosts.peers)
		Ticket string `json:"ticket"` // what the destination's daemon handed back when it accepted the VM
	}
	// MigrateLine is one line of a move's reply: progress, then the end
	// (done, or an error) as the last line.
	MigrateLine struct {
		Progress *vm.MigrationProgress `json:"progress,omitempty"`
		Done     bool                  `json:"done,omitempty"`
		Error    *Problem              `json:"error,omitempty"`
	}
	// Ticket is a destination's acceptance of one VM, valid for a while,
	// claimed once by the source host's daemon.
	Ticket struct {
		ID      string    `json:"ticket"`
		Expires time.Time `json:"expires"`
	}
	// MigrationEnd is how a move ended, for the destination's trail.
	MigrationEnd struct {
		Error *Problem `json:"error,omitempty"`
	}
	// Identity is who the daemon takes the caller for, and what polkit
	// lets them do: clients show refusals before a key is pressed.
	Identity struct {
		User     string   `json:"user"`
		UID      uint32   `json:"uid"`
		Root     bool     `json:"root"`
		Phase    string   `json:"phase"`   // the security phase the daemon enforces
		Allowed  []string `json:"allowed"` // the polkit actions granted
		URI      string   `json:"uri"`     // the libvirt connection behind the daemon
		Version  string   `json:"version"` // the daemon's hv version
		Hostname string   `json:"hostname"`
	}
)

func vmAction(r security.Risk) phase.Op { return phase.Op{Kind: phase.VMAction, Risk: r} }

// Routes is the API, in the order the reference lists it.
var Routes = []Route{
	{Name: "whoami", Method: "GET", Path: "/v1/whoami", Action: ActionRead, Out: Identity{},
		Summary: "Who the daemon takes you for, the phase it enforces, and the actions polkit grants you"},
	{Name: "host", Method: "GET", Path: "/v1/host", Action: ActionRead, Out: vm.Host{},
		Summary: "The machine behind the daemon: hypervisor, CPUs, memory, acceleration"},

	{Name: "vm.list", Method: "GET", Path: "/v1/vms", Action: ActionRead, Out: []vm.VM{}, Summary: "Every VM"},
	{Name: "vm.lookup", Method: "GET", Path: "/v1/vms/{ref}", Action: ActionRead, Out: vm.VM{}, Summary: "One VM, by name or UUID"},
	{Name: "vm.details", Method: "GET", Path: "/v1/vms/{ref}/details", Action: ActionRead, Out: vm.Details{}, Summary: "A VM's hardware"},
	{Name: "vm.addresses", Method: "GET", Path: "/v1/vms/{ref}/addresses", Action: ActionRead, Out: []vm.Address{},
		Summary: "A VM's guest addresses (DHCP lease, guest agent or ARP)"},
	{Name: "vm.stats", Method: "GET", Path: "/v1/stats", Action: ActionRead, Out: []vm.Sample{},
		Summary: "One reading of every VM's counters (one bulk call, shared by callers within a second)"},
	{Name: "events", Method: "GET", Path: "/v1/events", Action: ActionRead, Out: vm.Event{}, Reply: Lines,
		Summary: "Lifecycle, network, pool and connection events as they happen, one JSON object a line"},

	{Name: "vm.define", Method: "POST", Path: "/v1/vms", Action: ActionCreate, Op: phase.Op{Kind: phase.VMCreate}, In: vm.Spec{}, Out: vm.VM{},
		Summary: "Define a VM from a typed spec: disks and media are volumes of approved pools"},
	{Name: "vm.clone", Method: "POST", Path: "/v1/vms/{ref}/clone", Action: ActionCreate, Op: phase.Op{Kind: phase.VMCreate}, In: CloneReq{}, Out: vm.VM{},
		Summary: "Define a clone of a VM over copies of its disks made beforehand"},
	{Name: "vm.start", Method: "POST", Path: "/v1/vms/{ref}/start", Action: ActionLifecycle, Op: vmAction(security.Low), Names: "ref", Summary: "Start (or restore) a VM"},
	{Name: "vm.shutdown", Method: "POST", Path: "/v1/vms/{ref}/shutdown", Action: ActionLifecycle, Op: vmAction(security.Medium), Names: "ref", Summary: "Press the power button (ACPI)"},
	{Name: "vm.reboot", Method: "POST", Path: "/v1/vms/{ref}/reboot", Action: ActionLifecycle, Op: vmAction(security.Medium), Names: "ref", Summary: "Ask the guest to restart"},
	{Name: "vm.force-off", Method: "POST", Path: "/v1/vms/{ref}/destroy", Action: ActionLifecycle, Op: vmAction(security.High), Names: "ref", Summary: "Force off: cut the power"},
	{Name: "vm.pause", Method: "POST", Path: "/v1/vms/{ref}/pause", Action: ActionLifecycle, Op: vmAction(security.Low), Names: "ref", Summary: "Freeze a VM in memory"},
	{Name: "vm.resume", Method: "POST", Path: "/v1/vms/{ref}/resume", Action: ActionLifecycle, Op: vmAction(security.Minimal), Names: "ref", Summary: "Let a paused VM run"},
	{Name: "vm.save", Method: "POST", Path: "/v1/vms/{ref}/save", Action: ActionLifecycle, Op: vmAction(security.Medium), Names: "ref",
		Summary: "Save the memory to disk and stop (libvirt's managed save, never to a path)"},
	{Name: "vm.autostart", Method: "PUT", Path: "/v1/vms/{ref}/autostart", Action: ActionLifecycle, Op: vmAction(security.Low), Names: "ref", In: OnOff{},
		Summary: "Start the VM with the host, or not"},
	{Name: "vm.links", Method: "PUT", Path: "/v1/vms/{ref}/links", Action: ActionLifecycle, Op: vmAction(security.Medium), Names: "ref", In: LinksUp{},
		Summary: "Set the link of every NIC of a running VM up or down (isolate it, or reconnect it)"},
	{Name: "vm.delete", Method: "DELETE", Path: "/v1/vms/{ref}", Action: ActionDelete,
		Op: phase.Op{Kind: phase.VMAction, Risk: security.High, Irreversible: true}, Names: "ref",
		Summary: "Delete a VM's definition, snapshots and saved state; its disks stay"},
	{Name: "vm.delete-storage", Method: "DELETE", Path: "/v1/vms/{ref}/with-storage", Action: ActionDeleteStorage, Op: vmAction(security.Critical), Names: "ref",
		Summary: "Delete a VM and its disks' volumes in one step (refused in the hardened phase)"},
	{Name: "vm.set.vcpus", Method: "PUT", Path: "/v1/vms/{ref}/vcpus", Action: ActionEdit, Op: phase.Op{Kind: phase.VMEdit, Risk: security.Low}, Names: "ref", In: Count{}, Out: When{},
		Summary: "Change the vCPUs, live where libvirt can"},
	{Name: "vm.set.memory", Method: "PUT", Path: "/v1/vms/{ref}/memory", Action: ActionEdit, Op: phase.Op{Kind: phase.VMEdit, Risk: security.Low}, Names: "ref", In: MiB{}, Out: When{},
		Summary: "Change the memory, live where libvirt can"},
	{Name: "vm.disk.attach", Method: "POST", Path: "/v1/vms/{ref}/disks", Action: ActionEdit, Op: phase.Op{Kind: phase.VMEdit, Risk: security.Low}, Names: "ref", In: vm.DiskSpec{}, Out: When{},
		Summary: "Attach a volume of an approved pool as a disk or CD-ROM"},
	{Name: "vm.disk.detach", Method: "DELETE", Path: "/v1/vms/{ref}/disks/{target}", Action: ActionEdit, Op: phase.Op{Kind: phase.VMEdit, Risk: security.Low}, Names: "ref", Out: When{},
		Summary: "Detach the disk on a target (vdb...); the volume stays"},
	{Name: "vm.nic.attach", Method: "POST", Path: "/v1/vms/{ref}/nics", Action: ActionEdit, Op: phase.Op{Kind: phase.VMEdit, Risk: security.Low}, Names: "ref", In: vm.NICSpec{}, Out: When{},
		Summary: "Attach a NIC on a libvirt network"},
	{Name: "vm.nic.detach", Method: "DELETE", Path: "/v1/vms/{ref}/nics/{mac}", Action: ActionEdit, Op: phase.Op{Kind: phase.VMEdit, Risk: security.Low}, Names: "ref", Out: When{},
		Summary: "Detach the NIC with a MAC address"},
	{Name: "vm.console", Method: "GET", Path: "/v1/vms/{ref}/console", Action: ActionConsole, Op: phase.Op{Kind: phase.VMConsole}, Names: "ref", Reply: Upgrade,
		Summary: "The serial console: upgrade the connection to " + UpgradeConsole + ", then raw bytes both ways"},

	{Name: "vm.migrate", Method: "POST", Path: "/v1/vms/{ref}/migrate", Action: ActionMigrate, Op: phase.Op{Kind: phase.VMMigrate, Risk: security.Medium}, Names: "ref",
		In: MigrateReq{}, Out: MigrateLine{}, Reply: Lines,
		Summary: "Move a VM to a peer host that accepted it: live with its disks when it runs, disks then definition when it is shut off; progress lines; closing the connection cancels"},
	{Name: "vm.migrate.accept", Method: "POST", Path: "/v1/migrations", Action: ActionMigrate, Op: phase.Op{Kind: phase.VMMigrate, Risk: security.Medium}, In: vm.Move{}, Out: Ticket{},
		Summary: "Accept a VM from another host: check what it needs here (name, networks, pools, room, CPU, media) and hand back a ticket its host's daemon claims"},
	{Name: "migration.claim", Method: "POST", Path: "/v1/migrations/{ticket}/claim", Action: ActionMigrate, In: vm.Move{},
		Summary: "For the source host's daemon (root, over SSH): claim a ticket before the move, the VM checked again from the source's own reading"},
	{Name: "migration.finish", Method: "POST", Path: "/v1/migrations/{ticket}/finish", Action: ActionMigrate, In: MigrationEnd{},
		Summary: "For the source host's daemon (root, over SSH): how the move ended, for this host's trail"},

	{Name: "vm.snapshot.list", Method: "GET", Path: "/v1/vms/{ref}/snapshots", Action: ActionRead, Out: []vm.Snapshot{}, Summary: "A VM's snapshots"},
	{Name: "vm.snapshot.create", Method: "POST", Path: "/v1/vms/{ref}/snapshots", Action: ActionSnapshot, Op: phase.Op{Kind: phase.SnapshotCreate}, Names: "ref", In: vm.SnapshotSpec{}, Out: vm.Snapshot{},
		Summary: "Take a snapshot (internal, or disk-only beside the disks in their pools)"},
	{Name: "vm.snapshot.revert", Method: "POST", Path: "/v1/vms/{ref}/snapshots/{name}/revert", Action: ActionSnapshot, Op: phase.Op{Kind: phase.SnapshotRevert, Risk: security.High}, Names: "name",
		Summary: "Go back to a snapshot: the VM's current state is lost"},
	{Name: "vm.snapshot.delete", Method: "DELETE", Path: "/v1/vms/{ref}/snapshots/{name}", Action: ActionSnapshot, Op: phase.Op{Kind: phase.SnapshotDelete, Risk: security.High}, Names: "name",
		Summary: "Delete a snapshot"},

	{Name: "net.list", Method: "GET", Path: "/v1/networks", Action: ActionRead, Out: []vm.Network{}, Summary: "Every libvirt network"},
	{Name: "net.get", Method: "GET", Path: "/v1/networks/{name}", Action: ActionRead, Out: vm.Network{}, Summary: "One network"},
	{Name: "net.leases", Method: "GET", Path: "/v1/networks/{name}/leases", Action: ActionRead, Out: []vm.Lease{}, Summary: "A network's DHCP leases"},
	{Name: "net.define", Method: "POST", Path: "/v1/networks", Action: ActionNetwork, Op: phase.Op{Kind: phase.NetworkChange, Risk: security.Low}, In: vm.NetworkSpec{}, Out: vm.Network{},
		Summary: "Define a NAT or isolated network (a subnet no other network overlaps)"},
	{Name: "net.start", Method: "POST", Path: "/v1/networks/{name}/start", Action: ActionNetwork, Op: phase.Op{Kind: phase.NetworkChange, Risk: security.Low}, Names: "name", Summary: "Start a network"},
	{Name: "net.stop", Method: "POST", Path: "/v1/networks/{name}/stop", Action: ActionNetwork, Op: phase.Op{Kind: phase.NetworkChange, Risk: security.Medium}, Names: "name",
		Summary: "Stop a network (high risk while running VMs use it: they lose their link)"},
	{Name: "net.autostart", Method: "PUT", Path: "/v1/networks/{name}/autostart", Action: ActionNetwork, Op: phase.Op{Kind: phase.NetworkChange, Risk: security.Low}, Names: "name", In: OnOff{},
		Summary: "Start the network with the host, or not"},
	{Name: "net.undefine", Method: "DELETE", Path: "/v1/networks/{name}", Action: ActionNetwork, Op: phase.Op{Kind: phase.NetworkChange, Risk: security.High}, Names: "name",
		Summary: "Forget an inactive network"},

	{Name: "pool.list", Method: "GET", Path: "/v1/pools", Action: ActionRead, Out: []vm.Pool{}, Summary: "Every storage pool"},
	{Name: "pool.get", Method: "GET", Path: "/v1/pools/{name}", Action: ActionRead, Out: vm.Pool{}, Summary: "One pool"},
	{Name: "pool.define", Method: "POST", Path: "/v1/pools", Action: ActionStorage, Op: phase.Op{Kind: phase.StorageChange, Risk: security.Low}, In: vm.PoolSpec{}, Out: vm.Pool{},
		Summary: "Define and start a directory pool under a root the host file approves"},
	{Name: "pool.start", Method: "POST", Path: "/v1/pools/{name}/start", Action: ActionStorage, Op: phase.Op{Kind: phase.StorageChange, Risk: security.Low}, Names: "name", Summary: "Start a pool"},
	{Name: "pool.stop", Method: "POST", Path: "/v1/pools/{name}/stop", Action: ActionStorage, Op: phase.Op{Kind: phase.StorageChange, Risk: security.Medium}, Names: "name",
		Summary: "Stop a pool (high risk while running VMs have disks in it)"},
	{Name: "pool.autostart", Method: "PUT", Path: "/v1/pools/{name}/autostart", Action: ActionStorage, Op: phase.Op{Kind: phase.StorageChange, Risk: security.Low}, Names: "name", In: OnOff{},
		Summary: "Start the pool with the host, or not"},
	{Name: "pool.undefine", Method: "DELETE", Path: "/v1/pools/{name}", Action: ActionStorage, Op: phase.Op{Kind: phase.StorageChange, Risk: security.Medium}, Names: "name",
		Summary: "Forget an inactive pool; its directory and files stay"},
	{Name: "pool.delete", Method: "DELETE", Path: "/v1/pools/{name}/directory", Action: ActionStorage, Op: phase.Op{Kind: phase.StorageChange, Risk: security.High}, Names: "name",
		Summary: "Remove an inactive pool's empty directory, then forget the pool"},
	{Name: "volume.list", Method: "GET", Path: "/v1/pools/{pool}/volumes", Action: ActionRead, Out: []vm.Volume{}, Summary: "The volumes of an active pool"},
	{Name: "volume.by-path", Method: "GET", Path: "/v1/volumes/by-path", Action: ActionRead, Out: vm.Volume{},
		Summary: "The volume behind a disk path (?path=...), in any active pool"},
	{Name: "volume.create", Method: "POST", Path: "/v1/pools/{pool}/volumes", Action: ActionStorage, Op: phase.Op{Kind: phase.StorageChange, Risk: security.Low}, In: vm.VolumeSpec{}, Out: vm.Volume{},
		Summary: "Create an empty volume that fits the pool's free space"},
	{Name: "volume.copy", Method: "POST", Path: "/v1/pools/{pool}/volumes/{name}/copy", Action: ActionStorage, Op: phase.Op{Kind: phase.StorageChange, Risk: security.Low}, In: CopyReq{}, Out: CopyLine{}, Reply: Lines,
		Summary: "Copy a volume in its pool, with progress lines; closing the connection cancels the copy"},
	{Name: "host.stage", Method: "POST", Path: "/v1/host/stage", Action: ActionStage, In: StageReq{}, Out: StageReply{},
		Summary: "Stage a change of the host file (features, phase), checked as the apply service checks it, and start the apply service"},
	{Name: "audit.show", Method: "GET", Path: "/v1/audit", Action: ActionAuditRead, Out: []audit.Entry{},
		Summary: "The audit trail, oldest first (?since=RFC3339 for the newer entries only)"},
	{Name: "audit.verify", Method: "GET", Path: "/v1/audit/verify", Action: ActionAuditRead, Out: Verification{},
		Summary: "Check the trail: no entry edited, removed or moved, its end matching its anchors"},
	{Name: "audit.answer", Method: "POST", Path: "/v1/audit/answers", Action: ActionRead, In: Answer{},
		Summary: "Record an answer that changed nothing (declined, a wrong name); callers granted no change are refused"},
	{Name: "volume.delete", Method: "DELETE", Path: "/v1/pools/{pool}/volumes/{name}", Action: ActionStorage, Op: phase.Op{Kind: phase.StorageChange, Risk: security.Critical}, Names: "name",
		Summary: "Delete a volume no VM uses"},
}

// Find returns the route called name; it panics on a name the table does
// not have, which is a bug in hv.
func Find(name string) Route {
	for _, r := range Routes {
		if r.Name == name {
			return r
		}
	}
	panic("api: no route " + name)
}

// URL is the route's path with its wildcards filled by args, in order,
// each escaped (VM names may hold spaces, '%' or '?').
func (r Route) URL(args ...string) string {
	var b strings.Builder
	rest := r.Path
	for _, a := range args {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			panic("api: too many arguments for " + r.Path)
		}
		b.WriteString(rest[:i])
		b.WriteString(url.PathEscape(a))
		rest = rest[j+1:]
	}
	if strings.IndexByte(rest, '{') >= 0 {
		panic("api: too few arguments for " + r.Path)
	}
	b.WriteString(rest)
	return b.String()
}
