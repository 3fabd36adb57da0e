package main

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/vm/api"
	"github.com/hyper-nixos/hv/vm/remote"
)

// trail is what hv does beyond the hypervisor that only the holder of the
// audit trail may: stage host changes, read and verify the trail, record
// answers. Operators reach the hv daemon for it; root and the demo do it
// here.
type trail struct {
	stage   hostchange.Func
	applies bool // there is an apply service to start
	entries func(ctx context.Context, since time.Time) ([]audit.Entry, error)
	verify  func(ctx context.Context) (api.Verification, error)
	answer  func(ctx context.Context, a api.Answer) error
}

// trail picks the daemon (operators) or the local trail (root, --demo,
// --connect) for the contract paths.
func (g *globals) trail(paths nix.Paths) trail {
	if dial, where, err := g.daemonDialer(); err == nil && dial != nil {
		through := func(ctx context.Context, fn func(*remote.Client) error) error {
			c, err := remote.Open(ctx, dial, where)
			if err != nil {
				return err
			}
			defer c.Close()
			return fn(c)
		}
		return trail{
			applies: true,
			stage: func(ctx context.Context, req hostchange.Request) (res hostchange.Result, err error) {
				err = through(ctx, func(c *remote.Client) error { res, err = c.Stage(ctx, req); return err })
				return res, err
			},
			entries: func(ctx context.Context, since time.Time) (es []audit.Entry, err error) {
				err = through(ctx, func(c *remote.Client) error { es, err = c.Audit(ctx, since); return err })
				return es, err
			},
			verify: func(ctx context.Context) (v api.Verification, err error) {
				err = through(ctx, func(c *remote.Client) error { v, err = c.VerifyAudit(ctx); return err })
				return v, err
			},
			answer: func(ctx context.Context, a api.Answer) error {
				return through(ctx, func(c *remote.Client) error { return c.RecordAnswer(ctx, a) })
			},
		}
	}
	log := audit.Open(g.auditPath())
	s := &hostchange.Stager{Paths: paths, Catalog: features.Builtin(), Log: log, Where: "host file"}
	if !g.demo {
		s.StartApply = func(ctx context.Context) error { return startApply(ctx, false) }
	}
	return trail{
		stage: func(ctx context.Context, req hostchange.Request) (hostchange.Result, error) {
			return s.Stage(ctx, actor(), currentUser(), req)
		},
		applies: !g.demo,
		entries: func(_ context.Context, since time.Time) ([]audit.Entry, error) {
			es, err := log.Read()
			if since.IsZero() || err != nil {
				return es, err
			}
			kept := es[:0]
			for _, e := range es {
				if e.When().After(since) {
					kept = append(kept, e)
				}
			}
			return kept, nil
		},
		verify: func(context.Context) (api.Verification, error) { return api.Verify(log), nil },
		answer: func(_ context.Context, a api.Answer) error {
			_, err := log.Append(audit.Entry{User: currentUser(), Where: "cli", Action: a.Action, Target: a.Target, Result: a.Answer, Note: a.Note})
			return err
		},
	}
}

// auditPath is the trail this hv writes itself (root, --connect): the
// system's, or the user's own; the demo keeps one of its own, apart from
// any real host's.
func (g *globals) auditPath() string {
	if _, set := os.LookupEnv(audit.PathEnv); g.demo && !set {
		return filepath.Join(stateDir(), "demo", "audit.log")
	}
	return audit.DefaultPath(stateDir())
}
