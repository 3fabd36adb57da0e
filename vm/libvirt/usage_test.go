package libvirt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/vm"
)

// openDemo opens the demo host's node description on the test driver,
// with the leak check of openTest.
func openDemo(t *testing.T) vm.Hypervisor {
	t.Helper()
	path := filepath.Join(t.TempDir(), "host.xml")
	if err := os.WriteFile(path, content.DemoHostXML, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := Open(ctx, "test://"+path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	h := leakChecked{t, b}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestUsersOfVolumesPoolsAndNetworks(t *testing.T) {
	h := openDemo(t)
	ctx := context.Background()
	vols, err := h.Volumes(ctx, "fast-ssd")
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]string{}
	for _, v := range vols {
		users[v.Name] = strings.Join(v.UsedBy, ",")
	}
	if users["db-primary-data.qcow2"] != "db-primary" || users["k8s-node-2.qcow2"] != "k8s-node-2" {
		t.Errorf("volume users: %v", users)
	}
	p, err := h.Pool(ctx, "fast-ssd")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.UsedBy, ","); got != "db-primary,db-replica,k8s-node-1,k8s-node-2,k8s-node-3,monitoring" {
		t.Errorf("fast-ssd is used by %s", got)
	}
	n, err := h.Network(ctx, "lab-isolated")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(n.UsedBy, ","); got != "db-primary,db-replica,dev-sandbox,k8s-node-1,k8s-node-2,k8s-node-3,monitoring" || n.Mode != "isolated" || n.IPv4 != "10.10.0.1/24" {
		t.Errorf("lab-isolated: %+v", n)
	}
}

func TestDeleteRefusesAVolumeInUse(t *testing.T) {
	h := openDemo(t)
	err := h.DeleteVolume(context.Background(), "default", "web-01.qcow2")
	if !errors.Is(err, vm.ErrInvalidState) || !strings.Contains(err.Error(), "it is a disk of web-01") || !strings.Contains(vm.Fix(err), "detach") {
		t.Errorf("deleting web-01's disk: %v (fix %q)", err, vm.Fix(err))
	}
}

func TestNotEnoughSpaceOnTheDemoPool(t *testing.T) {
	h := openDemo(t)
	ctx := context.Background()
	_, err := h.CreateVolume(ctx, "fast-ssd", vm.VolumeSpec{Name: "big.qcow2", CapacityBytes: 100 << 30})
	if !errors.Is(err, vm.ErrInvalidArg) || !strings.Contains(err.Error(), "not enough space in pool fast-ssd: needs 100G, has 14G") {
		t.Errorf("a 100 GiB volume in fast-ssd: %v", err)
	}
	_, err = h.CopyVolume(ctx, "fast-ssd", "db-primary-data.qcow2", "db-copy.qcow2", nil)
	if !errors.Is(err, vm.ErrInvalidArg) || !strings.Contains(err.Error(), "needs 250G") {
		t.Errorf("copying a 250 GiB volume into fast-ssd: %v", err)
	}
}

func TestMissingToolNamesIt(t *testing.T) {
	err := missingTool(&vm.Error{Op: "start network", Target: "lab", Detail: "internal error: Failed to apply firewall rules " +
		"/usr/sbin/iptables -w --table filter: libvirt:  error : cannot execute binary /usr/sbin/iptables: No such file or directory"})
	if fix := vm.Fix(err); !strings.Contains(fix, "libvirtd needs iptables") {
		t.Errorf("fix %q does not name iptables", fix)
	}
	plain := &vm.Error{Op: "start network", Detail: "something else"}
	if missingTool(plain); plain.Hint != "" {
		t.Errorf("an unrelated failure got the hint %q", plain.Hint)
	}
}
