// Package uitest drives screens and the app in tests: over the real demo
// host, without timers, rendered as plain text for golden files.
package uitest

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/demo"
	"github.com/hyper-nixos/hv/vm/fleet"
	"github.com/hyper-nixos/hv/vm/libvirt"
)

// Demo opens a private demo host for the test.
func Demo(t testing.TB) vm.Hypervisor {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hv, err := demo.Open(ctx)
	if err != nil {
		t.Fatalf("opening the demo host: %v", err)
	}
	t.Cleanup(func() { hv.Close() })
	return hv
}

// DemoReadOnly opens a private demo host over a read-only connection.
func DemoReadOnly(t testing.TB) vm.Hypervisor {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hv, err := demo.OpenReadOnly(ctx)
	if err != nil {
		t.Fatalf("opening the demo host read-only: %v", err)
	}
	t.Cleanup(func() { hv.Close() })
	return hv
}

// Host opens libvirt's test driver on a node XML written for the test.
func Host(t testing.TB, nodeXML string) vm.Hypervisor {
	t.Helper()
	path := filepath.Join(t.TempDir(), "host.xml")
	if err := os.WriteFile(path, []byte(nodeXML), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hv, err := libvirt.Open(ctx, "test://"+path)
	if err != nil {
		t.Fatalf("opening the test host: %v", err)
	}
	t.Cleanup(func() { hv.Close() })
	return hv
}

// HostileHost is a test-driver host whose VM names carry what libvirt's
// XML lets through: C1 CSI and OSC introducers, a tab, a direction
// override. (XML cannot carry ESC itself.)
func HostileHost(t testing.TB) vm.Hypervisor {
	t.Helper()
	var b strings.Builder
	b.WriteString("<node>\n")
	for _, n := range HostileNames {
		b.WriteString("<domain type='test'><name>" + n + "</name><memory>65536</memory><os><type>hvm</type></os></domain>\n")
	}
	b.WriteString("</node>\n")
	return Host(t, b.String())
}

// HostileNames are the names of HostileHost, as XML character references.
var HostileNames = []string{"evil&#x9b;2J&#x9b;31mred", "title&#x9d;0;pwned&#x9c;", "tab&#9;name", "rtl&#x202e;exe.txt"}

// HostileShown are those names as hv must show them.
var HostileShown = []string{`evil\u009b2J\u009b31mred`, `title\u009d0;pwned\u009c`, `tab\x09name`, `rtl\u202eexe.txt`}

// Common returns a Common for a w×h screen area with no timers: ticks are
// dropped, so tests decide when time passes by sending messages.
func Common(hv vm.Hypervisor, w, h int) *ui.Common {
	c := ui.NewCommon(hv, "operator", "xterm-256color")
	c.Width, c.Height = w, h
	c.Tick = NoTick
	c.Now = func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	return c
}

// NoTick is a Common.Tick that never fires.
func NoTick(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }

// Drain runs cmd and every command the resulting messages produce, handing
// each message to update, until nothing is left to do. A command that
// blocks for good (waiting for an event that will not come) is abandoned
// after a quiet spell long enough that a slow machine is not mistaken for it.
func Drain(t testing.TB, update func(tea.Msg) tea.Cmd, cmd tea.Cmd) {
	t.Helper()
	msgs := make(chan tea.Msg, 64)
	var pending sync.WaitGroup
	var count int64
	var mu sync.Mutex
	start := func(c tea.Cmd) {
		if c == nil {
			return
		}
		mu.Lock()
		count++
		mu.Unlock()
		pending.Add(1)
		go func() {
			defer pending.Done()
			defer func() { mu.Lock(); count--; mu.Unlock() }()
			msgs <- c()
		}()
	}
	// A sequence runs its commands one after another, delivering their
	// messages in order, as Bubble Tea does.
	startSeq := func(cmds []tea.Cmd) {
		mu.Lock()
		count++
		mu.Unlock()
		pending.Add(1)
		go func() {
			defer pending.Done()
			defer func() { mu.Lock(); count--; mu.Unlock() }()
			for _, c := range cmds {
				if c != nil {
					msgs <- c()
				}
			}
		}()
	}
	start(cmd)
	deadline := time.After(20 * time.Second)
	for {
		mu.Lock()
		idle := count == 0 && len(msgs) == 0
		mu.Unlock()
		if idle {
			return
		}
		select {
		case msg := <-msgs:
			if b, ok := msg.(tea.BatchMsg); ok {
				for _, c := range b {
					start(c)
				}
				continue
			}
			if seq := sequence(msg); seq != nil {
				startSeq(seq)
				continue
			}
			if msg != nil {
				start(update(msg))
			}
		case <-time.After(3 * time.Second):
			return // what still runs is waiting on something that will not come in a test
		case <-deadline:
			t.Fatal("commands kept producing messages for 20 s")
		}
	}
}

// sequence returns the commands of a tea.Sequence, whose message type is
// unexported: a slice of commands.
func sequence(msg tea.Msg) []tea.Cmd {
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Slice || v.Type().Elem() != reflect.TypeOf(tea.Cmd(nil)) {
		return nil
	}
	cmds := make([]tea.Cmd, v.Len())
	for i := range cmds {
		cmds[i] = v.Index(i).Interface().(tea.Cmd)
	}
	return cmds
}

// Key makes a key press from its name as key.Matches sees it: "enter",
// "esc", "up", "ctrl+c", "space", or a printable character.
func Key(name string) tea.KeyPressMsg {
	named := map[string]rune{
		"f10":   tea.KeyF10,
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "up": tea.KeyUp, "down": tea.KeyDown,
		"left": tea.KeyLeft, "right": tea.KeyRight, "tab": tea.KeyTab, "backspace": tea.KeyBackspace,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"space": tea.KeySpace,
	}
	if r, ok := named[name]; ok {
		return tea.KeyPressMsg{Code: r}
	}
	if rest, ok := strings.CutPrefix(name, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: []rune(rest)[0], Mod: tea.ModCtrl}
	}
	r := []rune(name)[0]
	return tea.KeyPressMsg{Code: r, Text: name}
}

// Type turns text into key presses, one per character.
func Type(text string) []tea.Msg {
	var out []tea.Msg
	for _, r := range text {
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}

// Plain strips styling, leaving what a colourless terminal shows, with
// trailing spaces removed so golden files stay readable.
func Plain(s string) string {
	lines := strings.Split(ansi.Strip(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

// Hostname returns this machine's name, which the test driver reports as
// the host's: goldens replace it.
func Hostname() string {
	h, _ := os.Hostname()
	return h
}

// TwoHosts is one hv over two hosts (vm/fleet): "lab", the demo host, and
// "hv2", a test-driver host with two VMs, a network (backnet) and a pool
// (bulk, one volume) of its own.
func TwoHosts(t testing.TB) vm.Hypervisor {
	t.Helper()
	return TwoHostsWith(t, func(h vm.Hypervisor) vm.Hypervisor { return h })
}

// TwoHostsWith is TwoHosts with hv2's connection passed through wrap (a
// host the test takes away).
func TwoHostsWith(t testing.TB, wrap func(vm.Hypervisor) vm.Hypervisor) vm.Hypervisor {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hv2.xml")
	hv2 := `<node>
<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>billing</name><uuid>22222222-0000-4000-8000-000000000001</uuid><memory unit='MiB'>2048</memory><vcpu>2</vcpu><os><type>hvm</type></os><test:runstate>1</test:runstate></domain>
<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>archive</name><uuid>22222222-0000-4000-8000-000000000002</uuid><memory unit='MiB'>1024</memory><vcpu>1</vcpu><os><type>hvm</type></os><test:runstate>5</test:runstate></domain>
<network><name>backnet</name><uuid>22222222-0000-4000-8000-000000000101</uuid><bridge name='virbr7'/><forward mode='nat'/><ip address='10.20.0.1' netmask='255.255.255.0'><dhcp><range start='10.20.0.100' end='10.20.0.200'/></dhcp></ip></network>
<pool type='dir'><name>bulk</name><uuid>22222222-0000-4000-8000-000000000201</uuid><capacity unit='GiB'>500</capacity><allocation unit='GiB'>120</allocation><available unit='GiB'>380</available><target><path>/srv/bulk</path></target>
<volume type='file'><name>archive.qcow2</name><capacity unit='GiB'>40</capacity><allocation unit='GiB'>12</allocation><target><path>/srv/bulk/archive.qcow2</path><format type='qcow2'/></target></volume></pool>
</node>`
	if err := os.WriteFile(path, []byte(hv2), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := fleet.Open(ctx, []fleet.Member{
		{Name: "lab", Where: demo.Label, Open: func(ctx context.Context) (vm.Hypervisor, error) { return demo.Open(ctx) }},
		{Name: "hv2", Where: "ssh://hv2", Open: func(ctx context.Context) (vm.Hypervisor, error) {
			b, err := libvirt.Open(ctx, "test://"+path)
			if err != nil {
				return nil, err
			}
			return wrap(b), nil
		}},
	}, fleet.Options{})
	if err != nil {
		t.Fatalf("opening two hosts: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.List(ctx); err != nil { // what the hosts say of themselves
		t.Fatal(err)
	}
	return f
}
