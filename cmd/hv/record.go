package main

import (
	"errors"

	"github.com/hyper-nixos/hv/nix/apply"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/phase"
)

// refusal is a change hv refused to make (a rule, not a failure), with
// the way around it.
type refusal struct{ msg, fix string }

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Fix() string   { return r.fix }

// record writes a host change to the audit trail, as the hypervisor
// wrapper does for VM changes; a refusal is told apart from a failure.
func record(action, target string, err error) error {
	e := audit.Entry{User: currentUser(), Where: "host file", Action: action, Target: target, Result: audit.OK}
	if err != nil {
		e.Result, e.Error = audit.Failed, err.Error()
		var f *apply.Failure
		var pe *phase.Error
		var r *refusal
		if (errors.As(err, &f) && f.Result.Status != "failed") || errors.As(err, &pe) || errors.As(err, &r) {
			e.Result = audit.Refused
		}
	}
	_, werr := audit.Open(audit.DefaultPath(stateDir())).Append(e)
	return werr
}

// recordAnswer writes the answer to a dangerous question (TUI or CLI) to
// the audit trail: who confirmed, declined or typed a wrong name, and how
// (note: "--yes" for a script).
func recordAnswer(where, action, target, answer, note string) error {
	e := audit.Entry{User: currentUser(), Where: where, Action: action, Target: target, Result: answer, Note: note}
	_, err := audit.Open(audit.DefaultPath(stateDir())).Append(e)
	return err
}
