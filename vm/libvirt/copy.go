package libvirt

import (
	"context"
	"errors"
	"io"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

// copyPollInterval is how often CopyVolume reports progress.
var copyPollInterval = 500 * time.Millisecond

// CopyVolume copies src to a new volume dst of the same pool; see
// vm.Storage. The bytes pass through hv, over libvirt's download and
// upload streams with holes kept, so that cancelling ctx stops the copy
// within a chunk and the partial copy is deleted before CopyVolume
// returns. libvirt's own copy (CreateXMLFrom: qemu-img convert) cannot be
// stopped; it serves where streams cannot, a volume built on a backing
// file (which it flattens) and the test driver, and a cancel then deletes
// the copy once libvirt is done with it.
func (b *Backend) CopyVolume(ctx context.Context, pool, src, dst string, progress func(done, total uint64)) (vm.Volume, error) {
	const op = "copy volume"
	target := pool + "/" + src
	if err := vm.CheckName(op, "volume", dst); err != nil {
		return vm.Volume{}, err
	}
	if progress == nil {
		progress = func(uint64, uint64) {}
	}
	// ctx's end is watched by the copy itself, so that what it made is
	// gone by the time this returns.
	v, err := call(context.WithoutCancel(ctx), b, op, target, func(c *lv.Connect) (vm.Volume, error) {
		sp, err := activePool(c, op, target, pool)
		if err != nil {
			return vm.Volume{}, err
		}
		defer sp.Free()
		from, err := lookupVolume(sp, op, pool, src)
		if err != nil {
			return vm.Volume{}, err
		}
		defer from.Free()
		orig, err := describeVolume(from, pool)
		if err != nil {
			return vm.Volume{}, err
		}
		if err := b.roomFor(sp, op, pool, dst, orig.CapacityBytes); err != nil {
			return vm.Volume{}, err
		}
		format := orig.Format
		if format == "" || format == "iso" {
			format = "raw"
		}
		doc, err := volumeXML(dst, orig.CapacityBytes, format)
		if err != nil {
			return vm.Volume{}, err
		}
		total := max(orig.AllocationBytes, 1)
		// Every connection to the test driver has a host of its own:
		// there the streams' connection would not see the pool.
		if typ, _ := c.GetType(); typ == "TEST" || orig.BackingPath != "" {
			err = copyInLibvirt(ctx, sp, from, doc, dst, total, progress)
		} else {
			err = b.copyByStreams(ctx, pool, src, doc, total, progress)
		}
		if err != nil {
			return vm.Volume{}, err
		}
		progress(total, total)
		sv, err := lookupVolume(sp, op, pool, dst)
		if err != nil {
			return vm.Volume{}, err
		}
		defer sv.Free()
		v, err := describeVolume(sv, pool)
		v.UsedBy = []string{}
		return v, err
	})
	if err != nil && ctx.Err() != nil {
		why := "stopped before the end; the partial copy " + dst + " is deleted"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			why = "it took longer than allowed; the partial copy " + dst + " is deleted"
		}
		return vm.Volume{}, refuse(op, target, ended(ctx.Err()), why, "")
	}
	return v, err
}

// copyInLibvirt has libvirt make the copy, reporting progress from the new
// volume's allocation. It cannot be stopped: when ctx ends meanwhile, the
// finished copy is deleted.
func copyInLibvirt(ctx context.Context, sp *lv.StoragePool, from *lv.StorageVol, doc, dst string, total uint64, progress func(done, total uint64)) error {
	stop := watchAllocation(sp, dst, total, progress)
	sv, err := sp.StorageVolCreateXMLFrom(doc, from, 0)
	stop()
	if err != nil {
		return err
	}
	defer sv.Free()
	if err := ctx.Err(); err != nil {
		sv.Delete(0)
		return err
	}
	return nil
}

// watchAllocation reports the allocation of the volume being written as
// progress until the returned stop is called; stop waits for the watcher.
func watchAllocation(sp *lv.StoragePool, name string, total uint64, progress func(done, total uint64)) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(copyPollInterval)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			sv, err := sp.LookupStorageVolByName(name)
			if err != nil {
				continue // not created yet
			}
			info, err := sv.GetInfo()
			sv.Free()
			if err == nil {
				progress(min(info.Allocation, total), total)
			}
		}
	}()
	return func() { close(quit); <-done }
}

// copyChunk is what one read of the download stream moves at most.
const copyChunk = 1 << 20

// copyByStreams creates the volume doc describes and fills it with src's
// bytes, on a connection of its own: a blocking stream stalls the other
// calls of its connection. On failure or when ctx ends, the new volume is
// deleted.
func (b *Backend) copyByStreams(ctx context.Context, pool, src, doc string, total uint64, progress func(done, total uint64)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c, _, err := dial(b.uri, b.readOnly)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetKeepAlive(5, 3) // a daemon that dies mid-copy ends the reads
	sp, err := c.LookupStoragePoolByName(pool)
	if err != nil {
		return err
	}
	defer sp.Free()
	from, err := sp.LookupStorageVolByName(src)
	if err != nil {
		return err
	}
	defer from.Free()
	to, err := sp.StorageVolCreateXML(doc, 0)
	if err != nil {
		return err
	}
	defer to.Free()
	if err := pump(ctx, c, from, to, total, progress); err != nil {
		deleteUploaded(to)
		return err
	}
	return nil
}

// pump streams from's bytes into to, holes as holes, until the end or
// until ctx ends, which aborts both streams.
func pump(ctx context.Context, c *lv.Connect, from, to *lv.StorageVol, total uint64, progress func(done, total uint64)) error {
	in, err := c.NewStream(0)
	if err != nil {
		return err
	}
	defer in.Free()
	out, err := c.NewStream(0)
	if err != nil {
		return err
	}
	defer out.Free()
	if err := from.Download(in, 0, 0, lv.STORAGE_VOL_DOWNLOAD_SPARSE_STREAM); err != nil {
		return err
	}
	if err := to.Upload(out, 0, 0, lv.STORAGE_VOL_UPLOAD_SPARSE_STREAM); err != nil {
		in.Abort()
		return err
	}
	fail := func(err error) error {
		in.Abort()
		out.Abort()
		return err
	}
	buf := make([]byte, copyChunk)
	var done uint64
	last := time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		n, err := in.RecvFlags(buf, lv.STREAM_RECV_STOP_AT_HOLE)
		switch {
		case err == io.EOF:
			if err := in.Finish(); err != nil {
				return fail(err)
			}
			return out.Finish()
		case err != nil:
			return fail(err)
		case n == -3: // a hole: pass it on as one
			hole, err := in.RecvHole(0)
			if err == nil {
				err = out.SendHole(hole, 0)
			}
			if err != nil {
				return fail(err)
			}
		case n > 0:
			if err := sendAll(out, buf[:n]); err != nil {
				return fail(err)
			}
			done += uint64(n)
		}
		if time.Since(last) >= copyPollInterval {
			progress(min(done, total), total)
			last = time.Now()
		}
	}
}

// sendAll writes p to a blocking stream, which may take it in parts.
func sendAll(st *lv.Stream, p []byte) error {
	for len(p) > 0 {
		n, err := st.Send(p)
		if err != nil {
			return err
		}
		p = p[max(n, 0):]
	}
	return nil
}

// deleteUploaded deletes a volume whose upload was aborted; libvirt holds
// it for a moment while it closes the upload.
func deleteUploaded(sv *lv.StorageVol) {
	deadline := time.Now().Add(10 * time.Second)
	for sv.Delete(0) != nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
}
