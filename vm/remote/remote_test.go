package remote_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
	"github.com/hyper-nixos/hv/vm/daemon"
	"github.com/hyper-nixos/hv/vm/daemon/daemontest"
	"github.com/hyper-nixos/hv/vm/libvirt"
	"github.com/hyper-nixos/hv/vm/remote"
	"github.com/hyper-nixos/hv/vm/vmtest"
)

// host is a daemon over libvirt's test driver, on a socket of its own.
type host struct {
	socket string
	log    *audit.Log
	rules  *daemon.Rules
}

func startDaemon(t *testing.T, auth daemon.Authorizer) *host {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := libvirt.Open(ctx, "test:///default")
	if err != nil {
		t.Fatal(err)
	}
	h := &host{rules: &daemon.Rules{Phase: phase.Setup, Roots: daemon.Roots{"/default-pool", "/var/lib/hv-test"}}}
	h.socket, h.log = daemontest.Serve(t, b, auth, h.rules)
	return h
}

func (h *host) client(t *testing.T) *remote.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := remote.Open(ctx, remote.Unix(h.socket), h.socket)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestContractThroughTheDaemon: the backend contract holds for the client,
// over a real socket, through the daemon's checks, on the test driver.
func TestContractThroughTheDaemon(t *testing.T) {
	vmtest.Run(t, vmtest.Contract{
		Open: func(t *testing.T) vm.Hypervisor {
			return vmtest.Answering(startDaemon(t, daemontest.Grant(nil)).client(t))
		},
		Timeout: 5 * time.Second, Network: "default", NoHotplug: true,
	})
}

func yes(ctx context.Context) context.Context {
	return vm.WithConfirmation(ctx, vm.Confirmation{How: "--yes"})
}

// TestTheDaemonAsksWhatThePhaseAsks: a change the matrix asks about is
// refused without the answer, with the question; a name question wants
// the right name; the answer goes to the trail.
func TestTheDaemonAsksWhatThePhaseAsks(t *testing.T) {
	h := startDaemon(t, daemontest.Grant(nil))
	c := h.client(t)
	defer c.Close()
	ctx := context.Background()
	v, err := c.Define(ctx, vm.Spec{Name: "asked", VCPUs: 1, MemoryMiB: 64})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx, v.Name); err != nil {
		t.Fatalf("a low-risk start needs no answer: %v", err)
	}
	var ue *phase.Unconfirmed
	if err := c.Destroy(ctx, v.Name); !errors.As(err, &ue) || ue.Question != phase.YesNo || vm.Fix(err) == "" {
		t.Fatalf("force off without an answer: %v, want it unconfirmed with a yes/no question and a fix", err)
	}
	if err := c.Destroy(yes(ctx), v.Name); err != nil {
		t.Fatalf("force off with --yes: %v", err)
	}
	wrong := vm.WithConfirmation(ctx, vm.Confirmation{How: "dialog", Name: "other"})
	if err := c.Undefine(wrong, v.Name); !errors.As(err, &ue) || ue.Question != phase.TypeName || !strings.Contains(err.Error(), `"other"`) {
		t.Fatalf("delete with the wrong name typed: %v", err)
	}
	right := vm.WithConfirmation(ctx, vm.Confirmation{How: "dialog", Name: "asked"})
	if err := c.Undefine(right, v.UUID); err != nil {
		t.Fatalf("delete by UUID with the VM's name typed: %v", err)
	}
	entries, err := h.log.Read()
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range entries {
		trail = append(trail, e.Action+" "+e.Result+" "+e.Note)
	}
	want := []string{"vm.define ok ", "vm.start ok ", "vm.force-off refused ", "vm.force-off ok confirmed (--yes)",
		"vm.delete refused confirmed (dialog)", "vm.delete ok confirmed (dialog)"}
	if strings.Join(trail, "\n") != strings.Join(want, "\n") {
		t.Errorf("the trail:\n%s\nwant:\n%s", strings.Join(trail, "\n"), strings.Join(want, "\n"))
	}
}

// TestTheHardenedPhaseIsEnforcedByTheDaemon: what the phase refuses is
// refused at the daemon, whatever the client asked.
func TestTheHardenedPhaseIsEnforcedByTheDaemon(t *testing.T) {
	h := startDaemon(t, daemontest.Grant(nil))
	c := h.client(t)
	defer c.Close()
	ctx := context.Background()
	v, err := c.Define(ctx, vm.Spec{Name: "prod", VCPUs: 1, MemoryMiB: 64})
	if err != nil {
		t.Fatal(err)
	}
	h.rules.Phase = phase.Hardened
	var pe *phase.Error
	err = c.DeleteWithStorage(vm.WithConfirmation(ctx, vm.Confirmation{How: "--yes", Name: "prod"}), v.Name)
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "in one step") || vm.Fix(err) == "" {
		t.Fatalf("delete with storage in the hardened phase: %v", err)
	}
	bulk := vm.WithConfirmation(ctx, vm.Confirmation{How: "--yes", Bulk: 3})
	if err := c.Destroy(bulk, v.Name); !errors.As(err, &pe) {
		t.Fatalf("a high-risk action on 3 VMs in the hardened phase: %v", err)
	}
	if _, err := c.Lookup(ctx, "prod"); err != nil {
		t.Fatalf("the VM must still be there: %v", err)
	}
}

// TestPolkitDecidesPerAction: a caller granted only reading may read, and
// each change is refused with the action and the fix.
func TestPolkitDecidesPerAction(t *testing.T) {
	h := startDaemon(t, daemontest.Grant{api.ActionRead})
	c := h.client(t)
	defer c.Close()
	ctx := context.Background()
	if c.Access() != vm.ReadOnly {
		t.Errorf("a caller granted only reading has %v access", c.Access())
	}
	// What polkit withholds is known before anything is sent, so the UI
	// shows it unavailable, with the action.
	if why := vm.Permitted(c, "vm.define"); !strings.Contains(why, api.ActionCreate) {
		t.Errorf("define is not granted, yet Permitted says %q", why)
	}
	if why := vm.Permitted(c, "vm.list"); why != "" {
		t.Errorf("reading is granted, yet Permitted says %q", why)
	}
	if _, err := c.List(ctx); err != nil {
		t.Fatalf("reading: %v", err)
	}
	_, err := c.Define(ctx, vm.Spec{Name: "x", VCPUs: 1, MemoryMiB: 64})
	if !errors.Is(err, vm.ErrDenied) || !strings.Contains(err.Error(), api.ActionCreate) || !strings.Contains(vm.Fix(err), "operators group") {
		t.Fatalf("define without the create action: %v (fix %q)", err, vm.Fix(err))
	}
}

// TestNoHostPathsFromClients: the payload policy refuses, by its rule,
// disks outside approved pools and fields the API does not have.
func TestNoHostPathsFromClients(t *testing.T) {
	h := startDaemon(t, daemontest.Grant(nil))
	c := h.client(t)
	defer c.Close()
	ctx := context.Background()
	if _, err := c.DefinePool(ctx, vm.PoolSpec{Name: "p", Path: "/var/lib/hv-test/p"}); err != nil {
		t.Fatal(err)
	}
	vol, err := c.CreateVolume(ctx, "p", vm.VolumeSpec{Name: "d.qcow2", CapacityBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	h.rules.Roots = daemon.Roots{"/srv/elsewhere"} // pool p is no longer approved
	var re *vm.Refusal
	_, err = c.Define(ctx, vm.Spec{Name: "x", VCPUs: 1, MemoryMiB: 64, Disks: []vm.DiskSpec{{Volume: vol.Ref()}}})
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "not under an approved root") || vm.Fix(err) == "" {
		t.Fatalf("a disk of an unapproved pool: %v", err)
	}
	if _, err := c.DefinePool(ctx, vm.PoolSpec{Name: "root", Path: "/root"}); !errors.As(err, &re) {
		t.Fatalf("a pool over /root: %v", err)
	}
	if _, err := c.DefinePool(ctx, vm.PoolSpec{Name: "up", Path: "/var/lib/hv-test/../../../root"}); !errors.Is(err, vm.ErrInvalidArg) {
		t.Fatalf("a pool path climbing out of an approved root: %v", err)
	}
	root := t.TempDir()
	if err := os.Symlink("/root", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	h.rules.Roots = daemon.Roots{root}
	if _, err := c.DefinePool(ctx, vm.PoolSpec{Name: "sym", Path: filepath.Join(root, "link", "x")}); !errors.As(err, &re) {
		t.Fatalf("a pool under a symbolic link out of an approved root: %v", err)
	}
	if _, err := c.DefinePool(ctx, vm.PoolSpec{Name: "ok", Path: filepath.Join(root, "vms")}); err != nil {
		t.Fatalf("a pool under an approved root: %v", err)
	}
}

// TestRawCallsCannotCarryPaths: what a script sends with curl is decoded
// strictly; a field the API does not have is refused by its name.
func TestRawCallsCannotCarryPaths(t *testing.T) {
	h := startDaemon(t, daemontest.Grant(nil))
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return remote.Unix(h.socket)(ctx)
	}}}
	for _, body := range []string{
		`{"name":"x","vcpus":1,"memory_mib":64,"disks":[{"path":"/etc/shadow"}]}`,
		`{"name":"x","vcpus":1,"memory_mib":64,"xml":"<domain/>"}`,
		`{"name":"x","vcpus":1,"memory_mib":64,"iso":"/root/secret.iso"}`,
	} {
		resp, err := hc.Post("http://hv/v1/vms", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var reply api.ErrorBody
		json.NewDecoder(resp.Body).Decode(&reply)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || reply.Error.Kind != api.KindInvalidArg || reply.Error.Fix == "" {
			t.Errorf("POST /v1/vms %s: %s %+v, want 400 invalid-arg with a fix", body, resp.Status, reply.Error)
		}
	}
	entries, _ := h.log.Read()
	if len(entries) != 3 || entries[0].Result != audit.Refused {
		t.Errorf("each refused attempt is in the trail: %+v", entries)
	}
}
