package real

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/tests/need"
	"github.com/hyper-nixos/hv/ui/app"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/ui/vmaction"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/libvirt"
	"github.com/hyper-nixos/hv/vm/ops"
	"github.com/hyper-nixos/hv/vm/remote"
)

// tui is hv's terminal UI running in this process on the real host, with
// real events and timers, driven by key presses and read from its screen.
type tui struct {
	t     *testing.T
	m     *app.Model
	live  *uitest.Live
	audit *audit.Log // the trail of what it changed
}

// runTUI opens hv on screen start (with arg) at 120×40, as an expert (no
// hints under the lists), connected to uri with its changes audited.
func runTUI(t *testing.T, uri, start, arg string) *tui {
	t.Helper()
	trail := audit.Open(filepath.Join(t.TempDir(), "audit.log"))
	u := runTUIWith(t, func(ctx context.Context) (vm.Hypervisor, error) {
		b, err := libvirt.Open(ctx, uri)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { b.Close() })
		return audit.Wrap(b, trail, "root", uri), nil
	}, uri, start, arg)
	u.audit = trail
	return u
}

// runTUIWith runs hv's TUI on what connect opens, named where.
func runTUIWith(t *testing.T, connect func(context.Context) (vm.Hypervisor, error), where, start, arg string) *tui {
	t.Helper()
	m := app.New(app.Options{
		Connect: connect,
		Where:   where, User: "root", Term: "xterm-256color", Start: start, Arg: arg,
		Settings: help.Settings{Level: help.Expert},
	})
	u := &tui{t: t, m: m}
	update := func(msg tea.Msg) tea.Cmd { _, cmd := m.Update(msg); return cmd }
	u.live = uitest.NewLive(t, update, m.Init())
	u.live.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
	return u
}

func (u *tui) screen() string { return uitest.Plain(u.m.Render()) }

// waitFor runs the UI until the screen shows text, and returns the screen.
func (u *tui) waitFor(text string, d time.Duration) string {
	u.t.Helper()
	u.live.Until(fmt.Sprintf("the screen showing %q", text), d, func() bool { return strings.Contains(u.screen(), text) }, u.screen)
	return u.screen()
}

// press types keys (uitest.Key names), letting the UI run a moment after each.
func (u *tui) press(keys ...string) {
	for _, k := range keys {
		u.live.Send(uitest.Key(k))
		u.live.For(50*time.Millisecond, nil)
	}
}

// typeText types text, one key per character.
func (u *tui) typeText(text string) {
	u.live.Send(uitest.Type(text)...)
	u.live.For(50*time.Millisecond, nil)
}

// guest boots the tiny guest as a VM of its own, waits until it answers on
// its console (so it heeds the power button), and removes it at the end.
func guest(t *testing.T, e env, b vm.Hypervisor, prefix string) vm.VM {
	t.Helper()
	_, iso := flowPool(t, e)
	isoRef, _ := vm.ParseVolumeRef(iso)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	name := fmt.Sprintf("hvtest-%s-%08x", prefix, rand.Uint32())
	v, err := b.Define(ctx, vm.Spec{Name: name, VCPUs: 1, MemoryMiB: 128, ISO: isoRef})
	if err != nil {
		t.Fatalf("Define: %v", err)
	}
	t.Cleanup(func() {
		b := open(t, e.uri)
		defer b.Close()
		b.Destroy(context.Background(), v.UUID)
		if err := b.Undefine(context.Background(), v.UUID); err != nil {
			t.Errorf("Undefine: %v", err)
		}
	})
	if err := b.Start(ctx, v.UUID); err != nil {
		t.Fatalf("Start: %v", err)
	}
	con := console(t, ctx, b, v)
	defer con.con.Close()
	con.waitFor(t, "HV-TINY-GUEST READY", 90*time.Second)
	v, _ = b.Lookup(ctx, v.UUID)
	return v
}

// selectVM filters the VM list down to v.
func (u *tui) selectVM(v vm.VM) {
	u.t.Helper()
	u.waitFor("NAME", 60*time.Second)
	u.press("/")
	u.typeText(v.Name)
	u.press("enter")
	u.waitFor("1 of ", 10*time.Second)
}

// TestShutdownThenStartOffersNoForceOff: a VM shut down and started again
// within the force-off timeout is not offered to be forced off when the
// timer fires (issue 15: "Force off?" on a VM that had just booted).
func TestShutdownThenStartOffersNoForceOff(t *testing.T) {
	e := realEnv(t)
	guestISO(t)
	b := open(t, e.uri)
	defer b.Close()
	v := guest(t, e, b, "fo")
	defer func(d time.Duration) { vmaction.ShutdownTimeout = d }(vmaction.ShutdownTimeout)
	vmaction.ShutdownTimeout = 15 * time.Second

	u := runTUI(t, e.uri, "vms", "")
	u.selectVM(v)
	asked := time.Now()
	u.press("d")
	u.waitFor("Shut down "+v.Name+"?", 10*time.Second)
	u.press("y")
	u.waitFor("shut off", 60*time.Second)
	u.press(vmaction.Keys.Start.Help().Key)
	u.waitFor("running", 60*time.Second)
	if time.Since(asked) > vmaction.ShutdownTimeout {
		t.Fatalf("the guest took %v to stop and start: lengthen the timeout", time.Since(asked))
	}
	forceOff := func() bool { return strings.Contains(u.screen(), "Force off") }
	if u.live.For(time.Until(asked.Add(vmaction.ShutdownTimeout+5*time.Second)), forceOff) {
		t.Fatalf("hv offers to force off a VM that was shut down and started again:\n%s", u.screen())
	}
}

// TestRebootClearsItsPendingState: after R the VM shows "rebooting" until
// libvirt reports the reboot, not for good; and "Recent events" lists one
// reboot per reboot (libvirt's QEMU driver sends two events for one).
func TestRebootClearsItsPendingState(t *testing.T) {
	e := realEnv(t)
	guestISO(t)
	b := open(t, e.uri)
	defer b.Close()
	v := guest(t, e, b, "rb")
	u := runTUI(t, e.uri, "vm", v.UUID)
	u.waitFor(v.Name+"  running", 60*time.Second)
	for n := 1; n <= 2; n++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		con := console(t, ctx, b, v)
		u.press("R")
		u.waitFor("Reboot "+v.Name+"?", 10*time.Second)
		u.press("y")
		// The tiny guest reboots in a fraction of a second: "rebooting"
		// may come and go between two looks; the status says it is done.
		u.waitFor(v.Name+" rebooted", 30*time.Second)
		con.waitFor(t, "HV-TINY-GUEST READY", 90*time.Second)
		con.con.Close()
		cancel()
		u.live.Until("the pending reboot to clear", 10*time.Second, func() bool {
			return !strings.Contains(u.screen(), "rebooting")
		}, u.screen)
		if s := u.screen(); !strings.Contains(s, v.Name+"  running") {
			t.Errorf("after reboot %d the VM should show as running:\n%s", n, s)
		}
		events := u.screen()[strings.Index(u.screen(), "Recent events"):]
		if got := len(eventLine.FindAllString(events, -1)); got != n {
			t.Errorf("after %d reboots Recent events lists %d:\n%s", n, got, events)
		}
	}
}

// TestConsoleWorksAfterLibvirtdRestarts: an open serial console whose
// connection died with libvirtd reattaches when hv reconnects, and typing
// works again (issue 15: it stayed open, dead and silent).
func TestConsoleWorksAfterLibvirtdRestarts(t *testing.T) {
	e := realEnv(t)
	guestISO(t)
	need.Root(t, "to restart libvirtd")
	if e.daemon == "" {
		need.Missing(t, "HV_REAL_DAEMON is not set: tests/real/daemon.sh env names the daemon to restart")
	}
	b := open(t, e.uri)
	defer b.Close()
	v := guest(t, e, b, "con")
	consoleSurvivesRestart(t, e, runTUI(t, e.uri, "console", v.UUID), v, "reconnected")
}

// TestConsoleThroughTheDaemonAfterLibvirtdRestarts: the console hv opens
// through the hv daemon (as operators' hv does) reattaches by itself when
// libvirtd restarts under the daemon, and the status says what came back.
func TestConsoleThroughTheDaemonAfterLibvirtdRestarts(t *testing.T) {
	e := realEnv(t)
	guestISO(t)
	need.Root(t, "to restart libvirtd")
	if e.daemon == "" || e.socket == "" {
		need.Missing(t, "HV_REAL_DAEMON or HV_REAL_SOCKET is not set: tests/real/daemon.sh env names them")
	}
	b := open(t, e.uri)
	defer b.Close()
	v := guest(t, e, b, "cond")
	u := runTUIWith(t, func(ctx context.Context) (vm.Hypervisor, error) {
		c, err := remote.Open(ctx, remote.Unix(e.socket), e.socket)
		if err == nil {
			t.Cleanup(func() { c.Close() })
		}
		return c, err
	}, e.socket, "console", v.UUID)
	consoleSurvivesRestart(t, e, u, v, "libvirt is back behind the hv daemon")
}

// consoleSurvivesRestart checks that u's console of v answers, restarts
// libvirtd, waits for the status saying back, and checks that the console
// reattached by itself and answers again.
func consoleSurvivesRestart(t *testing.T, e env, u *tui, v vm.VM, back string) {
	t.Helper()
	u.waitFor("Serial console of "+v.Name, 30*time.Second)
	u.live.For(time.Second, nil) // attached
	u.typeText("echo hv-$((6*7))")
	u.press("enter")
	u.waitFor("hv-42", 30*time.Second)

	daemon(t, e, "restart-libvirtd")
	u.waitFor(back, 60*time.Second)
	u.live.Until("the console to reattach", 30*time.Second, func() bool {
		s := u.screen()
		return !strings.Contains(s, "closed") && !strings.Contains(s, "Connecting")
	}, u.screen)
	u.live.For(time.Second, nil)
	u.typeText("echo hv-$((7*7))")
	u.press("enter")
	u.waitFor("hv-49", 30*time.Second)
}

// TestCancelledCloneLeavesNothing: esc during a clone's copy stops the
// copy, deletes what it made and says so; no clone appears later, no
// volume is left over, and the trail says cancelled (issue 15: the copy
// went on and the clone appeared, audited ok). A clone left to finish is
// a faithful copy.
func TestCancelledCloneLeavesNothing(t *testing.T) {
	e := realEnv(t)
	b := open(t, e.uri)
	defer b.Close()
	pool, _ := flowPool(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	name := fmt.Sprintf("hvtest-cc-%08x", rand.Uint32())
	disk := bigVolume(t, b, pool, name+".img", 2<<30)
	v, err := b.Define(ctx, vm.Spec{Name: name, VCPUs: 1, MemoryMiB: 64, Disks: []vm.DiskSpec{{Volume: disk.Ref()}}})
	if err != nil {
		t.Fatalf("Define: %v", err)
	}
	t.Cleanup(func() {
		b := open(t, e.uri)
		defer b.Close()
		b.DeleteWithStorage(context.Background(), v.UUID)
	})

	u := runTUI(t, e.uri, "clone", v.UUID)
	u.waitFor(name+"-clone", 30*time.Second)
	u.press("enter")
	u.waitFor("copying "+name+".img", 30*time.Second)
	u.press("esc")
	u.waitFor("was cancelled: nothing was kept", 60*time.Second)

	if _, err := b.Lookup(ctx, name+"-clone"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("a cancelled clone exists: %v", err)
	}
	u.live.For(3*time.Second, nil) // a copy still running would show up now
	vols, err := b.Volumes(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range vols {
		if x.Name != disk.Name && x.Name != "tiny-guest.iso" {
			t.Errorf("volume %s is left over from the cancelled clone", x.Name)
		}
	}
	entries, err := u.audit.Read()
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, x := range entries {
		results = append(results, x.Action+" "+x.Result)
	}
	if !slices.Contains(results, "volume.copy cancelled") || slices.ContainsFunc(results, func(r string) bool { return strings.HasPrefix(r, "vm.clone") }) {
		t.Errorf("the trail should hold the cancelled copy and no clone: %v", results)
	}

	// Left to finish, the copy is byte for byte the original.
	c, err := ops.Clone(ctx, b, v, name+"-c", nil)
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	defer b.DeleteWithStorage(context.Background(), c.UUID)
	d, _ := b.Details(ctx, c.UUID)
	if out, err := exec.Command("cmp", disk.Path, d.Disks[0].Source).CombinedOutput(); err != nil {
		t.Errorf("the clone's disk differs from the original: %v %s", err, out)
	}
}

// eventLine is a reboot in "Recent events" (the status bar may say
// "NAME rebooted" too).
var eventLine = regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d  rebooted$`)
