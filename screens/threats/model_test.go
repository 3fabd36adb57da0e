package threats

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/monitor"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

var demo struct {
	once sync.Once
	feed monitor.Feed
	err  error
	dir  string // its state and trail, removed after the tests
}

func TestMain(m *testing.M) {
	code := m.Run()
	if demo.dir != "" {
		os.RemoveAll(demo.dir)
	}
	os.Exit(code)
}

// open shows the dashboard of the demo host at w×h, fed by the demo
// replay without its live part, so every run shows the same screen.
func open(t *testing.T, w, h int, term string) *Model {
	t.Helper()
	hv := uitest.Demo(t)
	c := uitest.Common(hv, w, h)
	if term != "" {
		g := ui.GlyphsFor(term)
		c.Glyphs, c.Styles = g, ui.NewStyles(ui.DefaultPalette, g)
	}
	// One static demo feed serves every test: replaying the sample and
	// two days of metrics is the slow part.
	Open = func(ctx context.Context, c *ui.Common) (monitor.Feed, error) {
		demo.once.Do(func() {
			dir, _ := os.MkdirTemp("", "hv-threats-test-")
			demo.dir = dir
			demo.feed, demo.err = monitor.OpenFeed(ctx, monitor.FeedOptions{HV: c.HV, Demo: true, Static: true, Now: c.Now,
				AuditPath: filepath.Join(dir, "log", "audit.log"), DB: "/nonexistent", StateDir: dir}) // its anchor in dir too
		})
		return demo.feed, demo.err
	}
	t.Cleanup(func() {
		feeds.Lock()
		clear(feeds.m)
		feeds.Unlock()
	})
	m := New(c)
	// Opening the feed replays the sample and two days of metrics: run it
	// to completion rather than within Drain's quiet spell.
	uitest.Drain(t, m.Update, m.Update(m.Init()()))
	if !m.loaded {
		t.Fatalf("the dashboard did not load: %v", m.err)
	}
	return m
}

func send(t *testing.T, m *Model, msgs ...tea.Msg) {
	t.Helper()
	for _, msg := range msgs {
		uitest.Drain(t, m.Update, m.Update(msg))
	}
}

func TestGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 21}, {120, 37}} { // the screen area of 80x24 and 120x40
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]+3), func(t *testing.T) {
			m := open(t, size[0], size[1], "")
			golden.RequireEqual(t, uitest.Plain(m.View()))
		})
	}
}

func TestGoldenLinuxConsole(t *testing.T) {
	m := open(t, 80, 21, "linux")
	view := uitest.Plain(m.View())
	for _, r := range view {
		if r > 0x7e {
			t.Fatalf("TERM=linux must get ASCII only, found %q in:\n%s", r, view)
		}
	}
	golden.RequireEqual(t, view)
}

func TestShowsCountsSourcesAndMiner(t *testing.T) {
	m := open(t, 120, 37, "")
	view := uitest.Plain(m.View())
	for _, want := range []string{"demo", "CRIT", "Top sources", "Top targets", "VM anomalies", "Findings", "!"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	miner := false
	for _, f := range m.snap.Recent {
		miner = miner || f.Rule == "anomaly.miner" && strings.Contains(f.Title, "likely a cryptominer")
	}
	if !miner {
		t.Error("the demo's miner is not among the findings")
	}
}

// A log line carrying ANSI and OSC escape sequences reaches the screen as
// text: the escapes are spelled out, none is sent to the terminal.
func TestEscapesInEvidenceAreInert(t *testing.T) {
	m := open(t, 120, 37, "")
	found := false
	for i, f := range m.snap.Recent {
		if strings.Contains(f.Evidence, "\x1b]0;PWNED") {
			m.cursor, found = i, true
		}
	}
	if !found {
		t.Fatal("the demo's line with escapes is not among the findings")
	}
	send(t, m, uitest.Key("enter"))
	raw := m.View()
	for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J", "\x1b[31m"} {
		if strings.Contains(raw, bad) {
			t.Errorf("the rendered screen carries %q from the log", bad)
		}
	}
	plain := uitest.Plain(raw)
	if !strings.Contains(plain, `admin\x1b]0;PWNED\x07\x1b[2J\x1b[31m`) {
		t.Errorf("the evidence should show the escapes spelled out:\n%s", plain)
	}
	// The list row shows the attacker's user name inert too.
	send(t, m, uitest.Key("esc"))
	m.Esc()
	if strings.Contains(m.View(), "\x1b]") {
		t.Error("the list carries an OSC sequence")
	}
}

func TestAcknowledgeAndResolve(t *testing.T) {
	m := open(t, 120, 37, "")
	first := m.snap.Recent[0].ID
	send(t, m, uitest.Key("a"))
	if m.snap.Recent[0].ID != first || m.snap.Recent[0].State != "acknowledged" {
		t.Fatalf("state %q", m.snap.Recent[0].State)
	}
	send(t, m, uitest.Key("x"))
	if m.snap.Recent[0].State != "resolved" {
		t.Fatalf("state %q", m.snap.Recent[0].State)
	}
	send(t, m, uitest.Key("r"))
	if m.snap.Recent[0].State != "open" {
		t.Fatalf("state %q", m.snap.Recent[0].State)
	}
}

// pick opens the playbook picker on the finding at cursor i.
func pick(t *testing.T, m *Model, i int) ui.Dialog {
	t.Helper()
	m.cursor = i
	cmd := m.Update(uitest.Key("p"))
	open, ok := cmd().(ui.OpenDialogMsg)
	if !ok {
		t.Fatal("p should open the playbook picker")
	}
	return open.Dialog
}

// Running a playbook takes two steps: pick it, then confirm; the confirm
// dialog starts on No. A playbook that cannot run here (blocking needs
// root) is listed with the reason and never run.
func TestPlaybookNeedsConfirmation(t *testing.T) {
	m := open(t, 120, 37, "")
	idx := -1
	for i, f := range m.snap.Recent {
		if f.IP != "" {
			idx = i
			break
		}
	}
	if idx < 0 {
		t.Fatal("no finding with an address")
	}
	d := pick(t, m, idx)
	view := uitest.Plain(d.View())
	if !strings.Contains(view, "block-ip") || !strings.Contains(view, "(unavailable)") || !strings.Contains(view, "needs root") {
		t.Errorf("picker:\n%s", view)
	}
	done, next := d.Update(uitest.Key("enter"))
	if done {
		t.Fatal("choosing an unavailable playbook must not run it")
	}
	if st, ok := next().(ui.StatusMsg); !ok || !strings.Contains(st.Text, "cannot run here") {
		t.Errorf("it should say why: %+v", st)
	}
	for i := 0; i < 10 && !strings.Contains(uitest.Plain(d.View()), "> notify") && !strings.Contains(uitest.Plain(d.View()), "▌notify"); i++ {
		d.Update(uitest.Key("down"))
	}
	done, next = d.Update(uitest.Key("enter"))
	if !done || next == nil {
		t.Fatalf("choosing notify should close the picker and ask for confirmation:\n%s", uitest.Plain(d.View()))
	}
	confirm, ok := next().(ui.OpenDialogMsg)
	if !ok || !strings.Contains(uitest.Plain(confirm.Dialog.View()), "Run this playbook?") {
		t.Fatal("no confirmation")
	}
	if done, cmd := confirm.Dialog.Update(uitest.Key("enter")); !done || cmd != nil {
		t.Error("enter on the default (No) must not run anything")
	}
	_, run := confirm.Dialog.Update(uitest.Key("y"))
	ran, ok := run().(playbookRanMsg)
	if !ok || ran.err != nil || ran.action.Result != "ok" {
		t.Fatalf("notify: %+v", ran)
	}
	// The notification reaches the session's banner.
	ns, _ := m.feed.Notices(context.Background(), 0)
	if len(ns) == 0 || Banner(ns[len(ns)-1]).Text == "" {
		t.Errorf("no notice for the banner: %+v", ns)
	}
}

// Pausing a VM from the dashboard can be undone with u on the finding:
// the VM runs again.
func TestUndoAPlaybookAction(t *testing.T) {
	m := open(t, 120, 37, "")
	// A feed of its own, over this test's demo connection (the shared one
	// acts through the connection of the test that opened it).
	dir := t.TempDir()
	f, err := monitor.OpenFeed(context.Background(), monitor.FeedOptions{HV: m.c.HV, Demo: true, Static: true, Now: m.c.Now,
		AuditPath: filepath.Join(dir, "audit.log"), DB: "/nonexistent", StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m.feed = f
	send(t, m, uitest.Key("ctrl+r"))
	idx := -1
	for i, f := range m.snap.Recent {
		if f.Rule == "anomaly.miner" {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatal("no miner finding")
	}
	miner := m.snap.Recent[idx]
	d := pick(t, m, idx)
	for i := 0; i < 10 && !strings.Contains(uitest.Plain(d.View()), "> pause-vm") && !strings.Contains(uitest.Plain(d.View()), "▌pause-vm"); i++ {
		d.Update(uitest.Key("down"))
	}
	_, next := d.Update(uitest.Key("enter"))
	confirm := next().(ui.OpenDialogMsg).Dialog
	_, run := confirm.Update(uitest.Key("y"))
	send(t, m, run())
	ctx := context.Background()
	if v, err := m.c.HV.Lookup(ctx, miner.VM); err != nil || v.State != vm.StatePaused {
		t.Fatalf("%s: %v %v, want paused", miner.VM, v.State, err)
	}
	m.cursor = slices.IndexFunc(m.snap.Recent, func(x threat.Finding) bool { return x.ID == miner.ID })
	send(t, m, uitest.Key("enter"))
	if view := uitest.Plain(m.View()); !strings.Contains(view, "pause-vm") || !strings.Contains(view, "u undoes it") {
		t.Errorf("the details should list the action:\n%s", view)
	}
	cmd := m.Update(uitest.Key("u"))
	undo, ok := cmd().(ui.OpenDialogMsg)
	if !ok || !strings.Contains(uitest.Plain(undo.Dialog.View()), "Undo this action?") {
		t.Fatal("u should ask before undoing")
	}
	_, yes := undo.Dialog.Update(uitest.Key("y"))
	send(t, m, yes())
	if v, _ := m.c.HV.Lookup(ctx, miner.VM); v.State != vm.StateRunning {
		t.Errorf("%s is %v after the undo, want running", miner.VM, v.State)
	}
	if _, ok := m.undoable(miner); ok {
		t.Error("an undone action is not offered again")
	}
}

func TestDetailsAndBack(t *testing.T) {
	m := open(t, 80, 21, "")
	send(t, m, uitest.Key("down"), uitest.Key("enter"))
	view := uitest.Plain(m.View())
	if !strings.Contains(view, "evidence") || !strings.Contains(view, "rule") {
		t.Errorf("details:\n%s", view)
	}
	if !m.Esc() || m.details {
		t.Error("esc should close the details")
	}
	if m.Esc() {
		t.Error("a second esc means back")
	}
}

// Text pasted into the search is searched for, as typed text is.
func TestPasteIntoTheSearch(t *testing.T) {
	m := open(t, 100, 30, "")
	for _, msg := range []tea.Msg{uitest.Key("/"), tea.PasteMsg{Content: "root"}} {
		uitest.Drain(t, m.Update, m.Update(msg))
	}
	if view := uitest.Plain(m.View()); !strings.Contains(view, "/ root") {
		t.Errorf("after pasting root into the search:\n%s", view)
	}
}
