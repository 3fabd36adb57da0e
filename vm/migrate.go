package vm

import (
	"fmt"
	"path/filepath"
)

// Move is what a VM needs of the host it moves to: the destination's
// daemon checks it before anything is sent, and again, from the source's
// own reading, when the move starts.
type Move struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
	From string `json:"from"` // the source host's name
	// Live: the VM runs (or is paused) and moves with its memory;
	// otherwise it is shut off and only its disks and definition move.
	Live      bool       `json:"live"`
	MemoryKiB uint64     `json:"memory_kib"`
	CPUMode   string     `json:"cpu_mode,omitempty"`  // host-passthrough, host-model, custom
	CPUModel  string     `json:"cpu_model,omitempty"` // for custom
	Arch      string     `json:"arch,omitempty"`
	HostCPU   string     `json:"host_cpu,omitempty"` // the source host's CPU model
	Networks  []string   `json:"networks"`           // libvirt networks its NICs use
	Disks     []MoveDisk `json:"disks"`              // copied to the same path
	Media     []string   `json:"media"`              // read-only media that must be there already (same path)
}

// MoveDisk is one disk copied with its VM, to a volume of the same name in
// the pool that holds the same directory on the destination.
type MoveDisk struct {
	Target          string `json:"target"` // vda...
	Path            string `json:"path"`
	Format          string `json:"format,omitempty"`
	CapacityBytes   uint64 `json:"capacity_bytes"`
	AllocationBytes uint64 `json:"allocation_bytes"`
}

// Dir is the directory the disk lies in: its pool's on both hosts.
func (d MoveDisk) Dir() string { return filepath.Dir(d.Path) }

// MoveOf is the move of VM d as its details and disks' volumes tell it.
// vol finds the volume behind a disk's path; a disk that is no volume of a
// pool cannot be moved.
func MoveOf(d Details, from string, hostCPU string, vol func(path string) (Volume, error)) (Move, error) {
	m := Move{Name: d.Name, UUID: d.UUID, From: from, Live: d.State.Active(), MemoryKiB: d.MaxMemoryKiB,
		CPUMode: d.CPUMode, CPUModel: d.CPUModel, Arch: d.Arch, HostCPU: hostCPU, Networks: []string{}, Disks: []MoveDisk{}, Media: []string{}}
	if m.MemoryKiB == 0 {
		m.MemoryKiB = d.MemoryKiB
	}
	for _, n := range d.NICs {
		if n.Type == "network" && n.Source != "" {
			m.Networks = append(m.Networks, n.Source)
		}
	}
	for _, disk := range d.Disks {
		switch {
		case disk.Source == "":
		case disk.Device != "disk" || disk.ReadOnly:
			m.Media = append(m.Media, disk.Source)
		default:
			v, err := vol(disk.Source)
			if err != nil {
				return m, &Error{Op: "migrate", Target: d.Name, Kind: ErrUnsupported,
					Detail: fmt.Sprintf("its disk %s (%s) is not a volume of a storage pool", disk.Target, disk.Source),
					Hint:   "only disks that are volumes of a pool move with their VM"}
			}
			m.Disks = append(m.Disks, MoveDisk{Target: disk.Target, Path: disk.Source, Format: disk.Format,
				CapacityBytes: v.CapacityBytes, AllocationBytes: v.AllocationBytes})
		}
	}
	return m, nil
}

// MigrationProgress is one reading of a move under way.
type MigrationProgress struct {
	// Stage: checking, disks (copying them), memory (live), definition,
	// cleaning up (removing the source's copy).
	Stage string `json:"stage"`
	Done  uint64 `json:"done,omitempty"`  // bytes sent of the stage
	Total uint64 `json:"total,omitempty"` // bytes to send, when known
}

// Percent is Done of Total, or -1 when the total is unknown.
func (p MigrationProgress) Percent() int {
	if p.Total == 0 {
		return -1
	}
	return int(min(p.Done, p.Total) * 100 / p.Total)
}
