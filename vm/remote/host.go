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
