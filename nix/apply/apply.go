// Package apply is what hyper-nixos-apply.service does, as root, when an
// operator starts it: check the staged host file with the same rules as
// hv and the NixOS module, refuse what only root may change, install the
// file into the NixOS configuration, rebuild, and leave a result for hv.
// A failed rebuild puts the previous host file back.
package apply

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/phase"
)

// Options of one apply.
type Options struct {
	Staged  string   // the file operators staged
	Install string   // the host file of the NixOS configuration
	Result  string   // where the result goes
	Rebuild []string // the rebuild command, run after installing
	Catalog *features.Catalog
	// Audit is the audit trail, verified before a host is hardened.
	Audit *audit.Log
	// RootUID is the owner whose staged files may make what only root may
	// (leave the hardened phase, change operators): root, 0. Tests use
	// their own uid.
	RootUID int
	Now     func() time.Time
	// Run runs the rebuild and returns its output; tests replace it.
	Run func(ctx context.Context, argv []string) ([]byte, error)
}

// OutputLines is how much of the rebuild's output the result keeps.
const OutputLines = 40

// Run applies the staged file and writes the result, whatever happens.
// The error is nil when the apply went through, or there was nothing to do.
func Run(ctx context.Context, o Options) (*nix.ApplyResult, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Run == nil {
		o.Run = run
	}
	r := &nix.ApplyResult{Started: stamp(o.Now())}
	apply(ctx, o, r)
	r.Finished = stamp(o.Now())
	if err := nix.WriteApplyResult(o.Result, r); err != nil {
		return r, fmt.Errorf("%s; and the result could not be written: %w", r.Message, err)
	}
	if !r.OK() && r.Status != nix.ApplyNothing {
		return r, &Failure{Result: r}
	}
	return r, nil
}

// Failure is an apply that did not go through.
type Failure struct{ Result *nix.ApplyResult }

func (f *Failure) Error() string {
	if len(f.Result.Problems) == 0 {
		return f.Result.Message
	}
	return f.Result.Message + ": " + strings.Join(f.Result.Problems, "; ")
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func apply(ctx context.Context, o Options, r *nix.ApplyResult) {
	if o.Install == "" {
		set(r, nix.ApplyRefused, "no install path: set services.hyper-nixos.apply.installPath")
		return
	}
	var staged *nix.Host
	var data []byte
	var owner nix.Owner
	err := nix.WithLock(o.Staged, func() error {
		var err error
		staged, data, owner, err = nix.ReadHostOwned(o.Staged)
		return err
	})
	switch {
	case errors.Is(err, nix.ErrNoHostFile):
		set(r, nix.ApplyNothing, "nothing is staged: change features with hv first")
		return
	case err != nil:
		set(r, nix.ApplyInvalid, "the staged host file cannot be read", err.Error())
		return
	}
	sum := sha256.Sum256(data)
	r.StagedSHA256 = hex.EncodeToString(sum[:])

	installed, previous, err := nix.ReadHost(o.Install)
	firstInstall := errors.Is(err, nix.ErrNoHostFile)
	switch {
	case firstInstall:
		// A host set up for the first time (the wizard): the change is
		// judged against what the module runs without a host file.
		installed = nix.NewHost(string(phase.Setup), []string{})
	case err != nil:
		set(r, nix.ApplyRefused, "the host file of the configuration cannot be read; root must repair it or move it away ('hv wizard' or 'hv features init' writes a new one)", err.Error())
		return
	}
	if res := o.Catalog.CheckHost(staged); !res.OK() {
		set(r, nix.ApplyInvalid, "the staged host file breaks the rules; nothing changed", messages(res.Problems)...)
		return
	}
	// A staged file may do what only root may when root wrote it for
	// root: root owns it, nobody else may write it, and it says root
	// staged it. The hv daemon writes operators' changes as root too, but
	// stamps them with the operator's name, and checks them as theirs.
	who := phase.Operator
	if owner.WrittenBy(o.RootUID) && staged.Meta.UpdatedBy == "root" {
		who = phase.Root
	}
	if ps := o.Catalog.CheckChange(installed, staged, who); len(ps) > 0 {
		set(r, nix.ApplyRefused, "the staged host file makes changes only root may make, or the phase refuses; nothing changed", messages(ps)...)
		return
	}
	if phase.Of(staged.Phase) == phase.Hardened && phase.Of(installed.Phase) != phase.Hardened {
		if checks := hardenChecks(o, staged); !phase.Passed(checks) {
			set(r, nix.ApplyRefused, "the host cannot be hardened yet; nothing changed", phase.Failed(checks))
			return
		}
	}
	if err := nix.InstallHost(o.Install, data); err != nil {
		set(r, nix.ApplyFailed, "the host file could not be installed; nothing changed", err.Error())
		return
	}
	out, err := o.Run(ctx, o.Rebuild)
	r.Output = tail(out, OutputLines)
	if err != nil {
		if firstInstall {
			if rerr := os.Remove(o.Install); rerr != nil {
				set(r, nix.ApplyFailed, fmt.Sprintf("the rebuild failed (%v), and removing the new host file failed too: remove %s by hand", err, o.Install), rerr.Error())
				return
			}
			set(r, nix.ApplyFailed, fmt.Sprintf("the rebuild failed (%v); the new host file was removed again", err))
			return
		}
		if rerr := nix.InstallHost(o.Install, previous); rerr != nil {
			set(r, nix.ApplyFailed, fmt.Sprintf("the rebuild failed (%v), and putting the previous host file back failed too: restore %s by hand", err, o.Install), rerr.Error())
			return
		}
		set(r, nix.ApplyFailed, fmt.Sprintf("the rebuild failed (%v); the previous host file is back in place", err))
		return
	}
	// Done: the staged file has become the configuration's. Remove it
	// unless an operator staged something newer meanwhile.
	nix.WithLock(o.Staged, func() error {
		if now, err := os.ReadFile(o.Staged); err == nil && bytes.Equal(now, data) {
			return os.Remove(o.Staged)
		}
		return nil
	})
	set(r, nix.ApplyApplied, "the host file is installed and the system rebuilt")
}

// hardenChecks are the pre-checks of hardening, made again here: the
// service must not harden a host hv itself would not.
func hardenChecks(o Options, staged *nix.Host) []phase.Check {
	f := o.Catalog.HardenFacts(staged)
	if o.Audit == nil {
		f.AuditErr = errors.New("the apply service was given no audit trail to verify")
	} else {
		f.AuditPath = o.Audit.Path
		f.AuditEntries, f.AuditErr = o.Audit.Verify()
	}
	return phase.HardenChecks(f)
}

func set(r *nix.ApplyResult, status, message string, problems ...string) {
	r.Status, r.Message, r.Problems = status, message, problems
}

func messages(ps []features.Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Message
	}
	return out
}

// tail keeps the last n lines of out.
func tail(out []byte, n int) []string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines
}

// run runs argv with its output captured.
func run(ctx context.Context, argv []string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, errors.New("no rebuild command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	return cmd.CombinedOutput()
}
