package vm

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Pool is a libvirt storage pool: a place volumes (VM disks, images) live.
type Pool struct {
	Name       string `json:"name"`
	UUID       string `json:"uuid"`
	Type       string `json:"type"` // dir, logical, netfs, ...
	Active     bool   `json:"active"`
	Autostart  bool   `json:"autostart"`
	Persistent bool   `json:"persistent"`
	Path       string `json:"path"` // target directory or device
	// Sizes as libvirt last measured them; zero while the pool is inactive.
	// Of a directory on the libvirt host, available is what a writer other
	// than root can use (libvirt counts the blocks reserved for root).
	CapacityBytes   uint64 `json:"capacity_bytes"`
	AllocationBytes uint64 `json:"allocation_bytes"`
	AvailableBytes  uint64 `json:"available_bytes"`
	// Filesystem is the same for pools whose space is one filesystem's,
	// so that it is counted once; "" when unknown.
	Filesystem string `json:"filesystem,omitempty"`
	// UsedBy names the VMs with a disk in this pool, sorted.
	UsedBy []string `json:"used_by"`
}

// Volume is one volume of a pool.
type Volume struct {
	Name            string `json:"name"`
	Pool            string `json:"pool"`
	Path            string `json:"path"`
	Format          string `json:"format"`           // qcow2, raw, iso, ...; "" when libvirt does not say
	CapacityBytes   uint64 `json:"capacity_bytes"`   // the size the guest sees
	AllocationBytes uint64 `json:"allocation_bytes"` // what it takes on the host now
	// BackingPath is the file this volume is an overlay of, if any.
	BackingPath string `json:"backing_path,omitempty"`
	// UsedBy names the VMs that have this volume as a disk, sorted.
	UsedBy []string `json:"used_by"`
}

// VolumeSpec is what CreateVolume needs.
type VolumeSpec struct {
	Name          string `json:"name"`
	CapacityBytes uint64 `json:"capacity_bytes"`
	Format        string `json:"format,omitempty"` // "qcow2" (the default when empty) or "raw"
}

// PoolSpec is what DefinePool needs: for now a directory pool, the kind
// every host has.
type PoolSpec struct {
	Name string `json:"name"`
	Path string `json:"path"` // absolute; created by libvirt if missing
}

// Volume size bounds for new volumes.
const (
	MinVolumeBytes = 1 << 20
	MaxVolumeBytes = 1 << 50
)

// Storage is the storage side of a Hypervisor. Every error wraps one of the
// sentinels; refusals name the reason (ErrInvalidState "it is inactive",
// ErrInvalidArg "not enough space in pool ...").
type Storage interface {
	Pools(ctx context.Context) ([]Pool, error)
	Pool(ctx context.Context, name string) (Pool, error)
	// DefinePool defines a persistent directory pool, creates its
	// directory and starts it.
	DefinePool(ctx context.Context, spec PoolSpec) (Pool, error)
	// UndefinePool forgets an inactive pool; its directory and files stay.
	UndefinePool(ctx context.Context, name string) error
	// DeletePool removes an inactive pool's directory, which must be empty
	// (delete its volumes first), then forgets the pool.
	DeletePool(ctx context.Context, name string) error
	StartPool(ctx context.Context, name string) error
	StopPool(ctx context.Context, name string) error
	SetPoolAutostart(ctx context.Context, name string, on bool) error

	// Volumes lists the volumes of an active pool, sorted by name.
	Volumes(ctx context.Context, pool string) ([]Volume, error)
	// CreateVolume creates an empty (thin) volume. It refuses a volume
	// whose full capacity exceeds the pool's free space now: thin volumes
	// grow into that space, and a pool that fills up pauses every VM
	// writing to it.
	CreateVolume(ctx context.Context, pool string, spec VolumeSpec) (Volume, error)
	// DeleteVolume deletes a volume no VM uses (a VM's disk is refused with
	// the VMs named: detach it or delete the VM first).
	DeleteVolume(ctx context.Context, pool, name string) error
	// VolumeByPath finds the volume behind a disk path, in any active pool.
	VolumeByPath(ctx context.Context, path string) (Volume, error)
	// CopyVolume makes a full copy of src named dst in the same pool, with
	// the same space rule as CreateVolume. progress (may be nil) is called
	// from another goroutine with bytes written of the bytes to write, about
	// twice a second and once at the end. ctx bounds the wait: a copy libvirt
	// has begun runs to its end even when ctx expires.
	CopyVolume(ctx context.Context, pool, src, dst string, progress func(done, total uint64)) (Volume, error)
}

// CheckPoolSpec refuses a bad pool spec before libvirt sees it.
func CheckPoolSpec(spec PoolSpec) error {
	const op = "define pool"
	if err := CheckName(op, "pool", spec.Name); err != nil {
		return err
	}
	if !filepath.IsAbs(spec.Path) || filepath.Clean(spec.Path) != spec.Path || spec.Path == "/" {
		return &Error{Op: op, Target: spec.Name, Kind: ErrInvalidArg, Detail: "the path " + strconv.Quote(spec.Path) + " is not a clean absolute directory",
			Hint: "give a directory such as /var/lib/libvirt/images/" + spec.Name}
	}
	return nil
}

// CheckVolumeSpec refuses a bad volume spec before libvirt sees it, and
// fills in the default format.
func CheckVolumeSpec(pool string, spec *VolumeSpec) error {
	if err := CheckName("create volume", "volume", spec.Name); err != nil {
		return err
	}
	bad := func(why, hint string) error {
		return &Error{Op: "create volume", Target: spec.Name, Kind: ErrInvalidArg, Detail: why, Hint: hint}
	}
	switch spec.Format {
	case "":
		spec.Format = "qcow2"
	case "qcow2", "raw":
	default:
		return bad(fmt.Sprintf("format %q is not offered", spec.Format), "use qcow2 (snapshots, thin) or raw (speed)")
	}
	switch {
	case spec.CapacityBytes < MinVolumeBytes:
		return bad("a volume needs at least 1M", "give a size such as 20G")
	case spec.CapacityBytes > MaxVolumeBytes:
		return bad("a volume may hold at most "+FormatBytes(MaxVolumeBytes), "give a smaller size")
	}
	return nil
}

// CheckSpace refuses a new volume of need bytes in pool p unless it fits in
// the pool's free space.
func CheckSpace(op, target string, p Pool, need uint64) error {
	if !p.Active {
		return &Error{Op: op, Target: target, Kind: ErrInvalidState, Detail: "pool " + p.Name + " is inactive",
			Hint: "start it with 'hv pool start " + p.Name + "'"}
	}
	if need > p.AvailableBytes {
		return &Error{Op: op, Target: target, Kind: ErrInvalidArg,
			Detail: fmt.Sprintf("not enough space in pool %s: needs %s, has %s", p.Name, FormatBytes(float64(need)), FormatBytes(float64(p.AvailableBytes))),
			Hint:   "free space in the pool, pick another pool, or choose a smaller size"}
	}
	return nil
}

// Deletable refuses to delete v while VMs have it as a disk: deleting it
// under a running VM corrupts the guest's view of it, and a stopped VM
// would not start again.
func (v Volume) Deletable(op string) error {
	if len(v.UsedBy) == 0 {
		return nil
	}
	return &Error{Op: op, Target: v.Pool + "/" + v.Name, Kind: ErrInvalidState,
		Detail: "it is a disk of " + strings.Join(v.UsedBy, ", "),
		Hint:   "detach it from the VM, or delete the VM with its storage"}
}
