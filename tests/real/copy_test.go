package real

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
	"github.com/hyper-nixos/hv/vm/vmtest"
)

// bigVolume makes a raw volume of size bytes full of data in pool: a copy
// of it takes long enough to be stopped in its middle.
func bigVolume(t *testing.T, b vm.Hypervisor, pool, name string, size int64) vm.Volume {
	t.Helper()
	need.Root(t, "to fill the volume's file with data")
	v, err := b.CreateVolume(context.Background(), pool, vm.VolumeSpec{Name: name, CapacityBytes: uint64(size), Format: "raw"})
	if err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	f, err := os.OpenFile(v.Path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte("hv-copy-data\n"), 1<<18)
	for n := int64(0); n < size; {
		w, err := f.Write(chunk[:min(int64(len(chunk)), size-n)])
		if err != nil {
			t.Fatal(err)
		}
		n += int64(w)
	}
	return v
}

// TestCtrlCStopsACopyAndLeavesNothing: ctrl+c during 'hv pool vol-copy'
// stops the copy, deletes the partial copy and says so, rather than
// ending hv and leaving the volume behind.
func TestCtrlCStopsACopyAndLeavesNothing(t *testing.T) {
	e := realEnv(t)
	bin := buildHV(t)
	b := open(t, e.uri)
	defer b.Close()
	pool, _ := flowPool(t, e)
	src := bigVolume(t, b, pool, fmt.Sprintf("hvtest-cp-%08x.img", rand.Uint32()), 2<<30)
	dst := "copy-" + src.Name

	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--connect", e.uri, "pool", "vol-copy", pool, src.Name, dst)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	copying := func() bool {
		vols, _ := b.Volumes(context.Background(), pool)
		for _, v := range vols {
			if v.Name == dst && v.AllocationBytes > 0 {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(30 * time.Second); !copying(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the copy never began:\n%s", stderr.String())
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if err == nil || !strings.Contains(stderr.String(), "cancelled") {
		t.Errorf("hv should exit 1 saying the copy was cancelled: %v\n%s", err, stderr.String())
	}
	time.Sleep(2 * time.Second) // a copy still running would show now
	if _, err := b.VolumeByPath(context.Background(), strings.TrimSuffix(src.Path, src.Name)+dst); err == nil {
		t.Errorf("the stopped copy %s is left in pool %s", dst, pool)
	}
}

// TestCancelledCloneThroughTheDaemon: the operator's hv gives up on a
// clone mid-copy (esc, ctrl+c, a closed terminal); the daemon's copy stops
// with it and deletes what it made: no clone, no volume left.
func TestCancelledCloneThroughTheDaemon(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to prepare the VM and switch to the operator")
	b := open(t, e.uri)
	defer b.Close()
	pool, _ := flowPool(t, e)
	name := fmt.Sprintf("hvtest-dc-%08x", rand.Uint32())
	disk := bigVolume(t, b, pool, name+".img", 2<<30)
	v, err := b.Define(context.Background(), vm.Spec{Name: name, VCPUs: 1, MemoryMiB: 64, Disks: []vm.DiskSpec{{Volume: disk.Ref()}}})
	if err != nil {
		t.Fatalf("Define: %v", err)
	}
	defer b.DeleteWithStorage(context.Background(), v.UUID)
	out, err := runAs(t, e.operator, "^TestCancelledCloneAsOperator$", []string{"HV_REAL_CC_VM=" + name, "HV_REAL_CC_POOL=" + pool})
	t.Logf("as %s:\n%s", e.operator, out)
	if err != nil {
		t.Fatalf("the cancelled clone as the operator: %v", err)
	}
}

// TestCancelledCloneAsOperator is run by the test above as the operator.
func TestCancelledCloneAsOperator(t *testing.T) {
	e := realEnv(t)
	name, pool := os.Getenv("HV_REAL_CC_VM"), os.Getenv("HV_REAL_CC_POOL")
	if name == "" {
		t.Skip("run by TestCancelledCloneThroughTheDaemon")
	}
	h := vmtest.Answering(connect(t, e))
	defer h.Close()
	v, err := h.Lookup(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	_, err = ops.Clone(ctx, h, v, name+"-c", func(_ string, done, _ uint64) {
		if done > 0 {
			once.Do(cancel)
		}
	})
	if !errors.Is(err, vm.ErrCancelled) && !errors.Is(err, context.Canceled) {
		t.Fatalf("clone cancelled mid-copy: %v", err)
	}
	time.Sleep(3 * time.Second) // the daemon stops the copy and deletes it
	if _, err := h.Lookup(context.Background(), name+"-c"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("a cancelled clone exists: %v", err)
	}
	vols, err := h.Volumes(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range vols {
		if strings.HasPrefix(x.Name, name+"-c") {
			t.Errorf("the cancelled clone left volume %s", x.Name)
		}
	}
}
