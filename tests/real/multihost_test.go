package real

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/fleet"
	"github.com/hyper-nixos/hv/vm/remote"
)

// mhEnv is the two hosts of tests/real/hosts.sh: each a libvirtd and an hv
// daemon of its own, reached over SSH as its own operator.
type mhEnv struct {
	hosts  []fleet.Entry // a=ssh://hvmha@127.0.0.1:2201, b=ssh://hvmhb@127.0.0.1:2202
	ssh    string        // the ssh command with the tests' keys and known hosts
	root   string        // /var/lib/hv-mh
	script string
	pool   string
}

func multiHostEnv(t testing.TB) mhEnv {
	t.Helper()
	e := mhEnv{ssh: os.Getenv("HV_MH_SSH"), root: os.Getenv("HV_MH_ROOT"), script: os.Getenv("HV_MH_SCRIPT"), pool: os.Getenv("HV_MH_POOL")}
	hosts, err := fleet.ParseEntries(strings.Fields(os.Getenv("HV_MH_HOSTS")))
	if err != nil || len(hosts) != 2 || e.ssh == "" {
		need.Missing(t, "no second and third host (HV_MH_HOSTS): ./tests/run brings them up with tests/real/hosts.sh")
	}
	e.hosts = hosts
	t.Setenv(remote.SSHEnv, e.ssh)
	need.Lock(t, filepath.Join(e.root, "tests.lock")) // tests/e2e takes a host away
	return e
}

// openHosts is hv over both hosts, as the TUI opens it.
func openHosts(t *testing.T, e mhEnv) *fleet.Fleet {
	t.Helper()
	var members []fleet.Member
	for _, h := range e.hosts {
		dial, where, err := fleet.Dialer(h.Address)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, fleet.Member{Name: h.Name, Where: where, Open: func(ctx context.Context) (vm.Hypervisor, error) {
			return remote.Open(ctx, dial, where)
		}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f, err := fleet.Open(ctx, members, fleet.Options{})
	if err != nil {
		t.Fatalf("opening both hosts over SSH: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	for _, h := range f.Hosts() {
		if h.State != vm.HostUp {
			t.Fatalf("host %s is %s: %s", h.Name, h.State, h.Err)
		}
	}
	return f
}

// yes is the operator's answer to what the phase asks, as --yes gives it.
func yes(ctx context.Context) context.Context {
	return vm.WithConfirmation(ctx, vm.Confirmation{How: "--yes"})
}

// guestOn defines a tiny guest on host, with a disk of its own in the
// host's pool and the guest's ISO; it is removed, with its disk, from
// wherever it ends up.
func guestOn(t *testing.T, f *fleet.Fleet, e mhEnv, host, name string) vm.VM {
	t.Helper()
	ctx, cancel := context.WithTimeout(yes(context.Background()), time.Minute)
	defer cancel()
	h, ok := f.Member(host)
	if !ok {
		t.Fatalf("no host %s", host)
	}
	disk, err := h.CreateVolume(ctx, e.pool, vm.VolumeSpec{Name: name + ".qcow2", CapacityBytes: 64 << 20, Format: "qcow2"})
	if err != nil {
		t.Fatalf("a disk on %s: %v", host, err)
	}
	v, err := h.Define(ctx, vm.Spec{Name: name, VCPUs: 1, MemoryMiB: 128,
		Disks: []vm.DiskSpec{{Volume: vm.VolumeRef{Pool: e.pool, Name: disk.Name}}}, ISO: vm.VolumeRef{Pool: e.pool, Name: "tiny-guest.iso"}})
	if err != nil {
		t.Fatalf("defining %s on %s: %v", name, host, err)
	}
	t.Cleanup(func() {
		ctx := vm.WithConfirmation(context.Background(), vm.Confirmation{How: "--yes", Name: name})
		for _, other := range e.hosts {
			if h, ok := f.Member(other.Name); ok {
				h.Destroy(ctx, v.UUID)
				h.DeleteWithStorage(ctx, v.UUID)
				h.DeleteVolume(ctx, e.pool, disk.Name) // a copy left by a failed move
			}
		}
	})
	v.Host = host
	return v
}

// where says which hosts list a VM called name, and in what state.
func where(t *testing.T, f *fleet.Fleet, name string) map[string]vm.State {
	t.Helper()
	vms, err := f.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]vm.State{}
	for _, v := range vms {
		if v.Name == name {
			out[v.Host] = v.State
		}
	}
	return out
}

// TestTwoHostsMoveARunningVMAndBackOffline is the walk: both hosts
// listed in one hv, a VM started on each, a running VM moved with its disk
// while it keeps running (its console still answers there), then moved back
// shut off; every step in both hosts' trails.
func TestTwoHostsMoveARunningVMAndBackOffline(t *testing.T) {
	e := multiHostEnv(t)
	guestISO(t)
	f := openHosts(t, e)
	a, b := e.hosts[0].Name, e.hosts[1].Name
	ctx, cancel := context.WithTimeout(yes(context.Background()), 5*time.Minute)
	defer cancel()
	tag := fmt.Sprintf("%06x", rand.Uint32()>>8)
	mover, stay := "hvmh-move-"+tag, "hvmh-stay-"+tag
	v := guestOn(t, f, e, a, mover)
	w := guestOn(t, f, e, b, stay)

	// Both hosts in one list, each VM with its host.
	if got := where(t, f, mover); len(got) != 1 || got[a] != vm.StateShutOff {
		t.Fatalf("%s is on %v, want only %s", mover, got, a)
	}
	if got := where(t, f, stay); len(got) != 1 || got[b] != vm.StateShutOff {
		t.Fatalf("%s is on %v, want only %s", stay, got, b)
	}
	// A VM started on each, by name: the call reaches its host.
	for _, x := range []vm.VM{v, w} {
		if err := f.Start(ctx, x.Name); err != nil {
			t.Fatalf("starting %s on %s: %v", x.Name, x.Host, err)
		}
	}
	s := guestConsole(t, ctx, f, a+"/"+v.Name)
	s.waitFor(t, "HV-TINY-GUEST READY", 2*time.Minute)
	s.con.Write([]byte("echo before-$((6*7))\r"))
	s.waitFor(t, "before-42", 30*time.Second)
	s.con.Close()

	// Live, with its disk.
	var stages []string
	start := time.Now()
	err := f.Migrate(ctx, v.Name, b, func(p vm.MigrationProgress) {
		if !slices.Contains(stages, p.Stage) {
			stages = append(stages, p.Stage)
		}
	})
	if err != nil {
		t.Fatalf("moving %s from %s to %s live: %v", v.Name, a, b, err)
	}
	t.Logf("live move in %s, stages %v", time.Since(start).Round(time.Millisecond), stages)
	if !slices.Contains(stages, "memory") {
		t.Errorf("no memory stage reported: %v", stages)
	}
	if got := where(t, f, mover); len(got) != 1 || got[b] != vm.StateRunning {
		t.Fatalf("after the live move %s is on %v, want running on %s only", mover, got, b)
	}
	hb, _ := f.Member(b)
	if d, err := hb.Details(ctx, v.UUID); err != nil || len(d.Disks) == 0 {
		t.Fatalf("%s on %s: %+v %v", mover, b, d, err)
	}
	if _, err := hb.VolumeByPath(ctx, diskPath(t, ctx, hb, v.UUID)); err != nil {
		t.Errorf("its disk is not a volume of %s's pool: %v", b, err)
	}
	ha, _ := f.Member(a)
	if vols, _ := ha.Volumes(ctx, e.pool); slices.ContainsFunc(vols, func(x vm.Volume) bool { return x.Name == mover+".qcow2" }) {
		t.Errorf("%s still has the moved VM's disk", a)
	}
	// It kept running: the same shell answers, on the other host.
	s = guestConsole(t, ctx, f, b+"/"+v.Name)
	s.con.Write([]byte("echo after-$((6*7))\r"))
	s.waitFor(t, "after-42", 30*time.Second)
	s.con.Close()

	// Back, shut off: its disk, then its definition.
	if err := f.Destroy(ctx, b+"/"+v.Name); err != nil {
		t.Fatal(err)
	}
	if err := f.Migrate(ctx, b+"/"+v.Name, a, nil); err != nil {
		t.Fatalf("moving %s back to %s offline: %v", v.Name, a, err)
	}
	if got := where(t, f, mover); len(got) != 1 || got[a] != vm.StateShutOff {
		t.Fatalf("after the offline move %s is on %v, want shut off on %s only", mover, got, a)
	}
	if vols, _ := ha.Volumes(ctx, e.pool); !slices.ContainsFunc(vols, func(x vm.Volume) bool { return x.Name == mover+".qcow2" && x.AllocationBytes > 0 }) {
		t.Errorf("its disk did not come back to %s: %+v", a, vols)
	}
	if vols, _ := hb.Volumes(ctx, e.pool); slices.ContainsFunc(vols, func(x vm.Volume) bool { return x.Name == mover+".qcow2" }) {
		t.Errorf("%s kept the moved VM's disk", b)
	}
	// It boots from the disk and media it moved with.
	if err := f.Start(ctx, v.Name); err != nil {
		t.Fatalf("starting %s after its move back: %v", v.Name, err)
	}

	// Every step, on both hosts, by the operator each host knows (and the
	// daemons, as root, for their part).
	named := map[string]string{} // the hosts' own names, as their daemons say them
	for _, h := range f.Hosts() {
		named[h.Name] = h.Hostname
	}
	ah, bh := named[a], named[b]
	for _, tc := range []struct {
		host string
		want []string
	}{
		{a, []string{"vm.migrate " + mover + " to " + bh + " started", "vm.migrate " + mover + " to " + bh + " ok",
			"vm.migrate.accept " + mover + " from " + bh + " ok", "vm.migrate.in " + mover + " from " + bh + " started", "vm.migrate.in " + mover + " from " + bh + " ok"}},
		{b, []string{"vm.migrate.accept " + mover + " from " + ah + " ok", "vm.migrate.in " + mover + " from " + ah + " started",
			"vm.migrate.in " + mover + " from " + ah + " ok", "vm.migrate " + mover + " to " + ah + " ok"}},
	} {
		trail := trailOf(t, ctx, f, tc.host)
		for _, want := range tc.want {
			if !slices.ContainsFunc(trail, func(l string) bool { return strings.HasPrefix(l, want) }) {
				t.Errorf("%s's trail lacks %q:\n%s", tc.host, want, strings.Join(trail, "\n"))
			}
		}
	}
}

// guestConsole opens the serial console of ref over SSH.
func guestConsole(t *testing.T, ctx context.Context, f *fleet.Fleet, ref string) *screen {
	t.Helper()
	con, err := f.OpenConsole(ctx, ref)
	if err != nil {
		t.Fatalf("console of %s: %v", ref, err)
	}
	return &screen{con: con}
}

func diskPath(t *testing.T, ctx context.Context, h vm.Hypervisor, ref string) string {
	t.Helper()
	d, err := h.Details(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, disk := range d.Disks {
		if disk.Device == "disk" {
			return disk.Source
		}
	}
	t.Fatalf("%s has no disk", ref)
	return ""
}

// trailOf is host's audit trail as the operator reads it there: one line
// per entry, "action target result (user)".
func trailOf(t *testing.T, ctx context.Context, f *fleet.Fleet, host string) []string {
	t.Helper()
	h, _ := f.Member(host)
	c, ok := h.(*remote.Client)
	if !ok {
		t.Fatalf("%s is not a daemon's client", host)
	}
	entries, err := c.Audit(ctx, time.Time{})
	if err != nil {
		t.Fatalf("%s's trail: %v", host, err)
	}
	var out []string
	for _, en := range entries {
		out = append(out, en.Action+" "+en.Target+" "+en.Result+" ("+en.User+")")
	}
	if v, err := c.VerifyAudit(ctx); err != nil || v.Problem != nil {
		t.Errorf("%s's trail does not verify: %+v %v", host, v.Problem, err)
	}
	return out
}

// TestAMoveIsRefusedWithTheReason: the destination checks what the VM
// needs before anything moves, and says what is missing.
func TestAMoveIsRefusedWithTheReason(t *testing.T) {
	e := multiHostEnv(t)
	guestISO(t)
	f := openHosts(t, e)
	a, b := e.hosts[0].Name, e.hosts[1].Name
	ctx, cancel := context.WithTimeout(yes(context.Background()), 2*time.Minute)
	defer cancel()
	tag := fmt.Sprintf("%06x", rand.Uint32()>>8)

	// A VM of the same name there already.
	name := "hvmh-twice-" + tag
	guestOn(t, f, e, a, name)
	guestOn(t, f, e, b, name)
	err := f.Migrate(ctx, a+"/"+name, b, nil)
	var re *vm.Refusal
	if !errors.As(err, &re) || !strings.Contains(re.Rule, "has a VM "+name+" (") {
		t.Errorf("moving onto a VM of the same name: %v", err)
	}

	// A medium the destination does not have (removed after the VM).
	name = "hvmh-media-" + tag
	ha, _ := f.Member(a)
	iso := name + ".iso"
	if _, err := ha.CreateVolume(ctx, e.pool, vm.VolumeSpec{Name: iso, CapacityBytes: 1 << 20, Format: "raw"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ha.DeleteVolume(vm.WithConfirmation(context.Background(), vm.Confirmation{How: "--yes", Name: iso}), e.pool, iso)
	})
	v := guestOn(t, f, e, a, name)
	if _, err := ha.AttachDisk(ctx, v.UUID, vm.DiskSpec{Volume: vm.VolumeRef{Pool: e.pool, Name: iso}, Device: "cdrom"}); err != nil {
		t.Fatalf("attaching %s: %v", iso, err)
	}
	err = f.Migrate(ctx, a+"/"+name, b, nil)
	if !errors.As(err, &re) || !strings.Contains(re.Rule, "its medium") || !strings.Contains(re.Rule, iso) {
		t.Errorf("moving without its medium there: %v", err)
	}
	if got := where(t, f, name); len(got) != 1 || got[a] != vm.StateShutOff {
		t.Errorf("a refused move changed where %s is: %v", name, got)
	}
	// A VM root made by hand, sharing a host directory: an operator could
	// not have defined it, so an operator does not move it either.
	name = "hvmh-byhand-" + tag
	xml := "<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os>" +
		"<devices><filesystem type='mount'><source dir='/tmp'/><target dir='share'/></filesystem></devices></domain>"
	def := exec.Command(e.script, "exec", a, "virsh", "-q", "-c", "qemu:///system", "define", "/dev/stdin")
	def.Stdin = strings.NewReader(xml)
	if out, err := def.CombinedOutput(); err != nil {
		t.Fatalf("defining %s by hand: %v\n%s", name, err, out)
	}
	t.Cleanup(func() {
		exec.Command(e.script, "exec", a, "virsh", "-q", "-c", "qemu:///system", "undefine", name).Run()
	})
	err = f.Migrate(ctx, a+"/"+name, b, nil)
	if !errors.As(err, &re) || !strings.Contains(re.Rule, "<filesystem>") || !strings.Contains(re.Remedy, "root") {
		t.Errorf("an operator moving a VM made by hand: %v", err)
	}

	// Both refusals are in the destination's trail.
	refused := 0
	for _, l := range trailOf(t, ctx, f, b) {
		if strings.HasPrefix(l, "vm.migrate.accept hvmh-") && strings.Contains(l, tag) && strings.Contains(l, audit.Refused) {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("%s's trail has %d refused acceptances of this test, want 2", b, refused)
	}
}

// TestCLIOverSeveralHosts: the hosts the operator listed, from the command
// line: 'hv hosts', 'hv vm list --all-hosts --json', --host by name, and a
// move with 'hv vm migrate'.
func TestCLIOverSeveralHosts(t *testing.T) {
	e := multiHostEnv(t)
	need.Root(t, "to use the tests' SSH keys")
	bin := buildHV(t)
	f := openHosts(t, e)
	a, b := e.hosts[0].Name, e.hosts[1].Name
	name := fmt.Sprintf("hvmh-cli-%06x", rand.Uint32()>>8)
	ha, _ := f.Member(a)
	ctx := vm.WithConfirmation(context.Background(), vm.Confirmation{How: "--yes", Name: name})
	v, err := ha.Define(ctx, vm.Spec{Name: name, VCPUs: 1, MemoryMiB: 64})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, h := range e.hosts {
			if m, ok := f.Member(h.Name); ok {
				m.Undefine(ctx, v.UUID)
			}
		}
	})
	config := sharedDir(t, "hv-config-", 0o755)
	os.MkdirAll(config+"/hv", 0o755)
	list := fmt.Sprintf("hosts = [%q, %q]\n", a+"="+e.hosts[0].Address, b+"="+e.hosts[1].Address)
	if err := os.WriteFile(config+"/hv/hosts.toml", []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"XDG_CONFIG_HOME=" + config, remote.SSHEnv + "=" + e.ssh, "LIBVIRT_DEFAULT_URI=test:///default", "PATH=/usr/bin:/bin"}

	var hosts []vm.HostStatus
	if err := json.Unmarshal([]byte(runHVAs(t, bin, "root", env, "hosts", "--json")), &hosts); err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 3 || hosts[1].Name != a || hosts[1].State != vm.HostUp || hosts[1].Phase != "setup" || hosts[2].Hostname == "" {
		t.Errorf("hv hosts: %+v", hosts)
	}
	var vms []struct{ Name, Host string }
	if err := json.Unmarshal([]byte(runHVAs(t, bin, "root", env, "vm", "list", "--all-hosts", "--json")), &vms); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(vms, struct{ Name, Host string }{name, a}) || !slices.ContainsFunc(vms, func(x struct{ Name, Host string }) bool { return x.Name == "test" }) {
		t.Errorf("vm list --all-hosts: %+v", vms)
	}
	out := runHVAs(t, bin, "root", env, "--host", a, "vm", "list")
	if !strings.Contains(out, name) || strings.Contains(out, "HOST") {
		t.Errorf("--host %s vm list:\n%s", a, out)
	}
	if _, errOut, code := runHV(t, bin, "root", env, "--host", "nowhere", "vm", "list"); code != 2 || !strings.Contains(errOut, `no host is called "nowhere"`) {
		t.Errorf("--host nowhere: exit %d, %s", code, errOut)
	}
	// A shut-off VM, moved from the command line; a script must say --yes.
	if _, errOut, code := runHV(t, bin, "root", env, "--host", a, "vm", "migrate", name, b); code != 2 || !strings.Contains(errOut, "add --yes") {
		t.Errorf("migrate without --yes: exit %d, %s", code, errOut)
	}
	stdout, errOut, code := runHV(t, bin, "root", env, "--host", a, "vm", "migrate", name, b, "--yes")
	if code != 0 || !strings.Contains(stdout, name+" moved to") || !strings.Contains(errOut, "hv: definition") {
		t.Errorf("migrate: exit %d\n%s%s", code, stdout, errOut)
	}
	if got := where(t, f, name); len(got) != 1 || got[b] != vm.StateShutOff {
		t.Errorf("after hv vm migrate, %s is on %v", name, got)
	}
}

// TestCancellingAMoveLeavesTheVMWhereItWas: closing the connection while
// a shut-off VM's disk is copied stops the move; the VM and its disk stay
// where they were, the destination keeps nothing, and both trails say so.
func TestCancellingAMoveLeavesTheVMWhereItWas(t *testing.T) {
	e := multiHostEnv(t)
	need.Root(t, "to fill the disk so that its copy takes a while")
	f := openHosts(t, e)
	a, b := e.hosts[0].Name, e.hosts[1].Name
	name := fmt.Sprintf("hvmh-cancel-%06x", rand.Uint32()>>8)
	ha, _ := f.Member(a)
	hb, _ := f.Member(b)
	ctx := vm.WithConfirmation(context.Background(), vm.Confirmation{How: "--yes", Name: name})
	disk, err := ha.CreateVolume(ctx, e.pool, vm.VolumeSpec{Name: name + ".img", CapacityBytes: 512 << 20, Format: "raw"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := ha.Define(ctx, vm.Spec{Name: name, VCPUs: 1, MemoryMiB: 64, Disks: []vm.DiskSpec{{Volume: disk.Ref()}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ha.DeleteWithStorage(ctx, v.UUID)
		hb.DeleteVolume(vm.WithConfirmation(context.Background(), vm.Confirmation{How: "--yes", Name: disk.Name}), e.pool, disk.Name)
	})
	// 512 MiB of data the copy must send, written where host a keeps it.
	file := filepath.Join(e.root, a, "pool", disk.Name)
	if out, err := exec.Command("dd", "if=/dev/urandom", "of="+file, "bs=1M", "count=512", "conv=notrunc", "status=none").CombinedOutput(); err != nil {
		t.Fatalf("filling %s: %v\n%s", file, err, out)
	}
	mctx, cancel := context.WithCancel(yes(context.Background()))
	var copied uint64
	err = f.Migrate(mctx, a+"/"+name, b, func(p vm.MigrationProgress) {
		if p.Stage == "disks" && p.Done > 0 {
			copied = p.Done
			cancel() // the operator's esc: the connection closes
		}
	})
	cancel()
	if err == nil || copied == 0 {
		t.Fatalf("the move was not cancelled while copying (copied %d): %v", copied, err)
	}
	t.Logf("cancelled after %s: %v", vm.FormatBytes(float64(copied)), err)
	// The daemon notices the closed connection and undoes what it made.
	deadline := time.Now().Add(30 * time.Second)
	for {
		vols, _ := hb.Volumes(context.Background(), e.pool)
		left := slices.ContainsFunc(vols, func(x vm.Volume) bool { return x.Name == disk.Name })
		if !left {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s keeps the copy of %s after the cancel", b, disk.Name)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := where(t, f, name); len(got) != 1 || got[a] != vm.StateShutOff {
		t.Errorf("after the cancel %s is on %v, want shut off on %s", name, got, a)
	}
	if vols, _ := ha.Volumes(context.Background(), e.pool); !slices.ContainsFunc(vols, func(x vm.Volume) bool { return x.Name == disk.Name }) {
		t.Errorf("%s lost its disk", a)
	}
	for _, tc := range []struct{ host, want string }{{a, "vm.migrate " + name + " to "}, {b, "vm.migrate.in " + name + " from "}} {
		deadline := time.Now().Add(30 * time.Second)
		for !slices.ContainsFunc(trailOf(t, context.Background(), f, tc.host), func(l string) bool {
			return strings.HasPrefix(l, tc.want) && strings.Contains(l, " failed ")
		}) {
			if time.Now().After(deadline) {
				t.Errorf("%s's trail does not say the move failed (%q)", tc.host, tc.want)
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}
