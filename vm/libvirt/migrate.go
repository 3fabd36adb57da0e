package libvirt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/hyper-nixos/hv/vm"
)

// Migration says where a VM moves.
type Migration struct {
	// PeerURI is the destination's libvirt, which this host's libvirtd
	// reaches itself (peer to peer), e.g. qemu+ssh://root@hv2/system.
	PeerURI string
	// DataURI is where QEMU sends memory and disks, e.g. tcp://hv2; ""
	// lets the destination say (its migration_host, else its hostname).
	DataURI string
	// Listen is the address the destination's QEMU listens on; "" for its
	// default (migration_address, else every address).
	Listen string
}

// migratePollInterval is how often a move reports its progress.
var migratePollInterval = 500 * time.Millisecond

// Migrate moves ref to m's host. A running or paused VM moves live with
// libvirt's peer-to-peer migration, its local disks copied while it runs
// (NBD); a shut-off one has its disks copied first (volume streams, over a
// connection to the peer), then its definition moved. Once it has moved,
// its volumes here are removed (not one another VM also uses): the
// definition and the disks end up only on the destination. Ending ctx
// aborts the move and the VM stays here as it was.
func (b *Backend) Migrate(ctx context.Context, ref string, m Migration, progress func(vm.MigrationProgress)) error {
	const op = "migrate"
	if progress == nil {
		progress = func(vm.MigrationProgress) {}
	}
	c, err := b.acquire()
	if err != nil {
		return wrap(op, ref, err)
	}
	defer c.Close()
	d, err := lookup(c, ref)
	if err != nil {
		return wrap(op, ref, err)
	}
	defer d.Free()
	st, _, err := d.GetState()
	if err != nil {
		return wrap(op, ref, err)
	}
	det, err := b.Details(ctx, ref)
	if err != nil {
		return err
	}
	disks, err := b.ownDisks(ctx, det)
	if err != nil {
		return wrap(op, ref, err)
	}
	if states[st].Active() {
		err = b.migrateLive(ctx, d, m, progress)
	} else {
		err = b.migrateOffline(ctx, c, d, det, disks, m, progress)
	}
	if err != nil {
		return wrap(op, ref, err)
	}
	// The VM runs from its copies there: its volumes here go, unless
	// another VM here uses one too.
	progress(vm.MigrationProgress{Stage: "cleaning up"})
	var errs []error
	for _, v := range disks {
		if others := slices.DeleteFunc(slices.Clone(v.UsedBy), func(n string) bool { return n == det.Name }); len(others) > 0 {
			continue
		}
		if err := b.DeleteVolume(context.WithoutCancel(ctx), v.Pool, v.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("moved, but its volumes here could not all be removed: %w", err)
	}
	return nil
}

// ownDisks are the volumes of a VM's writable disks: what moves with it.
func (b *Backend) ownDisks(ctx context.Context, det vm.Details) ([]vm.Volume, error) {
	var out []vm.Volume
	for _, disk := range det.Disks {
		if disk.Device != "disk" || disk.ReadOnly || disk.Source == "" {
			continue
		}
		v, err := b.VolumeByPath(ctx, disk.Source)
		if err != nil {
			return nil, fmt.Errorf("its disk %s (%s) is not a volume of a pool, so it cannot move: %w", disk.Target, disk.Source, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func (b *Backend) migrateLive(ctx context.Context, d *lv.Domain, m Migration, progress func(vm.MigrationProgress)) error {
	flags := lv.MIGRATE_LIVE | lv.MIGRATE_PEER2PEER | lv.MIGRATE_PERSIST_DEST | lv.MIGRATE_UNDEFINE_SOURCE | lv.MIGRATE_NON_SHARED_DISK
	params := &lv.DomainMigrateParameters{}
	if m.DataURI != "" {
		params.URISet, params.URI = true, m.DataURI
	}
	if m.Listen != "" {
		params.ListenAddressSet, params.ListenAddress = true, m.Listen
	}
	progress(vm.MigrationProgress{Stage: "starting"})
	done := make(chan error, 1)
	go func() { done <- d.MigrateToURI3(m.PeerURI, params, flags) }()
	tick := time.NewTicker(migratePollInterval)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			// The move stops where it is; the VM keeps running here.
			d.AbortJob()
			<-done
			return &vm.Error{Op: "migrate", Kind: vm.ErrCancelled, Detail: "the VM stays where it was"}
		case <-tick.C:
			if js, err := d.GetJobStats(0); err == nil && js.Type != lv.DOMAIN_JOB_NONE {
				progress(liveProgress(js))
			}
		}
	}
}

// liveProgress reads a live move's job: its disks are mirrored first,
// then its memory is copied until little enough is left to switch over.
func liveProgress(js *lv.DomainJobInfo) vm.MigrationProgress {
	if js.DiskTotalSet && js.DiskTotal > 0 && js.DiskProcessed < js.DiskTotal {
		return vm.MigrationProgress{Stage: "disks", Done: js.DiskProcessed, Total: js.DiskTotal}
	}
	if js.MemTotalSet && js.MemTotal > 0 {
		return vm.MigrationProgress{Stage: "memory", Done: js.MemProcessed, Total: js.MemTotal}
	}
	return vm.MigrationProgress{Stage: "memory", Done: js.DataProcessed, Total: js.DataTotal}
}

// migrateOffline copies the volumes of a shut-off VM's disks to the pools
// holding the same directories on the peer, then moves its definition.
func (b *Backend) migrateOffline(ctx context.Context, c *lv.Connect, d *lv.Domain, det vm.Details, disks []vm.Volume, m Migration, progress func(vm.MigrationProgress)) error {
	if det.Saved {
		return &vm.Error{Op: "migrate", Target: det.Name, Kind: vm.ErrInvalidState, Detail: "it has a saved memory state, which does not move",
			Hint: "start it and move it live, or start and shut it down first"}
	}
	progress(vm.MigrationProgress{Stage: "connecting"})
	peer, err := dialPeer(ctx, m.PeerURI)
	if err != nil {
		return err
	}
	defer peer.Close()
	var copied []*lv.StorageVol // on the peer, removed again if the move fails
	defer func() {
		for _, v := range copied {
			v.Free()
		}
	}()
	fail := func(err error) error {
		for _, v := range copied {
			v.Delete(0)
		}
		return err
	}
	var total, done uint64
	for _, v := range disks {
		total += v.AllocationBytes
	}
	for _, v := range disks {
		dst, err := copyVolume(ctx, c, peer, v, func(n uint64) {
			progress(vm.MigrationProgress{Stage: "disks", Done: done + n, Total: total})
		})
		if err != nil {
			return fail(err)
		}
		copied = append(copied, dst)
		done += v.AllocationBytes
	}
	progress(vm.MigrationProgress{Stage: "definition"})
	if err := d.MigrateToURI3(m.PeerURI, &lv.DomainMigrateParameters{},
		lv.MIGRATE_OFFLINE|lv.MIGRATE_PEER2PEER|lv.MIGRATE_PERSIST_DEST|lv.MIGRATE_UNDEFINE_SOURCE); err != nil {
		return fail(err)
	}
	return nil
}

// dialPeer opens the destination's libvirt, within ctx.
func dialPeer(ctx context.Context, uri string) (*lv.Connect, error) {
	type result struct {
		c   *lv.Connect
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := lv.NewConnect(uri)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("reaching the destination's libvirt (%s): %w", uri, r.err)
		}
		return r.c, nil
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, vm.ErrTimeout
	}
}

// copyBlock is how much of a volume is read and sent at a time.
const copyBlock = 1 << 20

// copyVolume creates v anew on the peer, in the pool holding the same
// directory, and streams its bytes there; done reports what was sent.
func copyVolume(ctx context.Context, c, peer *lv.Connect, v vm.Volume, sent func(uint64)) (*lv.StorageVol, error) {
	pool, err := peer.LookupStoragePoolByTargetPath(filepath.Dir(v.Path))
	if err != nil {
		return nil, fmt.Errorf("the destination has no pool at %s for %s: %w", filepath.Dir(v.Path), v.Name, err)
	}
	defer pool.Free()
	format := v.Format
	if format == "" {
		format = "raw"
	}
	doc, err := volumeXML(v.Name, v.CapacityBytes, format)
	if err != nil {
		return nil, err
	}
	dst, err := pool.StorageVolCreateXML(doc, 0)
	if err != nil {
		return nil, fmt.Errorf("creating %s on the destination: %w", v.Name, err)
	}
	if err := stream(ctx, c, peer, v.Path, dst, sent); err != nil {
		dst.Delete(0)
		dst.Free()
		return nil, err
	}
	return dst, nil
}

// stream sends the bytes of the volume at path to dst.
func stream(ctx context.Context, c, peer *lv.Connect, path string, dst *lv.StorageVol, sent func(uint64)) error {
	src, err := c.LookupStorageVolByPath(path)
	if err != nil {
		return err
	}
	defer src.Free()
	in, err := c.NewStream(0)
	if err != nil {
		return err
	}
	defer in.Free()
	out, err := peer.NewStream(0)
	if err != nil {
		return err
	}
	defer out.Free()
	if err := src.Download(in, 0, 0, 0); err != nil {
		return err
	}
	if err := dst.Upload(out, 0, 0, 0); err != nil {
		in.Abort()
		return err
	}
	abort := func(err error) error {
		in.Abort()
		out.Abort()
		return err
	}
	buf := make([]byte, copyBlock)
	var n uint64
	for {
		if ctx.Err() != nil {
			return abort(&vm.Error{Op: "migrate", Kind: vm.ErrCancelled, Detail: "while its disks were copied: the VM stays where it was"})
		}
		got, err := in.Recv(buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return abort(err)
		}
		for off := 0; off < got; {
			w, err := out.Send(buf[off:got])
			if err != nil {
				return abort(err)
			}
			off += w
		}
		n += uint64(got)
		sent(n)
	}
	if err := in.Finish(); err != nil {
		out.Abort()
		return err
	}
	return out.Finish()
}

// CPUUsable checks that this host's hypervisor can give a VM the named CPU
// model, as a VM moving here live keeps the CPU it was started with.
func (b *Backend) CPUUsable(ctx context.Context, model, arch string) error {
	const op = "check the CPU model"
	_, err := call(ctx, b, op, model, func(c *lv.Connect) (struct{}, error) {
		doc, err := (&libvirtxml.DomainCPU{Mode: "custom", Match: "exact",
			Model: &libvirtxml.DomainCPUModel{Value: model, Fallback: "forbid"}}).Marshal()
		if err != nil {
			return struct{}{}, err
		}
		virttype := ""
		if caps, err := c.GetCapabilities(); err == nil {
			if g, err := pickGuest(caps); err == nil {
				virttype = g.domainType // qemu (TCG) where KVM cannot run
			}
		}
		res, err := c.CompareHypervisorCPU("", arch, "", virttype, doc, 0)
		if err != nil {
			return struct{}{}, err
		}
		if res == lv.CPU_COMPARE_INCOMPATIBLE {
			return struct{}{}, &vm.Error{Op: op, Target: model, Kind: vm.ErrUnsupported,
				Detail: "this host's hypervisor cannot give a VM the CPU model " + model}
		}
		return struct{}{}, nil
	})
	return err
}
