package real

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/vm"
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
