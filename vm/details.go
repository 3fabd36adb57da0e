package vm

import "time"

// Details is everything hv shows about one VM beyond the list.
type Details struct {
	VM
	Description  string     `json:"description,omitempty"`
	MaxMemoryKiB uint64     `json:"max_memory_kib"`
	MaxVCPUs     int        `json:"max_vcpus"`
	CPUMode      string     `json:"cpu_mode,omitempty"`  // host-passthrough, host-model, custom
	CPUModel     string     `json:"cpu_model,omitempty"` // the named model of a custom CPU
	Arch         string     `json:"arch"`
	Machine      string     `json:"machine,omitempty"`
	Firmware     string     `json:"firmware"` // "bios" or "uefi"
	SecureBoot   bool       `json:"secure_boot"`
	Saved        bool       `json:"saved"` // has a managed save image: starting restores it
	Disks        []Disk     `json:"disks"`
	NICs         []NIC      `json:"nics"`
	Graphics     []Graphics `json:"graphics"`
}

// Disk is one disk or CD-ROM drive.
type Disk struct {
	Target   string `json:"target"`           // vda, sda...
	Device   string `json:"device"`           // disk, cdrom
	Bus      string `json:"bus,omitempty"`    // virtio, sata, ide, scsi
	Source   string `json:"source,omitempty"` // path, volume or network source; empty for an empty drive
	Format   string `json:"format,omitempty"` // qcow2, raw
	ReadOnly bool   `json:"read_only"`
}

// NIC is one network interface.
type NIC struct {
	MAC    string `json:"mac"`
	Type   string `json:"type"`   // network, bridge, ethernet, direct, user
	Source string `json:"source"` // the network or bridge name
	Model  string `json:"model,omitempty"`
	Device string `json:"device,omitempty"` // host-side device, e.g. vnet3
	// LinkDown: the NIC is cut off (SetLinks), as if its cable were pulled.
	LinkDown bool `json:"link_down"`
}

// Graphics is a graphical console the VM offers.
type Graphics struct {
	Type   string `json:"type"` // vnc, spice
	Listen string `json:"listen,omitempty"`
	Port   int    `json:"port,omitempty"` // -1 or 0 when allocated at start
}

// Address is a guest IP address and where hv learned it.
type Address struct {
	MAC    string `json:"mac"`
	IP     string `json:"ip"`
	Prefix int    `json:"prefix"`
	Source string `json:"source"` // "DHCP lease", "guest agent" or "ARP table"
}

// Snapshot is a saved point in a VM's life.
type Snapshot struct {
	Name        string    `json:"name"`
	Parent      string    `json:"parent,omitempty"`
	Description string    `json:"description,omitempty"`
	State       State     `json:"state"` // the VM's state when taken; unknown for a disk-only one of a running VM
	Created     time.Time `json:"created"`
	Current     bool      `json:"current"`
	Memory      bool      `json:"memory"`   // includes the running VM's memory
	External    bool      `json:"external"` // disks kept in overlay files (disk-only)
	// NoRevert says why this libvirt cannot revert to the snapshot, or ""
	// when it can (libvirt before 9.9 cannot revert to an external one).
	NoRevert string `json:"no_revert,omitempty"`
}

// SnapshotSpec is what CreateSnapshot takes.
type SnapshotSpec struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Memory saves the running VM's memory too, so a revert resumes it
	// exactly; without it a revert boots from the disks' state.
	Memory bool `json:"memory,omitempty"`
	// DiskOnly takes an external snapshot of the disks alone: the kind
	// that works for UEFI VMs on libvirt before 10.9. libvirt keeps the
	// overlays beside the disks, in their pools.
	DiskOnly bool `json:"disk_only,omitempty"`
}

// Applied says when a change to a VM takes effect.
type Applied int

const (
	AppliedNow      Applied = iota // to the running VM and its definition
	AppliedNextBoot                // to the definition only: at the next start
)

func (a Applied) String() string {
	if a == AppliedNow {
		return "now"
	}
	return "at the next boot"
}

// MarshalText writes "now" or "next-boot".
func (a Applied) MarshalText() ([]byte, error) {
	if a == AppliedNow {
		return []byte("now"), nil
	}
	return []byte("next-boot"), nil
}

// UnmarshalText reads what MarshalText writes.
func (a *Applied) UnmarshalText(b []byte) error {
	*a = AppliedNow
	if string(b) == "next-boot" {
		*a = AppliedNextBoot
	}
	return nil
}

// Console is an open serial console. Output delivers what the guest writes;
// Done closes when the console ends (the VM stopped, QEMU restarted, or
// Close was called) and Err then says why.
type Console interface {
	Output() <-chan []byte
	Write(p []byte) (int, error)
	Done() <-chan struct{}
	Err() error
	Close() error
}

// DiskSpec is a disk or CD-ROM to attach: a volume of a storage pool,
// never a host path (see VolumeRef).
type DiskSpec struct {
	Volume   VolumeRef `json:"volume"`
	Device   string    `json:"device,omitempty"` // "disk" (default) or "cdrom"
	Bus      string    `json:"bus,omitempty"`    // virtio (default for disks), sata (default for CD-ROMs)
	ReadOnly bool      `json:"read_only,omitempty"`
}

// NICSpec is a network interface to attach.
type NICSpec struct {
	Network string `json:"network"`         // a libvirt network name
	Model   string `json:"model,omitempty"` // virtio (default), e1000e...
	MAC     string `json:"mac,omitempty"`   // empty: libvirt picks one
}
