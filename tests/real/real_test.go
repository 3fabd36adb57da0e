// Package real runs hv against a real libvirtd + QEMU (software emulation)
// and a real hv daemon: as root (libvirt directly), as a non-root operator
// whose rights come from hv's polkit rule (through the daemon, the only
// holder of read-write libvirt), and as an outsider who may only look.
// tests/real/daemon.sh brings the daemons up; `./tests/run` does it all.
package real

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/libvirt"
	"github.com/hyper-nixos/hv/vm/remote"
	"github.com/hyper-nixos/hv/vm/vmtest"
)

// env is the real tier's setting, from `tests/real/daemon.sh env`.
type env struct {
	uri, operator, outsider, daemon string
	socket, hostFile                string // the hv daemon's socket and host file
}

func realEnv(t testing.TB) env {
	t.Helper()
	e := env{os.Getenv("HV_REAL_URI"), os.Getenv("HV_REAL_OPERATOR"), os.Getenv("HV_REAL_OUTSIDER"), os.Getenv("HV_REAL_DAEMON"),
		os.Getenv("HV_REAL_SOCKET"), os.Getenv("HV_REAL_HOST_FILE")}
	if e.uri == "" {
		need.Missing(t, "no real libvirtd (HV_REAL_URI): run ./tests/run, which starts one, to include this tier")
	}
	return e
}

func open(t *testing.T, uri string) *libvirt.Backend {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := libvirt.Open(ctx, uri)
	if err != nil {
		t.Fatalf("Open(%s) as uid %d: %v", uri, os.Getuid(), err)
	}
	return b
}

// connect is what hv connects to for whoever runs the test: root talks to
// libvirt directly; anyone else goes through the hv daemon, which alone
// holds read-write libvirt.
func connect(t *testing.T, e env) vm.Hypervisor {
	t.Helper()
	if os.Getuid() == 0 {
		return open(t, e.uri)
	}
	if e.socket == "" {
		need.Missing(t, "no hv daemon (HV_REAL_SOCKET): ./tests/run starts one")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := remote.Open(ctx, remote.Unix(e.socket), e.socket)
	if err != nil {
		t.Fatalf("connecting to the hv daemon at %s as uid %d: %v", e.socket, os.Getuid(), err)
	}
	return c
}

// TestContract runs the backend contract as whoever runs the test: root in
// the suite itself (libvirt directly), the operator through the hv daemon
// when TestContractAsOperator re-runs it, answering what the daemon asks
// as a script with --yes would.
func TestContract(t *testing.T) {
	e := realEnv(t)
	vmtest.Run(t, vmtest.Contract{
		Open: func(t *testing.T) vm.Hypervisor {
			h := connect(t, e)
			if h.Access() != vm.ReadWrite {
				t.Fatalf("uid %d got %v access, want read-write", os.Getuid(), h.Access())
			}
			return vmtest.Answering(h)
		},
		RealStats: true,
		Timeout:   60 * time.Second,
	})
}

// TestContractAsOperator runs the contract as the operator: no root, no
// sudo, read-only libvirt; every change through the hv daemon, granted by
// hv's polkit rule for the operators group.
func TestContractAsOperator(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to switch to the operator")
	out, err := runAs(t, e.operator, "^TestContract$", nil)
	t.Logf("as %s:\n%s", e.operator, out)
	if err != nil {
		t.Fatalf("the contract failed as the operator %s: %v", e.operator, err)
	}
}

// TestOutsiderGetsReadOnly: a user outside the operators group may look but
// not touch, and every refusal says permission denied.
func TestOutsiderGetsReadOnly(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to switch to the outsider")
	root := open(t, e.uri)
	defer root.Close()
	ctx := context.Background()
	name := fmt.Sprintf("hvtest-ro-%08x", rand.Uint32())
	if _, err := root.Define(ctx, vm.Spec{Name: name, VCPUs: 1, MemoryMiB: 64}); err != nil {
		t.Fatal(err)
	}
	defer root.Undefine(ctx, name)
	out, err := runAs(t, e.outsider, "^TestReadOnlyRefusals$", []string{"HV_REAL_RO_VM=" + name})
	t.Logf("as %s:\n%s", e.outsider, out)
	if err != nil {
		t.Fatalf("read-only checks failed as the outsider %s: %v", e.outsider, err)
	}
}

// TestReadOnlyRefusals is run by TestOutsiderGetsReadOnly as the outsider.
func TestReadOnlyRefusals(t *testing.T) {
	e := realEnv(t)
	name := os.Getenv("HV_REAL_RO_VM")
	if name == "" {
		t.Skip("run by TestOutsiderGetsReadOnly as the outsider")
	}
	b := connect(t, e)
	defer b.Close()
	if b.Access() != vm.ReadOnly {
		t.Fatalf("the outsider got %v access, want read-only", b.Access())
	}
	ctx := context.Background()
	if _, err := b.Lookup(ctx, name); err != nil {
		t.Fatalf("read-only access should still see VMs: %v", err)
	}
	refused := map[string]error{
		"start":    b.Start(ctx, name),
		"undefine": b.Undefine(ctx, name),
		"define":   second(b.Define(ctx, vm.Spec{Name: name + "-x", VCPUs: 1, MemoryMiB: 64})),
	}
	for op, err := range refused {
		if !errors.Is(err, vm.ErrDenied) {
			t.Errorf("%s as the outsider: got %v, want permission denied", op, err)
		} else if vm.Fix(err) == "" {
			t.Errorf("%s: the refusal names no fix", op)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// runAs re-runs this test binary as another user with -test.run pattern.
func runAs(t *testing.T, username, pattern string, extraEnv []string) (string, error) {
	t.Helper()
	cred := credential(t, username)
	u, _ := user.Lookup(username)
	// The test binary sits in a private build directory: copy it where the
	// user can run it.
	dir := sharedDir(t, "hv-real-", 0o755)
	bin := filepath.Join(dir, "real.test")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run", pattern, "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append([]string{
		"HOME=" + u.HomeDir, "USER=" + username, "LOGNAME=" + username, "PATH=/usr/bin:/bin",
		"HV_REAL_URI=" + os.Getenv("HV_REAL_URI"), "HV_REAL_SOCKET=" + os.Getenv("HV_REAL_SOCKET"),
		"HV_REAL_HOST_FILE=" + os.Getenv("HV_REAL_HOST_FILE"), "HV_REQUIRE_ALL=1",
	}, extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
