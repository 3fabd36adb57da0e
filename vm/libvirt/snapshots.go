package libvirt

import (
	"context"
	"strconv"
	"strings"
	"time"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/hyper-nixos/hv/vm"
)

// snapshotStates maps the state names of snapshot XML.
var snapshotStates = map[string]vm.State{
	"running": vm.StateRunning, "blocked": vm.StateBlocked, "paused": vm.StatePaused,
	"shutdown": vm.StateShuttingDown, "shutoff": vm.StateShutOff, "crashed": vm.StateCrashed,
	"pmsuspended": vm.StateSuspended, // "disk-snapshot": the VM ran, in what state libvirt does not keep
}

// revertsExternal is the first libvirt that reverts to external snapshots.
const revertsExternal = 9_009_000

// noExternalRevert is why libvirt (this version of it) cannot revert to
// a disk-only snapshot.
func noExternalRevert(libvirt string) string {
	return libvirt + " cannot revert to a disk-only (external) snapshot (9.9 can)"
}

func (b *Backend) Snapshots(ctx context.Context, ref string) ([]vm.Snapshot, error) {
	return call(ctx, b, "list snapshots of", ref, func(c *lv.Connect) ([]vm.Snapshot, error) {
		d, err := lookup(c, ref)
		if err != nil {
			return nil, err
		}
		defer d.Free()
		snaps, err := d.ListAllSnapshots(0)
		if err != nil {
			return nil, err
		}
		defer freeAll(snaps)
		libvirt, _ := c.GetLibVersion()
		out := make([]vm.Snapshot, 0, len(snaps))
		for i := range snaps {
			s, err := readSnapshot(&snaps[i], libvirt)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	})
}

// readSnapshot reads a snapshot, and what libvirt (its version) cannot do
// with it.
func readSnapshot(s *lv.DomainSnapshot, libvirt uint32) (vm.Snapshot, error) {
	xml, err := s.GetXMLDesc(0)
	if err != nil {
		return vm.Snapshot{}, err
	}
	var x libvirtxml.DomainSnapshot
	if err := x.Unmarshal(xml); err != nil {
		return vm.Snapshot{}, err
	}
	out := vm.Snapshot{Name: x.Name, Description: x.Description, State: snapshotStates[x.State]}
	if x.Parent != nil {
		out.Parent = x.Parent.Name
	}
	if secs, err := strconv.ParseInt(x.CreationTime, 10, 64); err == nil {
		out.Created = time.Unix(secs, 0)
	}
	out.Memory = x.Memory != nil && x.Memory.Snapshot != "no" && x.Memory.Snapshot != "" ||
		x.Memory == nil && (x.State == "running" || x.State == "paused")
	if x.Disks != nil {
		for _, d := range x.Disks.Disks {
			if d.Snapshot == "external" {
				out.External = true
			}
		}
	}
	if out.External && libvirt < revertsExternal {
		out.NoRevert = noExternalRevert("libvirt " + version(libvirt))
	}
	out.Current, _ = s.IsCurrent(0)
	return out, nil
}

// CreateSnapshot takes an internal snapshot (disks, and memory when asked
// and running), or an external disk-only one with spec.DiskOnly.
func (b *Backend) CreateSnapshot(ctx context.Context, ref string, spec vm.SnapshotSpec) (vm.Snapshot, error) {
	if err := vm.ValidName("snapshot", spec.Name); err != nil {
		return vm.Snapshot{}, &vm.Error{Op: "snapshot", Target: ref, Kind: vm.ErrInvalidArg, Detail: err.Error()}
	}
	return call(ctx, b, "snapshot", ref, func(c *lv.Connect) (vm.Snapshot, error) {
		d, err := lookup(c, ref)
		if err != nil {
			return vm.Snapshot{}, err
		}
		defer d.Free()
		if s, err := d.SnapshotLookupByName(spec.Name, 0); err == nil {
			s.Free()
			return vm.Snapshot{}, &vm.Error{Op: "snapshot", Target: ref, Kind: vm.ErrExists,
				Detail: "a snapshot named " + strconv.Quote(spec.Name) + " exists"}
		}
		x := libvirtxml.DomainSnapshot{Name: spec.Name, Description: spec.Description}
		var flags lv.DomainSnapshotCreateFlags
		switch {
		case spec.DiskOnly:
			flags = lv.DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | lv.DOMAIN_SNAPSHOT_CREATE_ATOMIC
		case !spec.Memory:
			if active, _ := d.IsActive(); active {
				x.Memory = &libvirtxml.DomainSnapshotMemory{Snapshot: "no"}
			}
		}
		xml, err := x.Marshal()
		if err != nil {
			return vm.Snapshot{}, err
		}
		s, err := d.CreateSnapshotXML(xml, flags)
		if err != nil {
			return vm.Snapshot{}, explainSnapshotError(err)
		}
		defer s.Free()
		libvirt, _ := c.GetLibVersion()
		return readSnapshot(s, libvirt)
	})
}

// explainSnapshotError turns libvirt's refusals of a snapshot kind into our
// unsupported error with a reason people can act on.
func explainSnapshotError(err error) error {
	le, ok := err.(lv.Error)
	if !ok {
		return err
	}
	msg := strings.ToLower(le.Message)
	switch {
	case strings.Contains(msg, "pflash"), strings.Contains(msg, "uefi"), strings.Contains(msg, "nvram"):
		return &vm.Error{Op: "snapshot", Kind: vm.ErrUnsupported,
			Detail: "this libvirt cannot take internal snapshots of a UEFI VM (before libvirt 10.9); take a disk-only (external) snapshot instead"}
	case strings.Contains(msg, "nothing selected for snapshot"), strings.Contains(msg, "no block device"):
		return &vm.Error{Op: "snapshot", Kind: vm.ErrUnsupported,
			Detail: "the VM has no disk that can hold a snapshot (QEMU keeps internal snapshots in qcow2 disks); add a qcow2 disk first"}
	case strings.Contains(msg, "memory") && strings.Contains(msg, "internal"):
		return &vm.Error{Op: "snapshot", Kind: vm.ErrUnsupported,
			Detail: "an internal snapshot of a running VM must include its memory; include it, or shut the VM down first"}
	}
	return err
}

func (b *Backend) RevertSnapshot(ctx context.Context, ref, name string) error {
	return b.onSnapshot(ctx, "revert", ref, name, func(s *lv.DomainSnapshot) error {
		err := s.RevertToSnapshot(0)
		if le, ok := err.(lv.Error); ok && strings.Contains(le.Message, "revert to external snapshot") {
			return &vm.Error{Op: "revert", Kind: vm.ErrUnsupported, Detail: noExternalRevert("this libvirt"),
				Hint: "delete the snapshot instead: libvirt merges its overlay back into the disks, and the VM stays as it is"}
		}
		return err
	})
}

// DeleteSnapshot removes one snapshot; its children attach to its parent.
func (b *Backend) DeleteSnapshot(ctx context.Context, ref, name string) error {
	return b.onSnapshot(ctx, "delete snapshot", ref, name, func(s *lv.DomainSnapshot) error {
		return s.Delete(0)
	})
}

func (b *Backend) onSnapshot(ctx context.Context, op, ref, name string, fn func(*lv.DomainSnapshot) error) error {
	return b.onDomain(ctx, op, ref, func(d *lv.Domain) error {
		s, err := d.SnapshotLookupByName(name, 0)
		if err != nil {
			if hasCode(err, lv.ERR_NO_DOMAIN_SNAPSHOT) {
				return refuse(op, ref, vm.ErrNotFound, "no snapshot named "+strconv.Quote(name), "check the snapshot's name with 'hv vm snapshot list "+ref+"'")
			}
			return err
		}
		defer s.Free()
		return fn(s)
	})
}
