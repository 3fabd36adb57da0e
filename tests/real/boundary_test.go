package real

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

// The privilege boundary, attacked as the operator would: with virsh and
// with raw API calls. Root prepares what an attack needs: a pool outside
// the approved roots with a volume, a VM whose disk is a host file, and a
// root-only file to steal.

// outside is what root prepares for the attacks.
type outside struct {
	pool, volume, secret, hostFileVM, ownVM string
}

const outsideDir = "/srv/hv-test-outside" // not under an approved pool root

func prepareOutside(t *testing.T, e env) outside {
	t.Helper()
	id := fmt.Sprintf("%08x", rand.Uint32())
	o := outside{pool: "hvtest-outside-" + id, volume: "stolen.qcow2", hostFileVM: "hvtest-hostfile-" + id, ownVM: "hvtest-own-" + id,
		secret: filepath.Join("/root", "hv-test-secret-"+id)}
	if err := os.WriteFile(o.secret, []byte("root's secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(o.secret) })
	root := open(t, e.uri)
	ctx := context.Background()
	if _, err := root.DefinePool(ctx, vm.PoolSpec{Name: o.pool, Path: filepath.Join(outsideDir, o.pool)}); err != nil {
		t.Fatal(err)
	}
	vol, err := root.CreateVolume(ctx, o.pool, vm.VolumeSpec{Name: o.volume, CapacityBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	// A hand-made VM whose disk is a file of that unapproved pool: what
	// root may do, and an operator must not be able to copy.
	xml := `<domain type='qemu'><name>` + o.hostFileVM + `</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='` + vol.Path + `'/><target dev='vda' bus='virtio'/></disk></devices></domain>`
	if out, err := virsh(e.uri, xml, "define", "/dev/stdin"); err != nil {
		t.Fatalf("virsh define as root: %v\n%s", err, out)
	}
	if _, err := root.Define(ctx, vm.Spec{Name: o.ownVM, VCPUs: 1, MemoryMiB: 64}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		root := open(t, e.uri)
		defer root.Close()
		for _, v := range []string{o.hostFileVM, o.ownVM} {
			root.Destroy(ctx, v)
			root.Undefine(ctx, v)
		}
		root.DeleteVolume(ctx, o.pool, o.volume)
		root.StopPool(ctx, o.pool)
		root.DeletePool(ctx, o.pool)
		os.Remove(outsideDir)
	})
	root.Close()
	return o
}

// virsh runs virsh, as whoever runs the test, with stdin, and returns its
// combined output.
func virsh(uri, stdin string, args ...string) (string, error) {
	cmd := exec.Command("virsh", append([]string{"-q", "-c", uri}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestTheBoundaryHoldsForTheOperator: the attacks of issue 10, as the
// operator, each refused by libvirt or by the daemon with the reason.
func TestTheBoundaryHoldsForTheOperator(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to prepare the attacks and switch to the operator")
	need.Tool(t, "virsh", "apt-get install libvirt-clients")
	o := prepareOutside(t, e)
	setPhase(t, e, "hardened")
	out, err := runAs(t, e.operator, "^TestAttacksAsOperator$", []string{
		"HV_REAL_OUTSIDE=" + strings.Join([]string{o.pool, o.volume, o.secret, o.hostFileVM, o.ownVM}, ",")})
	t.Logf("as %s:\n%s", e.operator, out)
	if err != nil {
		t.Fatalf("an attack got through as %s: %v", e.operator, err)
	}
	root := open(t, e.uri)
	defer root.Close()
	if _, err := root.Lookup(context.Background(), o.ownVM); err != nil {
		t.Errorf("the hardened phase let the operator delete %s with its storage: %v", o.ownVM, err)
	}
	pools, _ := root.Pools(context.Background())
	for _, p := range pools {
		if p.Path == "/root" || strings.HasPrefix(p.Path, "/root/") {
			t.Errorf("a pool over /root exists: %+v", p)
			root.StopPool(context.Background(), p.Name)
			root.UndefinePool(context.Background(), p.Name)
		}
	}
}

// TestAttacksAsOperator is run by TestTheBoundaryHoldsForTheOperator as
// the operator.
func TestAttacksAsOperator(t *testing.T) {
	e := realEnv(t)
	parts := strings.Split(os.Getenv("HV_REAL_OUTSIDE"), ",")
	if len(parts) != 5 {
		t.Skip("run by TestTheBoundaryHoldsForTheOperator as the operator")
	}
	o := outside{pool: parts[0], volume: parts[1], secret: parts[2], hostFileVM: parts[3], ownVM: parts[4]}

	t.Run("virsh read-write is refused", func(t *testing.T) {
		steal := filepath.Join(os.TempDir(), fmt.Sprintf("hv-stolen-%08x", rand.Uint32()))
		defer os.Remove(steal)
		attacks := [][]string{
			{"pool-create-as", "hvtest-steal", "dir", "--target", "/root"},
			{"vol-download", "--pool", o.pool, o.volume, steal},
			{"vol-create-as", o.pool, "planted.qcow2", "1M"},
			{"vol-upload", "--pool", o.pool, o.volume, "/etc/hostname"},
			{"define", "/dev/stdin"},
			{"undefine", o.ownVM},
		}
		disk := `<domain type='qemu'><name>hvtest-shadow</name><memory unit='MiB'>64</memory><os><type>hvm</type></os>
<devices><disk type='file'><source file='/etc/shadow'/><target dev='vda'/></disk></devices></domain>`
		for _, args := range attacks {
			// Read-write is refused at the connection (polkit grants the
			// operator no org.libvirt.unix.manage); read-only refuses the call.
			for _, ro := range [][]string{nil, {"-r"}} {
				out, err := virsh(e.uri, disk, append(ro, args...)...)
				if err == nil {
					t.Errorf("virsh %v %v as the operator succeeded: %s", ro, args, out)
				} else if !strings.Contains(out, "org.libvirt.unix.manage") && !strings.Contains(out, "read only") {
					t.Errorf("virsh %v %v: refused, but not for want of read-write access: %s", ro, args, out)
				}
			}
		}
		if data, err := os.ReadFile(steal); err == nil {
			t.Errorf("root's file was copied out: %q", data)
		}
	})

	raw := apiClient(e.socket)
	t.Run("raw API calls cannot name host paths", func(t *testing.T) {
		for _, c := range []struct{ method, path, body, kind, want string }{
			{"POST", "/v1/pools", `{"name":"hvtest-steal","path":"/root"}`, "policy", "not under an approved root"},
			{"POST", "/v1/pools", `{"name":"hvtest-steal","path":"/var/lib/hv-test/../../../root"}`, "invalid-arg", "clean absolute"},
			{"POST", "/v1/vms", `{"name":"hvtest-x","vcpus":1,"memory_mib":64,"disks":[{"volume":{"pool":"` + o.pool + `","name":"` + o.volume + `"}}]}`, "policy", "not under an approved root"},
			{"POST", "/v1/vms", `{"name":"hvtest-x","vcpus":1,"memory_mib":64,"disks":[{"path":"/etc/shadow"}]}`, "invalid-arg", `unknown field "path"`},
			{"POST", "/v1/vms", `{"name":"hvtest-x","vcpus":1,"memory_mib":64,"xml":"<domain><qemu:commandline/></domain>"}`, "invalid-arg", `unknown field "xml"`},
			{"POST", "/v1/vms", `{"name":"hvtest-x","vcpus":1,"memory_mib":64,"hostdevs":[{"pci":"0000:00:02.0"}]}`, "invalid-arg", `unknown field "hostdevs"`},
			{"POST", "/v1/vms", `{"name":"hvtest-x","vcpus":1,"memory_mib":64,"filesystems":[{"source":"/"}]}`, "invalid-arg", `unknown field "filesystems"`},
			{"POST", "/v1/vms/" + o.ownVM + "/disks", `{"volume":{"pool":"` + o.pool + `","name":"` + o.volume + `"}}`, "policy", "not under an approved root"},
			{"POST", "/v1/vms/" + o.ownVM + "/snapshots", `{"name":"s","disk_only":true,"path":"/root/overlay.qcow2"}`, "invalid-arg", `unknown field "path"`},
			{"POST", "/v1/vms/" + o.ownVM + "/save", `{"path":"/root/saved"}`, "invalid-arg", "takes no body"},
			{"POST", "/v1/vms/" + o.hostFileVM + "/clone", `{"name":"hvtest-copy","disks":{}}`, "policy", "may not be " + outsideDir},
			{"POST", "/v1/pools/" + o.pool + "/volumes", `{"name":"planted.qcow2","capacity_bytes":1048576}`, "policy", "not under an approved root"},
			{"GET", "/v1/volumes/by-path?path=" + o.secret, "", "not-found", ""},
		} {
			code, p := raw.call(t, c.method, c.path, c.body, nil)
			if p.Kind != c.kind || !strings.Contains(p.Message, c.want) || p.Fix == "" {
				t.Errorf("%s %s %s: %d %+v, want %s mentioning %q with a fix", c.method, c.path, c.body, code, p, c.kind, c.want)
			}
		}
	})

	t.Run("the hardened phase is enforced by the daemon", func(t *testing.T) {
		code, p := raw.call(t, "DELETE", "/v1/vms/"+o.ownVM+"/with-storage", "",
			map[string]string{"Hv-Confirm": "--yes", "Hv-Confirm-Name": o.ownVM})
		if code != http.StatusForbidden || p.Kind != "phase" || !strings.Contains(p.Message, "in one step") {
			t.Errorf("delete with storage in the hardened phase: %d %+v", code, p)
		}
	})

	t.Run("the trail is the daemon's alone", func(t *testing.T) {
		for _, path := range []string{audit.SystemPath, audit.SystemAnchorPath} {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err == nil {
				f.Close()
				t.Errorf("the operator may write %s", path)
			} else if !errors.Is(err, os.ErrPermission) {
				t.Errorf("writing %s: %v, want permission denied", path, err)
			}
		}
		if err := os.Remove(audit.SystemPath); !errors.Is(err, os.ErrPermission) {
			t.Errorf("removing the trail: %v, want permission denied", err)
		}
		var v api.Verification
		if code := raw.get(t, "/v1/audit/verify", &v); code != http.StatusOK || v.Problem != nil || v.Entries == 0 {
			t.Errorf("the operator reads the trail through the daemon: %d %+v", code, v)
		}
	})
}

// apiClient speaks HTTP on the daemon's socket, as curl --unix-socket does.
type apiClient string

func (a apiClient) client() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", string(a))
	}}}
}

// call sends a request and returns the status and the error it carries.
func (a apiClient) call(t *testing.T, method, path, body string, headers map[string]string) (int, api.Problem) {
	t.Helper()
	req, err := http.NewRequest(method, "http://hv"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := a.client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var e api.ErrorBody
	data, _ := io.ReadAll(resp.Body)
	json.Unmarshal(data, &e)
	return resp.StatusCode, e.Error
}

func (a apiClient) get(t *testing.T, path string, out any) int {
	t.Helper()
	resp, err := a.client().Get("http://hv" + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(out)
	return resp.StatusCode
}

// setPhase writes phase p into the hv daemon's host file (as root), and
// puts the phase it had back when t ends.
func setPhase(t *testing.T, e env, p string) {
	t.Helper()
	h, raw, err := nix.ReadHost(e.hostFile)
	if err != nil {
		t.Fatalf("the daemon's host file: %v", err)
	}
	before := h.Phase
	h.Phase = p
	if _, err := nix.WriteHost(e.hostFile, h, raw); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h, raw, err := nix.ReadHost(e.hostFile)
		if err == nil {
			h.Phase = before
			_, err = nix.WriteHost(e.hostFile, h, raw)
		}
		if err != nil {
			t.Errorf("putting the phase back: %v", err)
		}
	})
}
