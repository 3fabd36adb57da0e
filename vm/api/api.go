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
	HeaderConfirm     = "Hv-Confirm"      // how it was answered: dialog, prompt, --yes, command (see vm.Confirmation)
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
	KindCancelled    = "cancelled"
	KindPhase        = "phase"   // the security phase refuses it (phase.Error)
	KindConfirm      = "confirm" // it must be confirmed first (phase.Unconfirmed)
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
	{KindCancelled, vm.ErrCancelled, 499}, // client closed request: rarely seen, the client left
}

// Problem is an error as the API sends it, in {"error": {...}}.
type Problem struct {
	Kind    string `json:"kind"`
	Message string `json:"message"` // the whole error in one line
	Op      string `json:"op,omitempty"`
	Target  string `json:"target,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Fix     string `json:"fix,omitempty"` // what to do about it
	// For KindConfirm: the question to answer (yes-no, type-name) and,
	// for a name question, the name to type.
	Question string `json:"question,omitempty"`
	Name     string `json:"name,omitempty"`
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

// Encode turns err into the status and body the daemon replies with.
func Encode(err error) (int, ErrorBody) {
	p := Problem{Kind: KindFailed, Message: err.Error(), Fix: vm.Fix(err)}
	code := http.StatusInternalServerError
	var ve *vm.Error
	if errors.As(err, &ve) {
		p.Op, p.Target, p.Detail = ve.Op, ve.Target, ve.Detail
	}
	var pe *phase.Error
	var ue *phase.Unconfirmed
	var re *vm.Refusal
	switch {
	case errors.As(err, &pe):
		p.Kind, p.Op, p.Phase, p.Why = KindPhase, pe.Op, string(pe.Phase), pe.Rule.Why
		code = http.StatusForbidden
	case errors.As(err, &ue):
		p.Kind, p.Op, p.Target, p.Question, p.Name, p.Why = KindConfirm, ue.Op, ue.Target, ue.Question.String(), ue.Name, ue.Why
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
		return &phase.Unconfirmed{Op: p.Op, Target: p.Target, Question: q, Name: p.Name, Why: p.Why}
	case KindPolicy:
		return &vm.Refusal{Op: p.Op, Target: p.Target, Rule: p.Rule, Remedy: p.Fix}
	}
	var kind error
	for _, s := range sentinels {
		if s.kind == p.Kind {
			kind = s.err
		}
	}
	if p.Op == "" {
		return &Failure{Message: p.Message, Remedy: p.Fix, Kind: kind}
	}
	return &vm.Error{Op: p.Op, Target: p.Target, Kind: kind, Detail: p.Detail, Hint: p.Fix}
}

// Failure is an error the daemon sent that names no operation: its words
// as they were, its fix, and its kind for errors.Is.
type Failure struct {
	Message, Remedy string
	Kind            error
}

func (e *Failure) Error() string { return e.Message }
func (e *Failure) Fix() string   { return e.Remedy }
func (e *Failure) Unwrap() error { return e.Kind }

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
