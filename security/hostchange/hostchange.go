// Package hostchange stages a change of the host file: the one sequence
// behind 'hv features', 'hv phase', the Features screen and the setup
// wizard, run by the hv daemon for operators (and by root's hv and the
// demo themselves): check the new file with the catalog's rules and the
// permission matrix (what the phase refuses, what only root may do, what
// must be confirmed), write it as the staged file unless someone staged
// another since it was read (compare-and-swap), write the trail, and
// start the apply service.
package hostchange

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
)

// Request is one change to stage.
type Request struct {
	Next *nix.Host // the whole new host file
	// Expected is the staged file as the change was made from it; nil
	// when nothing was staged. Someone else's stage since refuses it.
	Expected []byte
	Action   string // for the trail: features.stage, phase.harden, wizard.stage...
	Summary  string // what changes, for the trail
	Apply    bool   // start the apply service once staged
}

// Result is what staging did.
type Result struct {
	Staged []byte // the staged file as written
	// ApplyStarted: the apply service was started; its result will be in
	// the contract's result file. ApplyErr says why it was not, when it
	// was asked for (the demo has none; systemd refused).
	ApplyStarted bool
	ApplyErr     error
}

// Func stages a change: a Stager's, or the daemon's through its API.
type Func func(ctx context.Context, req Request) (Result, error)

// Stager stages for one host contract.
type Stager struct {
	Paths   nix.Paths
	Catalog *features.Catalog
	Log     *audit.Log
	Where   string // names the stager in the trail: "hv daemon", "host file"
	// StartApply starts the apply service; nil where there is none.
	StartApply func(ctx context.Context) error
	Now        func() time.Time
}

// Refusal is a change the rules refuse, with each problem.
type Refusal struct {
	Problems []features.Problem
}

func (r *Refusal) Error() string {
	msgs := make([]string, len(r.Problems))
	for i, p := range r.Problems {
		msgs[i] = p.Message
	}
	return "nothing staged: " + strings.Join(msgs, "; ")
}

// Fix is the way forward.
func (r *Refusal) Fix() string {
	for _, p := range r.Problems {
		if p.Kind == features.RootOnly {
			return "only root may make this change: run the same command as root (root's changes are audited too)"
		}
	}
	return "turn off what conflicts or is not allowed, or set what is needed, then try again"
}

// Unwrap makes a refusal a vm.ErrDenied when it is about who may do it.
func (r *Refusal) Unwrap() error {
	for _, p := range r.Problems {
		if p.Kind == features.RootOnly || p.Kind == features.PhaseForbidden {
			return vm.ErrDenied
		}
	}
	return vm.ErrInvalidArg
}

// Running is the host file the system runs, or what a host without one
// runs as (the setup phase, nothing on): what a change is judged against.
func Running(st *nix.State) *nix.Host {
	if st.Applied != nil {
		return st.Applied
	}
	return nix.NewHost(string(phase.Setup), []string{})
}

// Question is what a change from running to next asks of who before it
// is staged: the strictest of its parts (turning on a feature of high or
// critical risk, hardening, leaving the phase, the operators), with the
// feature that asks it, if one does: its id is what a name question wants
// typed. The UI and the CLI ask it; the daemon checks the answer.
func Question(c *features.Catalog, running, next *nix.Host, who phase.Who) (phase.Rule, string) {
	var worst phase.Rule
	name := ""
	consider := func(p phase.Phase, op phase.Op, id string) {
		r := phase.Decide(p, op, who)
		if r.Verdict != phase.Confirm || r.Ask < worst.Ask {
			return
		}
		if r.Ask > worst.Ask || name == "" {
			name = id
		}
		worst = r
	}
	now, then := phase.Of(running.Phase), phase.Of(next.Phase)
	if then.Rank() > now.Rank() {
		consider(now, phase.Op{Kind: phase.PhaseHarden}, "")
	}
	if then.Rank() < now.Rank() {
		consider(now, phase.Op{Kind: phase.PhaseLeave}, "")
	}
	if running.Operators.Group != next.Operators.Group || strings.Join(running.Operators.Users, ",") != strings.Join(next.Operators.Users, ",") {
		consider(now, phase.Op{Kind: phase.OperatorsChange}, "")
	}
	ch := c.Diff(c.Resolve(running.Features, running.Phase), c.Resolve(next.Features, next.Phase))
	for _, id := range ch.TurnedOn {
		if f, ok := c.Feature(id); ok {
			consider(then, phase.Op{Kind: phase.FeatureEnable, Risk: f.Risk}, id)
		}
	}
	for _, id := range ch.TurnedOff {
		if f, ok := c.Feature(id); ok && f.Category == "hardening" {
			consider(now, phase.Op{Kind: phase.FeatureDisable, Hardening: true}, id)
		}
	}
	return worst, name
}

// Stage checks req as who (named user in the trail) and stages it. answer
// is the operator's answer to Question, checked here.
func (s *Stager) Stage(ctx context.Context, who phase.Who, user string, req Request) (Result, error) {
	res, err := s.stage(ctx, who, user, req)
	e := audit.Entry{User: user, Where: s.Where, Action: req.Action, Target: req.Summary, Result: audit.OK, Note: audit.ConfirmationNote(ctx)}
	if res.ApplyErr != nil && s.StartApply != nil {
		e.Note = strings.TrimPrefix(e.Note+"; ", "; ") + "staged, the apply service did not start: " + res.ApplyErr.Error()
	}
	if err != nil {
		e.Result, e.Error = audit.Failed, err.Error()
		var unanswered *phase.Unconfirmed
		if errors.Is(err, vm.ErrDenied) || errors.Is(err, vm.ErrInvalidArg) || errors.Is(err, nix.ErrChanged) || errors.As(err, &unanswered) {
			e.Result = audit.Refused
		}
	}
	if s.Log != nil {
		if _, werr := s.Log.Append(e); werr != nil && err == nil {
			return res, fmt.Errorf("staged, but the audit trail could not be written: %w", werr)
		}
	}
	return res, err
}

func (s *Stager) stage(ctx context.Context, who phase.Who, user string, req Request) (Result, error) {
	if req.Next == nil {
		return Result{}, &vm.Error{Op: "stage", Kind: vm.ErrInvalidArg, Detail: "no host file given"}
	}
	st := nix.ReadState(s.Paths)
	running := Running(st)
	if r := s.Catalog.CheckHost(req.Next); !r.OK() {
		return Result{}, &Refusal{Problems: r.Problems}
	}
	if ps := s.Catalog.CheckChange(running, req.Next, who); len(ps) > 0 {
		return Result{}, &Refusal{Problems: ps}
	}
	// Root's pending stage (hardening the host, say) is root's decision
	// too: an operator's change may not undo what only root may.
	if st.Staged != nil && st.Staged.Meta.UpdatedBy == "root" && who != phase.Root {
		if ps := s.Catalog.CheckChange(st.Staged, req.Next, who); len(ps) > 0 {
			return Result{}, &Refusal{Problems: ps}
		}
	}
	if rule, want := Question(s.Catalog, running, req.Next, who); rule.Ask != phase.NoQuestion {
		answer, ok := vm.ConfirmationFrom(ctx)
		switch {
		case !ok || answer.How == "":
			return Result{}, &phase.Unconfirmed{Op: "stage", Target: req.Summary, Question: rule.Ask, Name: want, Why: rule.Why}
		case rule.Ask == phase.TypeName && answer.Name != want:
			return Result{}, &phase.Unconfirmed{Op: "stage", Target: req.Summary, Question: rule.Ask, Name: want,
				Why: fmt.Sprintf("the name typed (%q) is not %q", answer.Name, want)}
		}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	_, data, err := nix.Stage(s.Paths.Staged, req.Next, req.Expected, user, now())
	if err != nil {
		return Result{}, err
	}
	res := Result{Staged: data}
	if !req.Apply {
		return res, nil
	}
	if s.StartApply == nil {
		res.ApplyErr = errors.New("this host has no apply service: the change stays staged in " + s.Paths.Staged)
		return res, nil
	}
	if res.ApplyErr = s.StartApply(ctx); res.ApplyErr == nil {
		res.ApplyStarted = true
	}
	return res, nil
}
