package wizard

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/access"
	"github.com/hyper-nixos/hv/security/audit"
	feat "github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/security/hostcheck"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
)

// fixture is a host for the wizard: its contract files in a directory of
// their own (none at first: a new host), a network card, three users.
type fixture struct {
	dir      string
	paths    nix.Paths
	progress string
	started  int
	recorded []string
}

func newFixture(t *testing.T, hostTOML []byte) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, paths: nix.PathsIn(dir), progress: filepath.Join(dir, "wizard.json")}
	os.MkdirAll(filepath.Dir(f.paths.Staged), 0o700)
	if hostTOML != nil {
		if _, err := nix.PrepareDir(dir, hostTOML); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// netDir is /sys/class/net with one physical card and loopback.
func netDir(t *testing.T) string {
	dir, devices := t.TempDir(), t.TempDir()
	for name, target := range map[string]string{"enp3s0": "pci0000:00/0000:00:03.0/net/enp3s0", "lo": "virtual/net/lo"} {
		real := filepath.Join(devices, target)
		os.MkdirAll(real, 0o755)
		os.WriteFile(filepath.Join(real, "operstate"), []byte("up\n"), 0o644)
		os.WriteFile(filepath.Join(real, "address"), []byte("52:54:00:12:34:56\n"), 0o644)
		os.Symlink(real, filepath.Join(dir, name))
	}
	return dir
}

// report is what Diagnose finds on a host with KVM, fixed for goldens.
func report(context.Context) (*access.Report, error) {
	f := access.Facts{Identity: access.Identity{User: "root"}, Group: "hvoperators", GroupExists: true,
		Libvirt: access.Libvirt{URI: "qemu:///system"}, Staging: access.Path{Path: "/var/lib/hyper-nixos/staged", Writable: true, System: true},
		Audit: access.Path{Path: "/var/log/hyper-nixos/audit.log", Writable: true, System: true},
		Apply: access.Unit{Name: nix.ApplyUnit, Installed: true}, Rule: access.Rule{Installed: true}}
	cpu := hostcheck.CPU([]byte("flags : fpu vmx\n"), nil)
	return &access.Report{Facts: f, Capabilities: access.Map(f), Host: []hostcheck.Check{cpu,
		hostcheck.IOMMU("/nonexistent"), hostcheck.KVM("/dev/kvm", cpu, hostcheck.Libvirt{Accel: "kvm"}),
		hostcheck.LibvirtCheck(hostcheck.Libvirt{URI: "qemu:///system", Access: vm.ReadWrite})}}, nil
}

func (f *fixture) open(t *testing.T, w, h int, who phase.Who) (*uitest.Harness, *Model) {
	t.Helper()
	return f.openOn(t, nil, w, h, who)
}

// openOn is open with the wizard connected to hv, whose networks it sees.
func (f *fixture) openOn(t *testing.T, hv vm.Hypervisor, w, h int, who phase.Who) (*uitest.Harness, *Model) {
	t.Helper()
	c := uitest.Common(hv, w, h)
	c.Glyphs = ui.GlyphsFor("linux")
	c.Styles = ui.NewStyles(ui.DefaultPalette, c.Glyphs)
	c.User = "root"
	m := New(c, Options{Paths: f.paths, Who: who, Diagnose: report, Progress: f.progress,
		Host:        hostcheck.Paths{Net: netDir(t), Passwd: passwd},
		VerifyAudit: func(context.Context) (int, error) { return audit.Open(filepath.Join(f.dir, "audit.log")).Verify() },
		Applies:     true,
		Stage: func(ctx context.Context, req hostchange.Request) (hostchange.Result, error) {
			s := &hostchange.Stager{Paths: f.paths, Catalog: feat.Builtin(), Where: "test",
				StartApply: func(context.Context) error { f.started++; return nil }}
			res, err := s.Stage(ctx, who, "root", req)
			if err == nil {
				f.recorded = append(f.recorded, req.Action+" "+req.Summary)
			}
			return res, err
		}})
	hs := uitest.NewHarness(t, m)
	m.disk = hostcheck.DiskSpace("/var/lib/libvirt/images", "/var/lib/libvirt/images", 200<<30, 500<<30) // not this machine's
	m.diskFor = m.answers.ImagesDir
	return hs, m
}

var passwd, _ = filepath.Abs(filepath.Join("testdata", "passwd"))

func typeInto(h *uitest.Harness, text string) { h.Send(uitest.Type(text)...) }

func clear(h *uitest.Harness, n int) {
	for range n {
		h.Press("backspace")
	}
}

// TestWalkThroughANewHost: every step of a host with no host file yet, as
// a newcomer goes through them, to a staged host file the Go checks accept
// and the apply service started.
func TestWalkThroughANewHost(t *testing.T) {
	f := newFixture(t, nil)
	h, m := f.open(t, 80, 21, phase.Root)
	if !strings.Contains(h.View(), "This host has no host file yet") {
		t.Fatalf("a new host should be said so:\n%s", h.View())
	}
	h.Press("enter") // welcome
	if v := h.View(); !strings.Contains(v, "[ok] CPU virtualisation: Intel VT-x") || !strings.Contains(v, "2/9 Host checks") {
		t.Fatalf("host checks:\n%s", v)
	}
	h.Press("enter") // checks
	h.Press("tab")
	typeInto(h, "alice, carol")
	if !strings.Contains(h.View(), "not users of this machine yet: carol") {
		t.Errorf("an unknown user is a warning:\n%s", h.View())
	}
	h.Press("enter")
	if steps[m.step].id != stepNetwork {
		t.Fatalf("a warning does not stop the step: at %s, %s", steps[m.step].id, m.stepErr)
	}
	h.Press("right") // bridge
	if !strings.Contains(h.View(), "Uplink      [enp3s0]") {
		t.Errorf("the bridge asks for the uplink:\n%s", h.View())
	}
	h.Press("enter", "enter") // network, storage
	h.Press("right")          // preset: cautious -> balanced
	h.Press("enter")          // preset
	if v := h.View(); !strings.Contains(v, "risk") || !strings.Contains(v, "Bridge to the uplink") && !strings.Contains(v, "bridge-uplink") {
		t.Errorf("review:\n%s", v)
	}
	h.Press("enter") // review
	h.Press("end")   // the pre-checks, at the bottom on a 24-line console
	if v := h.View(); m.fields[stepPhase][0].value() != "hardened" || !strings.Contains(v, "[ok] The audit trail is intact") {
		t.Errorf("the balanced preset suggests the hardened phase, with its pre-checks:\n%s", v)
	}
	h.Press("enter") // phase
	if v := h.View(); !strings.Contains(v, "A new host file") || !strings.Contains(v, "+ phase = 'hardened'") {
		t.Errorf("summary:\n%s", v)
	}
	h.Press("enter") // write
	staged, _, err := nix.ReadHost(f.paths.Staged)
	if err != nil {
		t.Fatalf("nothing staged: %v (%v)", err, h.Errors)
	}
	if r := feat.Builtin().CheckHost(staged); !r.OK() {
		t.Errorf("the staged host file has problems: %v", r.Problems)
	}
	if staged.Phase != "hardened" || staged.Network.Uplink != "enp3s0" || strings.Join(staged.Operators.Users, ",") != "alice,carol" ||
		!slices.Contains(staged.Features, "bridge-uplink") || !slices.Contains(staged.Features, "dir-pool") {
		t.Errorf("staged %+v", staged)
	}
	if f.started != 1 || len(f.recorded) != 1 || !strings.HasPrefix(f.recorded[0], "wizard.stage") {
		t.Errorf("apply started %d times, recorded %v", f.started, f.recorded)
	}
	if _, err := os.Stat(f.progress); !os.IsNotExist(err) {
		t.Errorf("the progress should be forgotten once staged: %v", err)
	}
}

// TestInterruptedWizardResumes: the answers and the step survive leaving.
func TestInterruptedWizardResumes(t *testing.T) {
	f := newFixture(t, nil)
	h, _ := f.open(t, 80, 21, phase.Root)
	h.Press("enter", "enter", "tab")
	typeInto(h, "bob")
	h.Press("enter") // saved at the network step
	h2, m2 := f.open(t, 80, 21, phase.Root)
	if steps[m2.step].id != stepNetwork || m2.answers.Users != "bob" || !strings.Contains(h2.View(), "Resumed where you left off") {
		t.Fatalf("resumed at %s with users %q:\n%s", steps[m2.step].id, m2.answers.Users, h2.View())
	}
	// The app hands esc to the screen's Esc first: back a step at a time;
	// in a text field the keys go to the screen, esc included: still back.
	if !m2.Esc() || steps[m2.step].id != stepOperators || !m2.Capturing() {
		t.Fatalf("at %s", steps[m2.step].id)
	}
	h2.Press("esc")
	if steps[m2.step].id != stepChecks {
		t.Errorf("esc goes back a step at a time: at %s", steps[m2.step].id)
	}
	if !m2.Esc() || m2.Esc() {
		t.Error("on the first step, esc leaves the wizard")
	}
	h2.Press("enter", "enter")
	step, users := m2.step, m2.answers.Users
	h2.Press("ctrl+n")
	if h2.Dialog == nil || !strings.Contains(uitest.Flat(h2.Dialog.View()), "Every answer given so far is forgotten") {
		t.Fatalf("ctrl+n must ask before forgetting the answers:\n%s", h2.View())
	}
	h2.Press("n")
	if m2.step != step || m2.answers.Users != users || users == "" {
		t.Errorf("declining must keep the answers: step %d, users %q", m2.step, m2.answers.Users)
	}
	h2.Press("ctrl+n", "y")
	if m2.step != 0 || m2.answers.Users != "" {
		t.Errorf("ctrl+n then yes starts over: step %d, users %q", m2.step, m2.answers.Users)
	}
}

// TestEveryFieldSaysWhyItIsRefused: a bad value blocks the step with the
// reason, by the schema's rules.
func TestEveryFieldSaysWhyItIsRefused(t *testing.T) {
	f := newFixture(t, nil)
	h, m := f.open(t, 100, 30, phase.Root)
	h.Press("enter", "enter")
	clear(h, 20)
	typeInto(h, "Ops Team")
	h.Press("enter")
	if steps[m.step].id != stepOperators || !strings.Contains(m.stepErr, `"Ops Team" is not a group name`) {
		t.Errorf("a bad group: at %s, %q", steps[m.step].id, m.stepErr)
	}
	clear(h, 20)
	typeInto(h, "ops")
	h.Press("enter")
	h.Press("down") // the subnet, under NAT
	clear(h, 30)
	typeInto(h, "10.0.0.0/8")
	h.Press("enter")
	if !strings.Contains(h.View(), "10.0.0.0/8\" is not an IPv4 subnet from /16 to /30") || steps[m.step].id != stepNetwork {
		t.Errorf("a bad subnet:\n%s", h.View())
	}
	clear(h, 20)
	typeInto(h, "10.20.0.0/24")
	h.Press("enter")
	clear(h, 40)
	typeInto(h, "vm disks")
	h.Press("enter")
	if !strings.Contains(m.stepErr, "is not an absolute path") {
		t.Errorf("a bad directory: %q", m.stepErr)
	}
}

// TestOnlyRootChoosesOperators: an operator sees the operators, locked,
// with the command root runs.
func TestOnlyRootChoosesOperators(t *testing.T) {
	f := newFixture(t, content.DemoHostTOML)
	h, m := f.open(t, 100, 30, phase.Operator)
	h.Press("enter", "enter")
	if v := h.View(); !strings.Contains(v, "only root chooses operators") || !strings.Contains(v, "run 'hv wizard' as root") || m.Capturing() {
		t.Errorf("operators for an operator:\n%s", v)
	}
}

// TestHardeningNeedsThePreChecks: with a critical feature kept, the
// hardened phase is refused with the reason.
func TestHardeningNeedsThePreChecks(t *testing.T) {
	demo := strings.Replace(string(content.DemoHostTOML), `"uefi",`, `"uefi", "console-network",`, 1)
	f := newFixture(t, []byte(demo))
	h, m := f.open(t, 100, 30, phase.Root)
	walkTo(t, h, m, stepPhase)
	h.Press("right") // hardened
	h.Press("enter")
	if steps[m.step].id != stepPhase || !strings.Contains(m.stepErr, "critical features are on: console-network") {
		t.Errorf("at %s: %q", steps[m.step].id, m.stepErr)
	}
}

func TestGolden(t *testing.T) {
	for _, step := range []string{stepWelcome, stepChecks, stepOperators, stepNetwork, stepPhase, stepSummary} {
		for _, sz := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s-%dx%d", step, sz[0], sz[1]), func(t *testing.T) {
				// Relative paths, the same on every run, in the views.
				cwd, _ := os.Getwd()
				os.Chdir(t.TempDir())
				f := newFixture(t, content.DemoHostTOML)
				f.paths, f.dir = nix.PathsIn("host"), "host"
				nix.PrepareDir("host", content.DemoHostTOML)
				h, m := f.open(t, sz[0], sz[1]-3, phase.Root)
				walkTo(t, h, m, step)
				view := h.View()
				os.Chdir(cwd)
				for _, r := range view {
					if r > 0x7e && r != '\n' {
						t.Errorf("TERM=linux screen holds %q", r)
						break
					}
				}
				golden.RequireEqual(t, view)
			})
		}
	}
}

// walkTo presses enter until the wizard is at step.
func walkTo(t *testing.T, h *uitest.Harness, m *Model, step string) {
	t.Helper()
	for range steps {
		if steps[m.step].id == step {
			return
		}
		h.Press("enter")
		if m.stepErr != "" {
			t.Fatalf("stopped at %s: %s", steps[m.step].id, m.stepErr)
		}
	}
	t.Fatalf("never reached %s", step)
}

// signals records what the wizard tells the tutorials.
type signals struct {
	*Model
	got []string
}

func (s *signals) Update(msg tea.Msg) tea.Cmd {
	if sig, ok := msg.(ui.SignalMsg); ok {
		s.got = append(s.got, sig.Name+" "+sig.Arg)
	}
	return s.Model.Update(msg)
}

// TestSignalsForTheTutorials: each step completed, then the phase once the
// host file is staged (the hardening tutorial waits for it).
func TestSignalsForTheTutorials(t *testing.T) {
	f := newFixture(t, content.DemoHostTOML)
	_, m := f.open(t, 100, 30, phase.Root)
	s := &signals{Model: m}
	h := uitest.NewHarness(t, s)
	walkTo(t, h, m, stepPhase)
	h.Press("right", "enter", "enter") // hardened, then write
	want := []string{"wizard-step welcome", "wizard-step checks", "wizard-step operators", "wizard-step network", "wizard-step storage",
		"wizard-step preset", "wizard-step review", "wizard-step phase", "wizard-step summary", "phase-set hardened"}
	// The last two come in one batch, in either order.
	slices.Sort(s.got)
	slices.Sort(want)
	if !slices.Equal(s.got, want) {
		t.Errorf("signals\n%q\nwant\n%q", s.got, want)
	}
}

// The summary's diff shows the features that change, not the ones that
// moved: features are written in one order.
func TestSummaryDiffShowsOnlyRealChanges(t *testing.T) {
	f := newFixture(t, content.DemoHostTOML)
	h, m := f.open(t, 120, 200, phase.Root)
	walkTo(t, h, m, stepPreset)
	h.Press("right", "right") // past "current" and "paranoid", to "cautious"
	walkTo(t, h, m, stepSummary)
	base := map[string]bool{}
	for _, id := range m.state.Applied.Features {
		base[id] = true
	}
	draft := map[string]bool{}
	for _, id := range m.draft().Features {
		draft[id] = true
	}
	changed := 0
	for _, line := range strings.Split(h.View(), "\n") {
		rest := strings.TrimSpace(line[min(1, len(line)):])
		if !strings.HasPrefix(rest, "'") {
			continue
		}
		id := strings.Trim(rest, "',")
		switch {
		case strings.HasPrefix(line, "-"):
			changed++
			if draft[id] {
				t.Errorf("the diff removes %s, which the new file keeps", id)
			}
		case strings.HasPrefix(line, "+"):
			changed++
			if base[id] {
				t.Errorf("the diff adds %s, which the old file had", id)
			}
		}
	}
	if changed == 0 {
		t.Errorf("a new preset should change features:\n%s", h.View())
	}
}

// A NAT subnet that overlaps one of libvirt's networks is refused, as the
// Networks screen refuses it; the network hv itself makes is no rival.
func TestNATSubnetMustNotOverlapANetwork(t *testing.T) {
	f := newFixture(t, content.DemoHostTOML)
	h, m := f.openOn(t, uitest.Demo(t), 100, 30, phase.Root)
	walkTo(t, h, m, stepNetwork)
	for i := 0; i < 3 && m.focused().label != "NAT subnet"; i++ {
		h.Press("tab")
	}
	if f := m.focused(); f.label != "NAT subnet" {
		t.Fatalf("tab should reach the NAT subnet, it is on %s", f.label)
	}
	h.Press("ctrl+u")
	typeInto(h, "192.168.122.0/25")
	h.Press("enter")
	if steps[m.step].id != stepNetwork || !strings.Contains(uitest.Flat(h.View()), "overlaps libvirt network default (192.168.122.1/24)") {
		t.Errorf("an overlapping subnet must be refused with the reason:\n%s", h.View())
	}
	h.Press("ctrl+u")
	typeInto(h, "10.77.0.0/24")
	h.Press("enter")
	if steps[m.step].id == stepNetwork {
		t.Errorf("a free subnet should be taken: %s", m.stepErr)
	}
}
