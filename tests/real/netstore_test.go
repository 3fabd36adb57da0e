package real

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/vm"
)

// TestOutsiderCannotChangeNetworksOrStorage: root prepares a pool with a
// volume and a network; the outsider sees them but every change is
// refused, by the backend and by the hv command, with the fix.
func TestOutsiderCannotChangeNetworksOrStorage(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to switch to the outsider")
	root := open(t, e.uri)
	defer root.Close()
	ctx := context.Background()
	id := fmt.Sprintf("%08x", rand.Uint32())
	pool, network := "hvtest-ro-pool-"+id, "hvtest-ro-net-"+id
	if _, err := root.DefinePool(ctx, vm.PoolSpec{Name: pool, Path: "/var/lib/hv-test/pools/" + pool}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		root.DeleteVolume(ctx, pool, "disk.qcow2")
		root.StopPool(ctx, pool)
		root.UndefinePool(ctx, pool)
		os.RemoveAll("/var/lib/hv-test/pools/" + pool)
	}()
	if _, err := root.CreateVolume(ctx, pool, vm.VolumeSpec{Name: "disk.qcow2", CapacityBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DefineNetwork(ctx, vm.NetworkSpec{Name: network, Mode: "isolated"}); err != nil {
		t.Fatal(err)
	}
	defer root.UndefineNetwork(ctx, network)

	bin := buildHV(t)
	out, err := runAs(t, e.outsider, "^TestReadOnlyNetworkAndStorageRefusals$",
		[]string{"HV_REAL_RO_POOL=" + pool, "HV_REAL_RO_NET=" + network, "HV_REAL_HV=" + bin})
	t.Logf("as %s:\n%s", e.outsider, out)
	if err != nil {
		t.Fatalf("read-only checks failed as the outsider %s: %v", e.outsider, err)
	}
}

// TestReadOnlyNetworkAndStorageRefusals is run by the test above as the outsider.
func TestReadOnlyNetworkAndStorageRefusals(t *testing.T) {
	e := realEnv(t)
	pool, network, bin := os.Getenv("HV_REAL_RO_POOL"), os.Getenv("HV_REAL_RO_NET"), os.Getenv("HV_REAL_HV")
	if pool == "" {
		t.Skip("run by TestOutsiderCannotChangeNetworksOrStorage as the outsider")
	}
	b := connect(t, e)
	defer b.Close()
	ctx := context.Background()
	if vols, err := b.Volumes(ctx, pool); err != nil || len(vols) != 1 {
		t.Fatalf("read-only access should list the volumes: %v, %v", vols, err)
	}
	if _, err := b.Network(ctx, network); err != nil {
		t.Fatalf("read-only access should see the network: %v", err)
	}
	refused := map[string]error{
		"StartNetwork":     b.StartNetwork(ctx, network),
		"SetAutostart":     b.SetNetworkAutostart(ctx, network, true),
		"UndefineNetwork":  b.UndefineNetwork(ctx, network),
		"DefineNetwork":    second(b.DefineNetwork(ctx, vm.NetworkSpec{Name: network + "-x", Mode: "isolated"})),
		"CreateVolume":     second(b.CreateVolume(ctx, pool, vm.VolumeSpec{Name: "x.qcow2", CapacityBytes: 1 << 20})),
		"CopyVolume":       second(b.CopyVolume(ctx, pool, "disk.qcow2", "y.qcow2", nil)),
		"DeleteVolume":     b.DeleteVolume(ctx, pool, "disk.qcow2"),
		"StopPool":         b.StopPool(ctx, pool),
		"SetPoolAutostart": b.SetPoolAutostart(ctx, pool, true),
		"DefinePool":       second(b.DefinePool(ctx, vm.PoolSpec{Name: pool + "-x", Path: "/var/lib/hv-test/pools/" + pool + "-x"})),
	}
	for op, err := range refused {
		if !errors.Is(err, vm.ErrDenied) || vm.Fix(err) == "" {
			t.Errorf("%s as the outsider: got %v (fix %q), want permission denied with a fix", op, err, vm.Fix(err))
		}
	}

	hv := func(args ...string) (stdout, stderr string, code int) {
		return runHV(t, bin, "", nil, append(args, "--connect", e.uri)...)
	}
	if out, errOut, code := hv("pool", "volumes", pool); code != 0 || !strings.Contains(out, "disk.qcow2") {
		t.Errorf("hv pool volumes as the outsider: exit %d\n%s%s", code, out, errOut)
	}
	for _, args := range [][]string{
		{"pool", "vol-create", pool, "x.qcow2", "--size", "1M"},
		{"pool", "vol-delete", pool, "disk.qcow2", "--yes"},
		{"net", "start", network},
	} {
		_, errOut, code := hv(args...)
		if code != 1 || !strings.Contains(errOut, "permission denied") || !strings.Contains(errOut, "fix: ask an administrator") {
			t.Errorf("hv %v as the outsider: exit %d, stderr %q; want 1, permission denied and the fix", args, code, errOut)
		}
	}
}

// TestCLIPoolAndNetworkAsOperator drives hv as the operator against the
// real daemon: a pool with volumes created, copied and deleted, a network
// defined, started, stopped and removed, and the confirmations a script
// must give with --yes.
func TestCLIPoolAndNetworkAsOperator(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to switch to the operator")
	bin := buildHV(t)
	id := fmt.Sprintf("%08x", rand.Uint32())
	pool, network := "hvtest-cli-pool-"+id, "hvtest-cli-net-"+id
	root := open(t, e.uri)
	defer root.Close()
	defer func() { // whatever a failure left behind
		ctx := context.Background()
		for _, v := range []string{"a.qcow2", "b.qcow2"} {
			root.DeleteVolume(ctx, pool, v)
		}
		root.StopPool(ctx, pool)
		root.DeletePool(ctx, pool)
		root.StopNetwork(ctx, network)
		root.UndefineNetwork(ctx, network)
	}()

	state := sharedDir(t, "hv-state-", 0o777) // the operator's audit trail and logs
	hv := func(wantCode int, want string, args ...string) {
		t.Helper()
		out, errOut, code := runHV(t, bin, e.operator, []string{"HOME=" + state, "XDG_STATE_HOME=" + state}, args...) // through the hv daemon
		if code != wantCode || !strings.Contains(out+errOut, want) {
			t.Fatalf("hv %v as %s: exit %d, stdout %q, stderr %q; want exit %d and %q",
				args, e.operator, code, out, errOut, wantCode, want)
		}
	}
	hv(0, "defined and started pool "+pool, "pool", "define", pool, "--path", "/var/lib/hv-test/pools/"+pool)
	hv(0, "created a.qcow2 (qcow2, 16M)", "pool", "vol-create", pool, "a.qcow2", "--size", "16M")
	hv(1, "already has a volume a.qcow2", "pool", "vol-create", pool, "a.qcow2", "--size", "16M")
	hv(0, "copied a.qcow2 to b.qcow2", "pool", "vol-copy", pool, "a.qcow2", "b.qcow2")
	hv(0, `"name": "b.qcow2"`, "pool", "volumes", pool, "--json")
	hv(2, "add --yes", "pool", "vol-delete", pool, "a.qcow2")
	hv(0, "deleted volume a.qcow2", "pool", "vol-delete", pool, "a.qcow2", "--yes")
	hv(0, "deleted volume b.qcow2", "pool", "vol-delete", pool, "b.qcow2", "--yes")
	hv(0, "stopped pool "+pool, "pool", "stop", pool)
	hv(0, "deleted the directory of pool and undefined "+pool, "pool", "undefine", pool, "--yes", "--delete-dir")

	hv(0, "defined network "+network+", started", "net", "define", network, "--mode", "isolated", "--start")
	hv(1, "stop it first", "net", "undefine", network)
	hv(0, "stopped network "+network, "net", "stop", network)
	hv(2, "add --yes", "net", "undefine", network)
	hv(0, "undefined network "+network, "net", "undefine", network, "--yes")
	hv(1, "not found", "net", "show", network)
}

// TestNetDefineSaysWhatIsLeftWhenStartFails: 'hv net define --start' of a
// NAT network on a host without dnsmasq defines it and fails to start it;
// hv must say the network is left defined, why, and how to finish or undo.
func TestNetDefineSaysWhatIsLeftWhenStartFails(t *testing.T) {
	e := realEnv(t)
	if _, err := os.Stat("/usr/sbin/dnsmasq"); err == nil {
		t.Skip("dnsmasq is installed here: a NAT network with DHCP starts, so there is no failure to show")
	}
	bin := buildHV(t)
	network := fmt.Sprintf("hvtest-half-%08x", rand.Uint32())
	root := open(t, e.uri)
	defer root.Close()
	defer root.UndefineNetwork(context.Background(), network)
	subnet := fmt.Sprintf("10.%d.%d.0/24", 100+rand.IntN(100), rand.IntN(250))
	_, errOut, code := runHV(t, bin, "", nil, "net", "define", network, "--mode", "nat", "--subnet", subnet, "--start", "--connect", e.uri)
	for _, want := range []string{"defined network " + network + ", but it did not start", "dnsmasq", "then 'hv net start " + network + "'", "hv net undefine " + network} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, stderr %q: want exit 1 and %q", code, errOut, want)
		}
	}
	if _, err := root.Network(context.Background(), network); err != nil {
		t.Errorf("the network should be left defined, as hv said: %v", err)
	}
}

// TestPoolsOnOneFilesystemShareItsFreeSpace: two directory pools on one
// filesystem say so, and give as free what a writer other than root can
// use there, as the host checks do (libvirt counts root's reserve too).
func TestPoolsOnOneFilesystemShareItsFreeSpace(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to make pool directories")
	b := open(t, e.uri)
	defer b.Close()
	ctx := context.Background()
	id := fmt.Sprintf("%08x", rand.Uint32())
	var pools []vm.Pool
	for _, name := range []string{"hvtest-fs1-" + id, "hvtest-fs2-" + id} {
		dir := "/var/lib/hv-test/pools/" + name
		p, err := b.DefinePool(ctx, vm.PoolSpec{Name: name, Path: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			b.StopPool(ctx, name)
			b.UndefinePool(ctx, name)
			os.RemoveAll(dir)
		}()
		pools = append(pools, p)
	}
	if pools[0].Filesystem == "" || pools[0].Filesystem != pools[1].Filesystem {
		t.Errorf("pools on one filesystem should say so: %q and %q", pools[0].Filesystem, pools[1].Filesystem)
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(pools[0].Path, &fs); err != nil {
		t.Fatal(err)
	}
	free := fs.Bavail * uint64(fs.Frsize)
	if got := pools[0].AvailableBytes; got > free+64<<20 || got+64<<20 < free {
		t.Errorf("pool %s has %d bytes free; the filesystem has %d for writers other than root", pools[0].Name, got, free)
	}
}
