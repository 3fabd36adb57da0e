package real

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
			f, err := fleet.Open(ctx, over(via), fleet.Options{Budget: 30 * time.Second}) // a figure, not a slow host
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
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

// BenchmarkFanIn measures what each host costs the hv that spans them, at
// 10, 100 and 1000 hosts: hosts of 10 VMs, each reached through its own
// connections to one of two daemons (by socket: the client's side of the
// fan-in, not SSH's). Per size it reports the time to open every host, a
// list and a statistics reading of all, the time for an event of one
// daemon to reach hv from every host that shares it, and the memory,
// goroutines and connections per host.
//
//	eval "$(tests/real/hosts.sh env)"; go test ./tests/real -run '^$' -bench FanIn -benchtime 10x
func BenchmarkFanIn(b *testing.B) {
	e := multiHostEnv(b)
	need.Root(b, "to start a daemon on each host")
	sockets := benchDaemons(b, e, 10)
	ctx := context.Background()
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("hosts-%d", n), func(b *testing.B) {
			var members []fleet.Member
			for i := range n {
				socket := sockets[e.hosts[i%2].Name]
				members = append(members, fleet.Member{Name: fmt.Sprintf("h%04d", i), Where: socket, Open: func(ctx context.Context) (vm.Hypervisor, error) {
					return remote.Open(ctx, remote.Unix(socket), socket)
				}})
			}
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			goroutines, fds := runtime.NumGoroutine(), openFiles()
			start := time.Now()
			f, err := fleet.Open(ctx, members, fleet.Options{Wait: 5 * time.Minute, Budget: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			// Hosts that failed their first attempt (two daemons answering a
			// thousand clients at once) come up on a retry.
			for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
				up := 0
				for _, h := range f.Hosts() {
					if h.State == vm.HostUp {
						up++
					}
				}
				if up == n {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("%d of %d hosts up after 5 minutes", up, n)
				}
			}
			opened := time.Since(start)
			if _, err := f.List(ctx); err != nil { // each connection made once
				b.Fatal(err)
			}
			runtime.GC()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			perHost := map[string]float64{"ms-open": float64(opened.Milliseconds()),
				"heap-KiB/host":   float64(after.HeapInuse-before.HeapInuse) / 1024 / float64(n),
				"goroutines/host": float64(runtime.NumGoroutine()-goroutines) / float64(n),
				"conns/host":      float64(openFiles()-fds) / float64(n)}

			var lists, stats, events []time.Duration
			late := 0 // hosts that did not answer a list in time, over all lists
			for b.Loop() {
				t0 := time.Now()
				vms, err := f.List(ctx)
				for _, h := range f.Hosts() {
					if h.State != vm.HostUp {
						late++
					}
				}
				if err != nil || len(vms) != 10*n {
					why := map[string]int{}
					for _, h := range f.Hosts() {
						why[h.State.String()+": "+h.Err]++
					}
					b.Fatalf("listed %d VMs: %v; hosts: %v", len(vms), err, why)
				}
				t1 := time.Now()
				if _, err := f.Stats(ctx); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				// One change on the first daemon: every host behind it says so.
				if err := f.Pause(ctx, "h0000/vm-0000"); err != nil {
					b.Fatal(err)
				}
				waitEvents(b, f, n/2+n%2, vm.EventSuspended)
				t3 := time.Now()
				if err := f.Resume(ctx, "h0000/vm-0000"); err != nil {
					b.Fatal(err)
				}
				waitEvents(b, f, n/2+n%2, vm.EventResumed)
				lists, stats, events = append(lists, t1.Sub(t0)), append(stats, t2.Sub(t1)), append(events, t3.Sub(t2))
			}
			for _, m := range []struct {
				unit string
				d    []time.Duration
			}{{"ms-list", lists}, {"ms-stats", stats}, {"ms-event-all", events}} {
				slices.Sort(m.d)
				b.ReportMetric(float64(m.d[len(m.d)/2].Microseconds())/1000, m.unit)
			}
			perHost["late-hosts/list"] = float64(late) / float64(len(lists))
			for unit, v := range perHost { // after the loop, which resets what came before
				b.ReportMetric(v, unit)
			}
		})
	}
}

// waitEvents waits for n events of kind about vm-0000, from as many hosts.
func waitEvents(b *testing.B, f *fleet.Fleet, n int, kind vm.EventKind) {
	b.Helper()
	timeout := time.After(time.Minute)
	for seen := 0; seen < n; {
		select {
		case e := <-f.Events():
			if e.Kind == kind && e.Name == "vm-0000" {
				seen++
			}
		case <-timeout:
			b.Fatalf("%d of %d %s events", seen, n, kind)
		}
	}
}

// openFiles counts this process's open descriptors.
func openFiles() int {
	fds, _ := os.ReadDir("/proc/self/fd")
	return len(fds)
}
