package vm

import "context"

// Access is what the connection lets this user do, and why.
type Access int

const (
	ReadWrite Access = iota
	// ReadOnly: read-write was refused (a user outside the operators group).
	ReadOnly
	// ReadOnlyAsked: the user asked for a read-only connection (--read-only).
	ReadOnlyAsked
)

// Writable reports whether changes may be made over the connection.
func (a Access) Writable() bool { return a == ReadWrite }

func (a Access) String() string {
	if a.Writable() {
		return "read-write"
	}
	return "read-only"
}

// Why says why nothing can be changed over the connection, with the way
// out, or "" when changes may be made. Every refusal for access says this.
func (a Access) Why() string {
	if a.Writable() {
		return ""
	}
	return "read-only access: " + a.Fix()
}

// Fix is the way out of a read-only connection, or "".
func (a Access) Fix() string {
	switch a {
	case ReadOnly:
		return "ask an administrator to add you to the operators group"
	case ReadOnlyAsked:
		return "hv was started with --read-only; start it without to make changes"
	}
	return ""
}

// Spec is what Define needs to create a VM definition. The backend picks the
// domain type (kvm, qemu or test) the host supports.
type Spec struct {
	Name      string `json:"name"`
	VCPUs     int    `json:"vcpus"`
	MemoryMiB uint64 `json:"memory_mib"`

	Disks    []DiskSpec `json:"disks,omitempty"`    // existing volumes, attached in order (vda, vdb...)
	ISO      VolumeRef  `json:"iso,omitzero"`       // an install image, attached as a CD-ROM and booted first
	Network  string     `json:"network,omitempty"`  // a NIC on this libvirt network; "" for none
	Firmware string     `json:"firmware,omitempty"` // "bios" (default) or "uefi"
	// VNC adds a graphical console on 127.0.0.1 only, for installers that
	// have no serial console; it is never exposed on the network.
	VNC bool `json:"vnc,omitempty"`
}

// Hypervisor is a connection to one libvirt host, spoken in hv's own types.
// A ref is a VM's name or UUID. Methods are safe for concurrent use; every
// method returns errors that wrap the sentinels of this package.
type Hypervisor interface {
	URI() string
	Access() Access
	Host(ctx context.Context) (Host, error)

	List(ctx context.Context) ([]VM, error)
	Lookup(ctx context.Context, ref string) (VM, error)
	// Stats reads the counters of every VM in one bulk call.
	Stats(ctx context.Context) ([]Sample, error)

	Define(ctx context.Context, spec Spec) (VM, error)
	// DefineClone defines a copy of ref's definition named name, with new
	// UUID, MAC addresses and NVRAM, and the disk on each target in disks
	// (vda...) replaced by that volume (the copies are made beforehand).
	DefineClone(ctx context.Context, ref, name string, disks map[string]VolumeRef) (VM, error)
	// Undefine deletes the definition, snapshots and saved state; the
	// disks stay.
	Undefine(ctx context.Context, ref string) error
	// DeleteWithStorage is Undefine, then deleting the volumes of the
	// VM's disks (never its CD-ROMs, which are shared media, nor a volume
	// another VM uses). One operation, so that the security phase can
	// refuse it as one.
	DeleteWithStorage(ctx context.Context, ref string) error
	Start(ctx context.Context, ref string) error
	Shutdown(ctx context.Context, ref string) error
	Reboot(ctx context.Context, ref string) error
	Destroy(ctx context.Context, ref string) error
	Pause(ctx context.Context, ref string) error
	Resume(ctx context.Context, ref string) error
	SetAutostart(ctx context.Context, ref string, on bool) error
	// Save writes the running VM's memory to disk and stops it; the next
	// Start restores it where it was (libvirt's managed save).
	Save(ctx context.Context, ref string) error

	Details(ctx context.Context, ref string) (Details, error)
	// Addresses asks DHCP leases, then the guest agent, then the ARP table.
	Addresses(ctx context.Context, ref string) ([]Address, error)

	Snapshots(ctx context.Context, ref string) ([]Snapshot, error)
	CreateSnapshot(ctx context.Context, ref string, spec SnapshotSpec) (Snapshot, error)
	RevertSnapshot(ctx context.Context, ref, name string) error
	DeleteSnapshot(ctx context.Context, ref, name string) error

	// SetVCPUs and SetMemory change the definition, and the running VM
	// when libvirt can; Applied says which happened.
	SetVCPUs(ctx context.Context, ref string, n int) (Applied, error)
	SetMemory(ctx context.Context, ref string, mib uint64) (Applied, error)

	// AttachDisk and AttachNIC add a device to the definition, and to the
	// running VM when it runs; the Detach calls take the disk's target
	// (vdb) or the NIC's MAC address.
	AttachDisk(ctx context.Context, ref string, spec DiskSpec) (Applied, error)
	DetachDisk(ctx context.Context, ref, target string) (Applied, error)
	AttachNIC(ctx context.Context, ref string, spec NICSpec) (Applied, error)
	DetachNIC(ctx context.Context, ref, mac string) (Applied, error)

	// SetLinks sets the link of every NIC of a running VM up or down: down
	// isolates it from the network at once, keeping its state (threat
	// response). It lasts until set up again or QEMU restarts.
	SetLinks(ctx context.Context, ref string, up bool) error

	OpenConsole(ctx context.Context, ref string) (Console, error)

	Storage
	Networks

	// Events delivers lifecycle and connection events until Close. The
	// channel is never closed while the Hypervisor is open.
	Events() <-chan Event
	Close() error
}
