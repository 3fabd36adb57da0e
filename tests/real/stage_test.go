package real

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/tests/need"
)

// TestStagingThroughTheDaemonAsOperator: the operator's host change goes
// through the hv daemon, which stages it as root (the operator may not
// write the staged file), records it, and starts the apply service (here
// there is no systemd, so it says the change waits); what only root may
// change is refused by the daemon, whatever the client says.
func TestStagingThroughTheDaemonAsOperator(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to read the daemon's staged file and switch to the operator")
	state := filepath.Join(filepath.Dir(e.hostFile), "state")
	staged := filepath.Join(state, "staged", "host.toml")
	os.Remove(staged)
	t.Cleanup(func() { os.Remove(staged) })
	env := []string{"HV_HOST_FILE=" + e.hostFile, "HV_STATE_DIR=" + state}
	bin := buildHV(t)

	out := runHVAs(t, bin, e.operator, env, "features", "enable", "hugepages")
	if !strings.Contains(out, "hugepages") || !strings.Contains(out, "staged") {
		t.Errorf("hv features enable as the operator:\n%s", out)
	}
	h, _, owner, err := nix.ReadHostOwned(staged)
	if err != nil {
		t.Fatalf("the daemon staged nothing: %v", err)
	}
	if !slices.Contains(h.Features, "hugepages") || h.Meta.UpdatedBy != e.operator || !owner.WrittenBy(0) {
		t.Errorf("staged %v by %q (owner root only: %v); want hugepages, by %s, written by root", h.Features, h.Meta.UpdatedBy, owner.WrittenBy(0), e.operator)
	}
	if info, err := os.Stat(filepath.Dir(staged)); err == nil && info.Mode().Perm()&0o022 != 0 {
		t.Errorf("operators may write %s (%v): only the daemon stages", filepath.Dir(staged), info.Mode())
	}

	// Applying: the daemon starts the apply service; this machine has no
	// systemd, so the change waits, and hv says so with root's command.
	stdout, stderr, code := runHV(t, bin, e.operator, env, "features", "apply", "--yes")
	if code != 1 || !strings.Contains(stderr, "did not start") || !strings.Contains(stderr, "hv apply --staged") {
		t.Errorf("hv features apply as the operator: exit %d\n%s%s", code, stdout, stderr)
	}

	// Leaving the hardened phase is root's, refused by the daemon.
	os.Remove(staged) // what the apply service would have taken
	setPhase(t, e, "hardened")
	_, stderr, code = runHV(t, bin, e.operator, env, "phase", "setup", "--yes")
	if code != 1 || !strings.Contains(stderr, "needs root") {
		t.Errorf("hv phase setup as the operator on a hardened host: exit %d: %s", code, stderr)
	}

	entries, err := audit.Open(audit.SystemPath).Read()
	if err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, en := range entries {
		if en.User == e.operator && (strings.HasPrefix(en.Action, "features.") || strings.HasPrefix(en.Action, "phase.")) {
			mine = append(mine, en.Action+" "+en.Result)
		}
	}
	if len(mine) < 3 || mine[len(mine)-3] != "features.stage ok" || mine[len(mine)-2] != "features.apply ok" || mine[len(mine)-1] != "phase.leave refused" {
		t.Errorf("the daemon's trail of the operator's host changes: %q", mine)
	}
}
