// Package e2e drives the real hv binary in tmux, the way a person at a
// terminal would: keys in, screen text out.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var hvBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hv-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hvBin = filepath.Join(dir, "hv")
	build := exec.Command("go", "build", "-o", hvBin, "github.com/hyper-nixos/hv/cmd/hv")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building hv:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// terminal is one tmux session running hv on its own tmux server.
type terminal struct {
	t      *testing.T
	socket string
}

// run starts hv with args in a w×h tmux window with the given TERM, with
// its own settings and state.
func run(t *testing.T, term string, w, h int, args ...string) *terminal {
	t.Helper()
	return runWithState(t, t.TempDir(), term, w, h, args...)
}

// runWithState starts hv with state as its XDG config and state home, so
// that a second run sees what the first one saved.
func runWithState(t *testing.T, state, term string, w, h int, args ...string) *terminal {
	t.Helper()
	return runWithEnv(t, state, nil, term, w, h, args...)
}

// runWithEnv is runWithState with more environment, "NAME=value" each.
func runWithEnv(t *testing.T, state string, env []string, term string, w, h int, args ...string) *terminal {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed (apt-get install tmux); ./tests/run installs it")
	}
	tm := &terminal{t: t, socket: fmt.Sprintf("hv-e2e-%d-%d", os.Getpid(), time.Now().UnixNano())}
	vars := strings.Join(append([]string{"XDG_STATE_HOME=" + state, "XDG_CONFIG_HOME=" + state}, env...), " ")
	cmdline := fmt.Sprintf("env TERM=%s %s %s %s; echo hv-exited-$?; sleep 30", term, vars, hvBin, strings.Join(args, " "))
	if strings.HasPrefix(term, "NO_COLOR=") { // "NO_COLOR=1 xterm-256color"
		nc, t, _ := strings.Cut(term, " ")
		cmdline = fmt.Sprintf("env %s TERM=%s %s %s %s; echo hv-exited-$?; sleep 30", nc, t, vars, hvBin, strings.Join(args, " "))
	}
	tm.tmux("new-session", "-d", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmdline)
	t.Cleanup(func() { exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *terminal) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// keys types each key: tmux key names (Enter, Escape, Down) or literal text.
func (tm *terminal) keys(keys ...string) {
	tm.t.Helper()
	for _, k := range keys {
		switch k {
		case "Enter", "Escape", "Down", "Up", "Left", "Right", "Tab", "BSpace", "C-c":
			tm.tmux("send-keys", k)
		default:
			tm.tmux("send-keys", "-l", k)
		}
		pause := 50 * time.Millisecond
		if k == "Escape" {
			// A terminal cannot tell ESC followed soon by another key from
			// alt+key: a person's next key comes later than that.
			pause = 300 * time.Millisecond
		}
		time.Sleep(pause)
	}
}

func (tm *terminal) screen() string { return tm.tmux("capture-pane", "-p") }

// styled is the screen with its SGR escape codes.
func (tm *terminal) styled() string { return tm.tmux("capture-pane", "-p", "-e") }

// waitFor waits until the screen shows text, and returns the screen.
func (tm *terminal) waitFor(text string) string {
	tm.t.Helper()
	deadline := time.Now().Add(45 * time.Second) // generous: CI machines are loaded
	for {
		s := tm.screen()
		if strings.Contains(s, text) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the screen never showed %q; it shows:\n%s", text, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDemoOnLinuxConsole is a newcomer's first minute: open the demo on a
// bare Linux console, go to the VM list, filter it, read help, quit.
func TestDemoOnLinuxConsole(t *testing.T) {
	tm := run(t, "linux", 80, 24, "--demo")
	home := tm.waitFor("14 VMs") // the summary arrives after the menu
	for _, want := range []string{"Hyper-NixOS", "14 VMs", "demo host", "read-write"} {
		if !strings.Contains(home, want) {
			t.Errorf("home screen lacks %q:\n%s", want, home)
		}
	}
	tm.keys("1")
	list := tm.waitFor("NAME")
	if !strings.Contains(list, "db-primary") || !strings.Contains(list, "win11-desk") {
		t.Errorf("the VM list is incomplete:\n%s", list)
	}
	tm.keys("/", "state:paused", "Enter")
	filtered := tm.waitFor("2 of 14 shown")
	if !strings.Contains(filtered, "dev-sandbox") || !strings.Contains(filtered, "k8s-node-3") || strings.Contains(filtered, "web-01") {
		t.Errorf("filter state:paused shows the wrong VMs:\n%s", filtered)
	}
	for _, r := range filtered {
		if r > 0x7e {
			t.Errorf("TERM=linux screen holds %q, which the console font may lack:\n%s", r, filtered)
			break
		}
	}
	tm.keys("?")
	tm.waitFor("Help: Virtual machines") // a beginner reads the topic first, keys below
	tm.keys("Escape", "Escape")          // close help, then clear the filter
	tm.waitFor("14 VMs")
	tm.keys("q")
	tm.waitFor("Quit hv?")
	tm.keys("y")
	tm.waitFor("hv-exited-0")
}

// TestCannotReachLibvirtSaysWhyAndHowToFix: pointed at a daemon that does
// not exist, hv says so in full screen and offers a retry.
func TestCannotReachLibvirtSaysWhyAndHowToFix(t *testing.T) {
	tm := run(t, "xterm-256color", 80, 24, "--connect", "qemu+unix:///system?socket=/nonexistent/libvirt-sock")
	s := tm.waitFor("Cannot reach libvirt")
	for _, want := range []string{"not running", "How to fix it", "hv --demo", "r try again"} {
		if !strings.Contains(s, want) {
			t.Errorf("the error screen lacks %q:\n%s", want, s)
		}
	}
	tm.keys("q")
	tm.waitFor("hv-exited-0")
}

// TestNoColorMeansNoColour: with NO_COLOR set, hv draws with bold and
// reverse video only, and the selection is still visible. The same screen
// without NO_COLOR must have colours, or the check proves nothing.
func TestNoColorMeansNoColour(t *testing.T) {
	listColours := func(term string) []string {
		tm := run(t, term, 100, 24, "--demo")
		tm.waitFor("Virtual machines")
		tm.keys("1")
		tm.waitFor("NAME")
		s := tm.styled()
		if term != "linux" && !strings.Contains(s, "\x1b[7m") && !strings.Contains(s, ";7m") {
			t.Errorf("the selection should be in reverse video:\n%q", s)
		}
		return colours(s)
	}
	if c := listColours("NO_COLOR=1 xterm-256color"); len(c) > 0 {
		t.Errorf("with NO_COLOR the screen sets colours: %v", c)
	}
	if c := listColours("linux"); len(c) == 0 {
		t.Error("without NO_COLOR the screen should have colours")
	}
}

// colours returns the SGR parameters in s that set a foreground or
// background colour (resets to the default, 39 and 49, do not count).
func colours(s string) []string {
	var found []string
	for _, seq := range strings.Split(s, "\x1b[")[1:] {
		end := strings.IndexByte(seq, 'm')
		if end < 0 || strings.ContainsAny(seq[:end], "ABCDHJKlh?") {
			continue
		}
		for _, p := range strings.Split(seq[:end], ";") {
			n, err := strconv.Atoi(p)
			if err == nil && (n >= 30 && n <= 38 || n >= 40 && n <= 48 || n >= 90 && n <= 97 || n >= 100 && n <= 107) {
				found = append(found, seq[:end])
				break
			}
		}
	}
	return found
}

// TestActionsFromTheKeyboard: pause a VM with its key, see the list change,
// then force another off through the action menu and its question.
func TestActionsFromTheKeyboard(t *testing.T) {
	tm := run(t, "linux", 100, 30, "--demo")
	tm.waitFor("Virtual machines")
	tm.keys("1")
	tm.waitFor("NAME")
	tm.keys("/", "web-01", "Enter")
	tm.waitFor("1 of 14 shown")
	tm.keys("p")
	tm.waitFor("web-01 paused")
	if s := tm.screen(); !strings.Contains(s, "paused") {
		t.Errorf("web-01 should show as paused:\n%s", s)
	}
	tm.keys("x")
	tm.waitFor("Actions for web-01")
	tm.keys("F")
	tm.waitFor("Force off web-01?")
	tm.keys("y")
	tm.waitFor("web-01 forced off")
	tm.keys("Enter")
	tm.waitFor("starts with the host")
	s := tm.screen()
	if !strings.Contains(s, "shut off") || !strings.Contains(s, "forced off") {
		t.Errorf("the detail screen should show the state and the event:\n%s", s)
	}
}

// TestFeaturesOnLinuxConsole: choose a feature that needs another, see
// both and the risk change, stage it; the demo says it has no apply
// service. Everything in ASCII on TERM=linux.
func TestFeaturesOnLinuxConsole(t *testing.T) {
	tm := run(t, "linux", 80, 24, "--demo")
	tm.waitFor("Virtual machines")
	tm.keys("2")
	s := tm.waitFor("Features | phase setup")
	for _, want := range []string{"[MEDIUM]", "Nested virtualisation", "Security impact", "space turn on/off"} {
		if !strings.Contains(s, want) {
			t.Errorf("the Features screen lacks %q:\n%s", want, s)
		}
	}
	tm.keys("j", "j", " ")
	dialog := tm.waitFor("Turn on VFIO device assignment?")
	if !strings.Contains(dialog, `+ iommu: required by "vfio"`) || !strings.Contains(dialog, "risk 14 -> 21 (+7)") {
		t.Errorf("the dialog should show the other change and the risk:\n%s", dialog)
	}
	tm.keys("y")
	tm.waitFor("Changes risk 14 -> 21 (+7): +iommu +vfio")
	tm.keys("a")
	tm.waitFor("Stage and apply?")
	tm.keys("y")
	staged := tm.waitFor("staged by")
	for _, r := range staged {
		if r > 0x7e {
			t.Errorf("TERM=linux screen holds %q:\n%s", r, staged)
			break
		}
	}
	tm.keys("q")
	tm.waitFor("Quit hv?")
	tm.keys("y")
	tm.waitFor("hv-exited-0")
}
