package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"time"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

// Stage has the daemon stage a change of the host file: it is a
// hostchange.Func. The operator's answer rides in ctx.
func (c *Client) Stage(ctx context.Context, req hostchange.Request) (hostchange.Result, error) {
	host, err := nix.EncodeHost(req.Next)
	if err != nil {
		return hostchange.Result{}, err
	}
	body := api.StageReq{Host: string(host), Action: req.Action, Summary: req.Summary, Apply: req.Apply}
	if req.Expected != nil {
		sum := sha256.Sum256(req.Expected)
		body.ExpectedSHA256 = hex.EncodeToString(sum[:])
	}
	reply, err := send[api.StageReply](c, ctx, "host.stage", body)
	if err != nil {
		return hostchange.Result{}, err
	}
	res := hostchange.Result{ApplyStarted: reply.ApplyStarted}
	if reply.ApplyError != "" {
		res.ApplyErr = errors.New(reply.ApplyError)
	}
	return res, nil
}

// Audit reads the trail (entries newer than since, when not zero).
func (c *Client) Audit(ctx context.Context, since time.Time) ([]audit.Entry, error) {
	var q url.Values
	if !since.IsZero() {
		q = url.Values{"since": {since.UTC().Format(time.RFC3339)}}
	}
	var entries []audit.Entry
	err := c.call(ctx, api.Find("audit.show"), nil, q, nil, &entries)
	return entries, err
}

// VerifyAudit has the daemon check the trail.
func (c *Client) VerifyAudit(ctx context.Context) (api.Verification, error) {
	return get[api.Verification](c, ctx, "audit.verify")
}

// RecordAnswer writes an answer that changed nothing to the trail.
func (c *Client) RecordAnswer(ctx context.Context, a api.Answer) error {
	return c.do(ctx, "audit.answer", a)
}

// AcceptMigration asks this host to take VM m (vm.migrate.accept); the
// ticket it hands back goes to the VM's host.
func (c *Client) AcceptMigration(ctx context.Context, m vm.Move) (api.Ticket, error) {
	return send[api.Ticket](c, ctx, "vm.migrate.accept", m)
}

// ClaimMigration is the VM's host's daemon claiming a ticket here.
func (c *Client) ClaimMigration(ctx context.Context, ticket string, m vm.Move) error {
	return c.do(ctx, "migration.claim", m, ticket)
}

// FinishMigration is the VM's host's daemon saying how the move ended.
func (c *Client) FinishMigration(ctx context.Context, ticket string, end error) error {
	var e api.MigrationEnd
	if end != nil {
		_, body := api.Encode(end)
		e.Error = &body.Error
	}
	return c.do(ctx, "migration.finish", e, ticket)
}

// Migrate moves VM ref from src's host to dst's: dst accepts it, as this
// user is there, then src moves it, as this user is here, reporting its
// progress. The operator's answer rides in ctx to both. Ending ctx cancels
// the move: the VM stays on src's host as it was.
func Migrate(ctx context.Context, src, dst *Client, ref string, progress func(vm.MigrationProgress)) error {
	if progress == nil {
		progress = func(vm.MigrationProgress) {}
	}
	progress(vm.MigrationProgress{Stage: "checking"})
	d, err := src.Details(ctx, ref)
	if err != nil {
		return err
	}
	host, err := src.Host(ctx)
	if err != nil {
		return err
	}
	m, err := vm.MoveOf(d, src.id.Hostname, host.CPUModel, func(path string) (vm.Volume, error) { return src.VolumeByPath(ctx, path) })
	if err != nil {
		return err
	}
	if src.id.Hostname == dst.id.Hostname {
		return &vm.Error{Op: "migrate", Target: d.Name, Kind: vm.ErrInvalidArg, Detail: "it is on " + dst.id.Hostname + " already"}
	}
	t, err := dst.AcceptMigration(ctx, m)
	if err != nil {
		return err
	}
	return src.migrateTo(ctx, d.UUID, api.MigrateReq{To: dst.id.Hostname, Ticket: t.ID}, progress)
}
