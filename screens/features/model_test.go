package features

import (
	"context"
	"errors"
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
	"github.com/hyper-nixos/hv/security/audit"
	feat "github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
)

// harness runs the screen as the app would: it keeps the dialog the
// screen opens, and the last error and status it reports.
type harness struct {
	t      *testing.T
	m      *Model
	c      *ui.Common
	paths  nix.Paths
	dialog ui.Dialog
	err    error
	status string
	starts int
	log    *audit.Log
}

// recorded are the trail's entries, "action target".
func (h *harness) recorded() []string {
	entries, _ := h.log.Read()
	var out []string
	for _, e := range entries {
		out = append(out, e.Action+" "+e.Target)
	}
	return out
}

func open(t *testing.T, w, h int, term string, demo bool) *harness {
	t.Helper()
	paths, err := nix.PrepareDir(t.TempDir(), content.DemoHostTOML)
	if err != nil {
		t.Fatal(err)
	}
	c := uitest.Common(nil, w, h)
	if term != "" {
		c = ui.NewCommon(nil, "operator", term)
		c.Width, c.Height, c.Tick, c.Now = w, h, uitest.NoTick, uitest.Common(nil, w, h).Now
	}
	hs := &harness{t: t, c: c, paths: paths, log: audit.Open(filepath.Join(t.TempDir(), "audit.log"))}
	stager := &hostchange.Stager{Paths: paths, Catalog: feat.Builtin(), Log: hs.log, Where: "test",
		StartApply: func(context.Context) error { hs.starts++; return nil }}
	if demo {
		stager.StartApply = nil
	}
	opts := Options{Paths: paths, Applies: !demo, Stage: func(ctx context.Context, req hostchange.Request) (hostchange.Result, error) {
		return stager.Stage(ctx, hs.m.opts.Who, "operator", req)
	}}
	hs.m = New(c, opts)
	hs.run(hs.m.Init())
	return hs
}

func (h *harness) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ui.OpenDialogMsg:
		h.dialog = msg.Dialog
		return nil
	case ui.ErrorMsg:
		h.err = msg.Err
		return nil
	case ui.StatusMsg:
		h.status = msg.Text
		return nil
	}
	return h.m.Update(msg)
}

func (h *harness) run(cmd tea.Cmd) { uitest.Drain(h.t, h.update, cmd) }

// press sends keys to the dialog when one is open, else to the screen.
func (h *harness) press(keys ...string) {
	for _, k := range keys {
		if h.dialog != nil {
			done, cmd := h.dialog.Update(uitest.Key(k))
			if done {
				h.dialog = nil
			}
			h.run(cmd)
			continue
		}
		h.err = nil
		h.run(h.m.Update(uitest.Key(k)))
	}
}

// to moves the cursor onto a feature.
func (h *harness) to(id string) {
	h.t.Helper()
	for i, r := range h.m.rows {
		if r.f != nil && r.f.ID == id {
			h.m.cursor = i
			h.m.scroll()
			return
		}
	}
	h.t.Fatalf("no feature %s", id)
}

func (h *harness) view() string { return uitest.Plain(h.m.View()) }

func TestGolden(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			// The app's chrome takes three lines.
			h := open(t, sz[0], sz[1]-3, "", false)
			golden.RequireEqual(t, h.view())
		})
	}
}

// TestGoldenPendingOnConsole: the Linux console's ASCII glyphs, with
// changes pending and the cursor in another category.
func TestGoldenPendingOnConsole(t *testing.T) {
	h := open(t, 80, 21, "linux", false)
	h.to("hugepages")
	h.press("space")
	h.to("ssh")
	h.press("space")
	golden.RequireEqual(t, h.view())
}

func TestToggleShowsEverythingElseThatChanges(t *testing.T) {
	h := open(t, 100, 30, "", false)
	h.to("gpu-passthrough")
	h.press("space")
	if h.dialog == nil {
		t.Fatal("turning on a feature that pulls in others should ask first")
	}
	d := uitest.Plain(h.dialog.View())
	for _, want := range []string{"Turn on GPU passthrough?", "Also changes:", `+ pci-passthrough: required by "gpu-passthrough"`,
		`+ vfio: required by "pci-passthrough"`, `+ iommu: required by "vfio"`, "risk 14 → 33 (+19): virtualisation +19", "HIGH risk"} {
		if !strings.Contains(d, want) {
			t.Errorf("the dialog lacks %q:\n%s", want, d)
		}
	}
	if strings.Contains(d, "+ gpu-passthrough") {
		t.Errorf("the asked feature is the title, not an 'also':\n%s", d)
	}
	h.press("n")
	if h.m.current.IsOn("gpu-passthrough") {
		t.Fatal("no should change nothing")
	}
	h.press("space", "y")
	v := h.view()
	for _, want := range []string{"▌+[x] GPU passthrough", " +[+] IOMMU", "Changes risk 14 → 33 (+19): +gpu-passthrough +iommu", "unsaved"} {
		if !strings.Contains(v, want) {
			t.Errorf("after yes the view lacks %q:\n%s", want, v)
		}
	}
	// Turning a requirement off takes what needs it along, after asking.
	h.to("iommu")
	h.press("space")
	if d := uitest.Plain(h.dialog.View()); !strings.Contains(d, `- gpu-passthrough: it needs "iommu", which you turned off`) {
		t.Errorf("disable dialog:\n%s", d)
	}
	h.press("y")
	if h.m.current.IsOn("gpu-passthrough") || h.m.dirty() {
		t.Errorf("back to the loaded selection expected, dirty=%v", h.m.dirty())
	}
}

func TestASimpleToggleNeedsNoDialog(t *testing.T) {
	h := open(t, 100, 30, "", false)
	h.to("hugepages")
	h.press("space")
	if h.dialog != nil || !h.m.current.IsSelected("hugepages") {
		t.Fatalf("a low-risk feature with no requirements turns on at once (dialog %v)", h.dialog != nil)
	}
	if h.status != "risk 14 → 15 (+1)" {
		t.Errorf("status %q", h.status)
	}
	if !h.m.Esc() || h.m.current.IsOn("hugepages") {
		t.Error("esc should undo unsaved changes first")
	}
	if h.m.Esc() {
		t.Error("with nothing to undo esc means back")
	}
}

func TestRefusalsSayWhy(t *testing.T) {
	h := open(t, 100, 30, "", false)
	h.to("usb-passthrough")
	h.press("space")
	h.to("usbguard")
	h.press("space")
	if h.err == nil || !strings.Contains(h.err.Error(), `"usb-passthrough" conflicts with "usbguard"`) || ui.Safe(fixOf(h.err)) != "turn the other one off first" {
		t.Errorf("conflict: %v", h.err)
	}
	if h.m.current.IsOn("usbguard") {
		t.Error("a refused change was made")
	}
	if v := h.view(); !strings.Contains(v, "Off: conflicts with usb-passthrough, which is on") {
		t.Errorf("the details should say why usbguard is off:\n%s", v)
	}
	h.to("ksm")
	h.press("space", "h")
	if h.err == nil || !strings.Contains(h.err.Error(), `"ksm" is not allowed in the hardened phase`) {
		t.Errorf("phase switch with ksm on: %v", h.err)
	}
	h.to("bridge-uplink")
	h.press("space", "space")
	h.to("sriov")
	h.press("space")
	if h.err == nil || !strings.Contains(h.err.Error(), "needs passthrough.sriov_vfs") {
		t.Errorf("a feature without its setting: %v", h.err)
	}
}

func TestCriticalFeaturesAskToTypeTheirID(t *testing.T) {
	h := open(t, 100, 30, "", false)
	h.to("console-network")
	h.press("space")
	if _, ok := h.dialog.(*ui.TypeName); !ok {
		t.Fatalf("a critical feature should ask for its id, got %T", h.dialog)
	}
	h.press("y", "enter")
	if h.dialog == nil || h.m.current.IsOn("console-network") {
		t.Fatal("a wrong word must not confirm")
	}
	h.press("backspace")
	for _, r := range "console-network" {
		h.press(string(r))
	}
	h.press("enter")
	if !h.m.current.IsOn("console-network") {
		t.Error("typing the id should confirm")
	}
}

func TestPresets(t *testing.T) {
	h := open(t, 120, 37, "", false)
	h.press("p")
	if d := uitest.Plain(h.dialog.View()); !strings.Contains(d, "Paranoid") || !strings.Contains(d, "Permissive") {
		t.Fatalf("picker:\n%s", d)
	}
	h.press("1")
	d := uitest.Plain(h.dialog.View())
	if !strings.Contains(d, "Use the Paranoid preset?") || !strings.Contains(d, "Phase setup → hardened") || !strings.Contains(d, "Turns 16 on and 3 off:") {
		t.Errorf("preset confirmation:\n%s", d)
	}
	h.press("y")
	if h.m.draft.Phase != "hardened" || !h.m.current.IsOn("usbguard") || h.m.current.IsOn("nested-virt") {
		t.Errorf("paranoid not applied: %s %v", h.m.draft.Phase, h.m.current.Enabled)
	}
}

func TestApplyStagesAndFollowsTheService(t *testing.T) {
	h := open(t, 100, 30, "", false)
	h.to("hugepages")
	h.press("space", "a")
	d := uitest.Plain(h.dialog.View())
	if !strings.Contains(d, "Stage and apply?") || !strings.Contains(d, "+ hugepages: selected") || !strings.Contains(d, "apply.service (root) checks it") {
		t.Fatalf("apply dialog:\n%s", d)
	}
	h.press("y")
	staged, _, err := nix.ReadHost(h.paths.Staged)
	if err != nil || !strings.Contains(strings.Join(staged.Features, ","), "hugepages") || staged.Meta.UpdatedBy != "operator" {
		t.Fatalf("staged %+v, %v", staged, err)
	}
	if h.starts != 1 || !h.m.watch.Running {
		t.Fatalf("the apply service was started %d times, applying=%v", h.starts, h.m.watch.Running)
	}
	if r := h.recorded(); len(r) != 1 || r[0] != "features.stage +hugepages" {
		t.Errorf("audit trail got %q", r)
	}
	// No result yet: keep waiting.
	h.run(h.m.watch.Poll)
	if !h.m.watch.Running {
		t.Fatal("stopped waiting without a result")
	}
	if !strings.Contains(h.view(), "applying") {
		t.Errorf("the status line should say it is applying:\n%s", h.view())
	}
	nix.WriteApplyResult(h.paths.Result, &nix.ApplyResult{Status: nix.ApplyRefused, Message: "the staged host file makes changes only root may make",
		Started: "2026-11-26T12:00:00Z", Finished: "2026-11-26T12:00:05Z"})
	h.run(h.m.watch.Poll)
	if h.m.watch.Running || !strings.Contains(h.status, "apply refused") {
		t.Errorf("applying=%v status %q", h.m.watch.Running, h.status)
	}
	if !strings.Contains(h.view(), "last apply refused") {
		t.Errorf("the result should show:\n%s", h.view())
	}
}

func TestApplyWithoutAService(t *testing.T) {
	h := open(t, 100, 30, "", true)
	h.to("hugepages")
	h.press("space", "a")
	if d := uitest.Plain(h.dialog.View()); !strings.Contains(d, "This demo has no apply service") {
		t.Errorf("the dialog should say the demo only stages:\n%s", d)
	}
	h.press("y")
	if !strings.Contains(h.status, "the demo has no apply service") {
		t.Errorf("status %q", h.status)
	}
	if _, err := os.Stat(h.paths.Staged); err != nil {
		t.Errorf("not staged: %v", err)
	}
}

func TestApplyRefusesToOverwriteNewerStaging(t *testing.T) {
	h := open(t, 100, 30, "", false)
	other := nix.NewHost("setup", []string{"ssh"})
	if _, err := nix.WriteHost(h.paths.Staged, other, nil); err != nil {
		t.Fatal(err)
	}
	theirs, _ := os.ReadFile(h.paths.Staged)
	h.to("hugepages")
	h.press("space", "a", "y")
	if !errors.Is(h.err, nix.ErrChanged) {
		t.Errorf("got %v, want ErrChanged", h.err)
	}
	if now, _ := os.ReadFile(h.paths.Staged); string(now) != string(theirs) {
		t.Error("another operator's staged file was overwritten")
	}
	if h.starts != 0 {
		t.Error("started the service after a failed stage")
	}
}

func TestUnreadableStagedFileIsShownAndKept(t *testing.T) {
	paths, _ := nix.PrepareDir(t.TempDir(), content.DemoHostTOML)
	bad := "version = 1\nphase = \"setup\"\nfeatures = [\"ssh\"\n"
	os.WriteFile(paths.Staged, []byte(bad), 0o644)
	m := New(uitest.Common(nil, 80, 21), Options{Paths: paths})
	uitest.Drain(t, m.Update, m.Init())
	v := uitest.Plain(m.View())
	for _, want := range []string{"The host file cannot be used", "line 3, column 18", "never overwrites", "ctrl+r read it again"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	os.WriteFile(paths.Staged, []byte(bad+"]\n"), 0o644)
	uitest.Drain(t, m.Update, m.Update(uitest.Key("ctrl+r")))
	if m.loadErr != nil || !m.current.IsOn("ssh") {
		t.Errorf("after fixing the file and r: %v", m.loadErr)
	}
}

func TestNamesFromTheHostFileAreEscaped(t *testing.T) {
	paths, _ := nix.PrepareDir(t.TempDir(), content.DemoHostTOML)
	h := nix.NewHost("setup", []string{"ssh"})
	h.Meta.UpdatedBy = "mallory\x1b]0;pwned\x07\x1b[2J"
	data, _ := nix.EncodeHost(h)
	os.WriteFile(paths.Staged, data, 0o644)
	m := New(uitest.Common(nil, 100, 30), Options{Paths: paths})
	uitest.Drain(t, m.Update, m.Init())
	if v := m.View(); strings.Contains(v, "\x1b]0;") || strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x07") {
		t.Errorf("control sequences from the host file reached the terminal: %q", v)
	}
}

func TestKeysHaveHelp(t *testing.T) {
	m := New(uitest.Common(nil, 80, 21), Options{})
	for _, group := range m.Keys().FullHelp() {
		for _, b := range group {
			if b.Help().Key == "" || b.Help().Desc == "" {
				t.Errorf("binding %v has no help", b.Keys())
			}
		}
	}
	if !strings.Contains(m.Help(), "risk score") {
		t.Error("the help paragraph should explain the score")
	}
}

// TestHardenedHostRefusesWhatOnlyRootMay: on a hardened host an operator
// cannot turn hardening off nor leave the phase; the screen says so at the
// key press, as the apply service would, and root may.
func TestHardenedHostRefusesWhatOnlyRootMay(t *testing.T) {
	h := open(t, 100, 30, "", false)
	applied, raw, err := nix.ReadHost(h.paths.Host)
	if err != nil {
		t.Fatal(err)
	}
	applied.Phase = "hardened"
	applied.Features = slices.DeleteFunc(applied.Features, func(id string) bool { return id == "nested-virt" || id == "shared-folders" })
	if _, err := nix.WriteHost(h.paths.Host, applied, raw); err != nil {
		t.Fatal(err)
	}
	h.press("ctrl+r")
	h.to("sysctl-hardening")
	h.press("space")
	if h.err == nil || !strings.Contains(h.err.Error(), `turning off "sysctl-hardening" in the hardened phase needs root`) {
		t.Errorf("hardening off: %v", h.err)
	}
	h.press("h")
	if h.err == nil || !strings.Contains(h.err.Error(), "leaving the hardened phase for setup needs root: run 'hv phase setup' as root") {
		t.Errorf("leaving the phase: %v", h.err)
	}
	if !h.m.current.IsOn("sysctl-hardening") || h.m.draft.Phase != "hardened" {
		t.Error("a refused change was made")
	}
	h.m.opts.Who = phase.Root
	h.to("sysctl-hardening")
	h.press("space")
	if h.dialog == nil || !strings.Contains(uitest.Plain(h.dialog.View()), "Turn off Kernel hardening settings?") {
		t.Fatalf("root turning hardening off is asked first (the matrix's question), dialog: %v", h.dialog)
	}
	h.press("y")
	if h.err != nil || h.m.current.IsOn("sysctl-hardening") {
		t.Errorf("root may turn hardening off: %v", h.err)
	}
}
