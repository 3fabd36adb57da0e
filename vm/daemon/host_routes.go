package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"time"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

// stage serves host.stage: the staging sequence of hostchange, as the
// caller (root's changes are root's, an operator's are checked as an
// operator's), with the answer the request carries.
func (s *Server) stage(c *call) error {
	if s.Stager == nil {
		return &vm.Error{Op: "stage", Kind: vm.ErrUnsupported, Detail: "this daemon stages no host-file changes"}
	}
	req, err := decode[api.StageReq](c)
	if err != nil {
		return err
	}
	next, err := nix.DecodeHost([]byte(req.Host))
	if err != nil {
		return &vm.Error{Op: "stage", Kind: vm.ErrInvalidArg, Detail: err.Error(), Hint: vm.Fix(err)}
	}
	current, err := os.ReadFile(s.Stager.Paths.Staged)
	if errors.Is(err, os.ErrNotExist) {
		current, err = nil, nil
	}
	if err != nil {
		return err
	}
	if sha(current) != req.ExpectedSHA256 {
		return &vm.Error{Op: "stage", Kind: vm.ErrInvalidState, Detail: "someone staged another change since you read it",
			Hint: "reload (the screen does it) and make your change again"}
	}
	who := phase.Operator
	if c.peer.Root() {
		who = phase.Root
	}
	answer := c.given
	if answer.How == "" {
		answer = vm.Confirmation{}
	}
	ctx := vm.WithConfirmation(c.ctx, answer)
	c.selfAudited = true // the stager writes the entry, refusals included
	res, err := s.Stager.Stage(ctx, who, c.peer.User, hostchange.Request{Next: next, Expected: current,
		Action: req.Action, Summary: req.Summary, Apply: req.Apply})
	if err != nil {
		return err
	}
	reply := api.StageReply{StagedSHA256: sha(res.Staged), ApplyStarted: res.ApplyStarted}
	if res.ApplyErr != nil {
		reply.ApplyError = res.ApplyErr.Error()
	}
	return replyJSON(c, reply)
}

// sha is the hex SHA-256 of a staged file, "" for none.
func sha(data []byte) string {
	if data == nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (s *Server) auditShow(c *call) error {
	entries, err := s.Log.Read()
	if err != nil {
		return err
	}
	if since := c.r.URL.Query().Get("since"); since != "" {
		cut, err := time.Parse(time.RFC3339, since)
		if err != nil {
			return &vm.Error{Op: "audit", Kind: vm.ErrInvalidArg, Detail: "since: " + err.Error(), Hint: "give an RFC 3339 time, e.g. 2026-12-01T00:00:00Z"}
		}
		kept := entries[:0]
		for _, e := range entries {
			if e.When().After(cut) {
				kept = append(kept, e)
			}
		}
		entries = kept
	}
	return replyJSON(c, nonNil(entries))
}

func (s *Server) auditVerify(c *call) error { return replyJSON(c, api.Verify(s.Log)) }

// answer records a question answered without a change: only for callers
// polkit grants some change, so that nobody else can fill the trail.
func (s *Server) answer(c *call) error {
	a, err := decode[api.Answer](c)
	if err != nil {
		return err
	}
	if a.Answer != audit.Declined && a.Answer != audit.WrongName {
		return &vm.Error{Op: "audit answer", Kind: vm.ErrInvalidArg, Detail: "an answer is " + audit.Declined + " or " + audit.WrongName,
			Hint: "confirmed answers are recorded with the change itself"}
	}
	granted := false
	for _, action := range api.Actions {
		if action == api.ActionRead || action == api.ActionAuditRead {
			continue
		}
		if ok, err := s.Auth.Allowed(c.ctx, c.peer, action); err == nil && ok {
			granted = true
			break
		}
	}
	if !granted {
		return &vm.Error{Op: "audit answer", Kind: vm.ErrDenied, Detail: "you may change nothing here, so there is no answer to record"}
	}
	_, err = s.Log.Append(audit.Entry{User: c.peer.User, Where: s.where(c.peer), Action: a.Action, Target: a.Target, Result: a.Answer, Note: a.Note})
	return done(c, err)
}
