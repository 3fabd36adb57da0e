package real

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/fleet"
	"github.com/hyper-nixos/hv/vm/remote"
)

// benchSocket is where the benchmarks' daemon listens on each host, beside
// the host's own (/run/hv/hv.sock).
const benchSocket = "/run/hv/bench.sock"

// benchDaemons starts, on each host of tests/real/hosts.sh, a second hv
// daemon over a libvirt test-driver host of n VMs (tests/bench/genhost.sh,
// each host its own UUIDs), and stops them when b ends. It returns the
// daemons' sockets as this (the machine's) namespace reaches them.
func benchDaemons(b *testing.B, e mhEnv, n int) map[string]string {
	b.Helper()
	dir := filepath.Join(e.root, "bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	sockets := map[string]string{}
	for i, h := range e.hosts {
		node := filepath.Join(dir, h.Name+".xml")
		if out, err := exec.Command("bash", "../bench/genhost.sh", fmt.Sprint(n), node, fmt.Sprintf("%08x", i+1)).CombinedOutput(); err != nil {
			b.Fatalf("genhost.sh: %v\n%s", err, out)
		}
		cmd := exec.Command(e.script, "exec", h.Name, "env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin",
			"LIBVIRT_DEFAULT_URI=test://"+node, "HV_AUDIT_LOG="+filepath.Join(dir, h.Name+"-audit.log"),
			"HV_HOST_FILE="+filepath.Join(e.root, h.Name, "hv", "host.toml"), "/usr/local/bin/hv", "daemon", "--listen", benchSocket)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			cmd.Wait()
		})
		socket := filepath.Join(e.root, h.Name, "run", benchSocket[len("/run/"):])
		sockets[h.Name] = socket
		deadline := time.Now().Add(60 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := remote.Whoami(ctx, remote.Unix(socket))
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("the benchmark daemon on %s does not answer: %v", h.Name, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return sockets
}

// timed runs call b.N times and reports its median and 95th percentile.
func timed(b *testing.B, call func() error) {
	b.Helper()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := call(); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-p50")
	b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "ms-p95")
}

// BenchmarkHosts measures hv over several hosts: one list of two hosts
// of 1000 VMs each (libvirt's test driver behind each host's hv daemon),
// through the daemons' sockets and over SSH as the TUI reaches them; and
// what SSH adds to an action (pause then resume a VM) on a connection kept
// open, as the TUI and the CLI keep theirs, and what a new connection costs
// (one call on a connection of its own: over SSH, a new ssh each time).
//
//	eval "$(tests/real/hosts.sh env)"; go test ./tests/real -run '^$' -bench Hosts -benchtime 20x
func BenchmarkHosts(b *testing.B) {
	e := multiHostEnv(b)
	need.Root(b, "to start a daemon on each host")
	sockets := benchDaemons(b, e, 1000)
	ctx := context.Background()
	a := e.hosts[0]
	// dial-stdio reaches the benchmarks' daemon: the hosts' sshd accepts
	// HV_SOCKET from the client.
	b.Setenv(remote.SSHEnv, e.ssh+" -o SetEnv=HV_SOCKET="+benchSocket)

	over := func(via string) []fleet.Member {
		var members []fleet.Member
		for _, h := range e.hosts {
			dial, where := remote.Unix(sockets[h.Name]), sockets[h.Name]
			if via == "ssh" {
				dial, where, _ = fleet.Dialer(h.Address)
			}
			members = append(members, fleet.Member{Name: h.Name, Where: where, Open: func(ctx context.Context) (vm.Hypervisor, error) {
				return remote.Open(ctx, dial, where)
			}})
		}
		return members
	}
	for _, via := range []string{"socket", "ssh"} {
		b.Run("list-2x1000/"+via, func(b *testing.B) {
			f, err := fleet.Open(ctx, over(via), fleet.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			defer func(d time.Duration) { fleet.Budget = d }(fleet.Budget)
			fleet.Budget = 30 * time.Second // a figure, not a slow host
			timed(b, func() error {
				vms, err := f.List(ctx)
				if err == nil && len(vms) != 2000 {
					return fmt.Errorf("listed %d VMs", len(vms))
				}
				return err
			})
		})
	}

	// One action, pause then resume a running VM of host a.
	action := func(h vm.Hypervisor) func() error {
		return func() error {
			if err := h.Pause(ctx, "vm-0000"); err != nil {
				return err
			}
			return h.Resume(ctx, "vm-0000")
		}
	}
	open := func(dial remote.Dialer) *remote.Client {
		c, err := remote.Open(ctx, dial, "bench")
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	sshDial, _, _ := fleet.Dialer(a.Address)
	b.Run("pause+resume/socket", func(b *testing.B) {
		c := open(remote.Unix(sockets[a.Name]))
		defer c.Close()
		timed(b, action(c))
	})
	b.Run("pause+resume/ssh", func(b *testing.B) {
		c := open(sshDial)
		defer c.Close()
		timed(b, action(c))
	})
	// A new connection each time: a new ssh, its handshake, a new dial-stdio.
	for _, c := range []struct {
		name string
		dial remote.Dialer
	}{{"socket", remote.Unix(sockets[a.Name])}, {"ssh", sshDial}} {
		b.Run("whoami-new-connection/"+c.name, func(b *testing.B) {
			timed(b, func() error { _, err := remote.Whoami(ctx, c.dial); return err })
		})
	}
}
