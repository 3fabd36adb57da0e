// Package api is the hv daemon's protocol: JSON over HTTP/1.1 on a unix
// socket, versioned by the first element of every path (/v1/...). One
// table (Routes) lists every call with the polkit action that authorises
// it and the operation the permission matrix judges; the daemon serves
// it, the client (vm/remote) speaks it, and docs/api.md is generated
// from it. Errors travel as JSON bodies that decode back into the
// errors callers test for (vm's sentinels, phase refusals, a missing
// confirmation).
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
)

// Version is the API version, the first element of every path.
const Version = "v1"

// DefaultSocket is where the daemon listens (systemd's hv.socket).
const DefaultSocket = "/run/hv/hv.sock"

// SocketEnv overrides DefaultSocket for clients and the daemon alike.
const SocketEnv = "HV_SOCKET"

// Headers carrying the operator's answer to the question the permission
// matrix asks before a change (vm.Confirmation).
const (
	HeaderConfirm     = "Hv-Confirm"      // how it was answered: dialog, prompt, --yes, command
	HeaderConfirmName = "Hv-Confirm-Name" // the object's name as typed
	HeaderBulk        = "Hv-Bulk"         // how many VMs the one answer covers
)

// UpgradeConsole is the protocol a console request upgrades to: after
// "101 Switching Protocols" the connection carries the serial console's
// bytes both ways, as Docker's attach does.
const UpgradeConsole = "hv-console"

// Error kinds on the wire, one per sentinel of package vm, plus the
// daemon's own refusals.
const (
	KindNotFound     = "not-found"
	KindExists       = "exists"
	KindDenied       = "denied"
	KindInvalidState = "invalid-state"
	KindUnsupported  = "unsupported"
	KindConnLost     = "conn-lost"
	KindTimeout      = "timeout"
	KindInvalidArg   = "invalid-arg"
	KindPhase        = "phase"   // the security phase refuses it (phase.Error)
	KindConfirm      = "confirm" // it must be confirmed first (Unconfirmed)
	KindPolicy       = "policy"  // the payload policy refuses it (vm.Refusal)
	KindFailed       = "failed"  // anything else
)

var sentinels = []struct {
	kind string
	err  error
	code int
}{
	{KindNotFound, vm.ErrNotFound, http.StatusNotFound},
	{KindExists, vm.ErrExists, http.StatusConflict},
	{KindDenied, vm.ErrDenied, http.StatusForbidden},
	{KindInvalidState, vm.ErrInvalidState, http.StatusConflict},
	{KindUnsupported, vm.ErrUnsupported, http.StatusNotImplemented},
	{KindConnLost, vm.ErrConnLost, http.StatusServiceUnavailable},
	{KindTimeout, vm.ErrTimeout, http.StatusGatewayTimeout},
	{KindInvalidArg, vm.ErrInvalidArg, http.StatusBadRequest},
}

// Problem is an error as the API sends it, in {"error": {...}}.
type Problem struct {
	Kind    string `json:"kind"`
	Message string `json:"message"` // the whole error in one line
	Op      string `json:"op,omitempty"`
	Target  string `json:"target,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Fix     string `json:"fix,omitempty"` // what to do about it
	// For KindConfirm: the question to answer (yes-no, type-name).
	Question string `json:"question,omitempty"`
	// For KindPhase: the phase and why it refuses.
	Phase string `json:"phase,omitempty"`
	Why   string `json:"why,omitempty"`
	// For KindPolicy: the rule that refused.
	Rule string `json:"rule,omitempty"`
}

// ErrorBody is the body of every error reply.
type ErrorBody struct {
	Error Problem `json:"error"`
}

// Unconfirmed is a change sent without the answer the permission matrix
// asks for: the daemon does not run it.
type Unconfirmed struct {
	Op       string
	Target   string
	Question phase.Question
	Why      string
}

func (e *Unconfirmed) Error() string {
	what := "confirm"
	if e.Question == phase.TypeName {
		what = "type the name of"
	}
	return fmt.Sprintf("%s %s: you must %s it first (%s)", e.Op, e.Target, what, e.Why)
}

// Fix says how to answer: the TUI asks, scripts pass --yes.
func (e *Unconfirmed) Fix() string {
	return "answer the question hv asks, or pass --yes in a script; over the API send the " + HeaderConfirm + " header (and " + HeaderConfirmName + ": NAME for a name question)"
}

// Encode turns err into the status and body the daemon replies with.
func Encode(err error) (int, ErrorBody) {
	p := Problem{Kind: KindFailed, Message: err.Error(), Fix: vm.Fix(err)}
	code := http.StatusInternalServerError
	var ve *vm.Error
	if errors.As(err, &ve) {
		p.Op, p.Target, p.Detail = ve.Op, ve.Target, ve.Detail
	}
	var pe *phase.Error
	var ue *Unconfirmed
	var re *vm.Refusal
	switch {
	case errors.As(err, &pe):
		p.Kind, p.Op, p.Phase, p.Why = KindPhase, pe.Op, string(pe.Phase), pe.Rule.Why
		code = http.StatusForbidden
	case errors.As(err, &ue):
		p.Kind, p.Op, p.Target, p.Question, p.Why = KindConfirm, ue.Op, ue.Target, ue.Question.String(), ue.Why
		code = http.StatusPreconditionRequired
	case errors.As(err, &re):
		p.Kind, p.Op, p.Target, p.Rule = KindPolicy, re.Op, re.Target, re.Rule
		code = http.StatusForbidden
	default:
		for _, s := range sentinels {
			if errors.Is(err, s.err) {
				p.Kind, code = s.kind, s.code
				break
			}
		}
	}
	return code, ErrorBody{p}
}

// Decode turns an error reply back into the error the daemon had, as far
// as callers can tell: errors.Is and vm.Fix work on it as on the original.
func Decode(p Problem) error {
	switch p.Kind {
	case KindPhase:
		return &phase.Error{Op: p.Op, Phase: phase.Phase(p.Phase), Rule: phase.Rule{Verdict: phase.Refuse, Why: p.Why, Fix: p.Fix}}
	case KindConfirm:
		q := phase.YesNo
		if p.Question == phase.TypeName.String() {
			q = phase.TypeName
		}
		return &Unconfirmed{Op: p.Op, Target: p.Target, Question: q, Why: p.Why}
	case KindPolicy:
		return &vm.Refusal{Op: p.Op, Target: p.Target, Rule: p.Rule, Remedy: p.Fix}
	}
	e := &vm.Error{Op: p.Op, Target: p.Target, Detail: p.Detail, Hint: p.Fix}
	for _, s := range sentinels {
		if s.kind == p.Kind {
			e.Kind = s.err
		}
	}
	if e.Op == "" && e.Detail == "" {
		e.Detail = p.Message
	}
	return e
}

// Write sends v as a JSON reply with status code.
func Write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// WriteError sends err as an error reply.
func WriteError(w http.ResponseWriter, err error) {
	code, body := Encode(err)
	Write(w, code, body)
}
