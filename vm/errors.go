package vm

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors every backend maps its failures to. Test with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrExists       = errors.New("already exists")
	ErrDenied       = errors.New("permission denied")
	ErrInvalidState = errors.New("not possible in its current state")
	ErrUnsupported  = errors.New("not supported by this hypervisor")
	ErrConnLost     = errors.New("connection to libvirt lost")
	ErrTimeout      = errors.New("libvirt did not answer in time")
	ErrInvalidArg   = errors.New("invalid argument")
	// ErrCancelled: the caller cancelled the call's context. A copy then
	// stops and removes what it made; a quick change may have happened all
	// the same. It matches context.Canceled, which a client that gave up
	// sees.
	ErrCancelled error = cancelled{}
)

type cancelled struct{}

func (cancelled) Error() string        { return "cancelled" }
func (cancelled) Is(target error) bool { return target == context.Canceled }

// Error is a failed operation on a target, carrying the sentinel it maps to
// and the backend's own words.
type Error struct {
	Op     string // "start", "list", ...
	Target string // VM name or UUID; empty for host-wide operations
	Kind   error  // one of the sentinels above, or nil when unclassified
	Detail string // the backend's message, for the curious
	// Hint is the fix when the operation knows a better one than its kind's
	// generic fix, e.g. "check the name with 'hv net list'".
	Hint string
}

func (e *Error) Error() string {
	what := e.Op
	if e.Target != "" {
		what += " " + e.Target
	}
	switch {
	case e.Kind != nil && e.Detail != "":
		return fmt.Sprintf("%s: %v (%s)", what, e.Kind, e.Detail)
	case e.Kind != nil:
		return fmt.Sprintf("%s: %v", what, e.Kind)
	default:
		return fmt.Sprintf("%s: %s", what, e.Detail)
	}
}

func (e *Error) Unwrap() error { return e.Kind }

// Refusal is a change the host's policy refuses (the hv daemon's payload
// policy: volumes of approved pools only, no host paths or devices): the
// rule that refused it and what to do instead. It is a kind of ErrDenied.
type Refusal struct {
	Op, Target string
	Rule       string // the rule, in words
	Remedy     string
}

func (e *Refusal) Error() string {
	what := e.Op
	if e.Target != "" {
		what += " " + e.Target
	}
	return what + ": refused by the host's policy: " + e.Rule
}

func (e *Refusal) Unwrap() error { return ErrDenied }

// Fix returns one line telling the operator what to do about err, or "" when
// there is nothing more useful to say than the error itself.
func Fix(err error) string {
	var ce *ConnectError
	var ve *Error
	var re *Refusal
	var fixer interface{ Fix() string }
	switch {
	case errors.As(err, &re):
		return re.Remedy
	case errors.As(err, &ve) && ve.Hint != "":
		return ve.Hint
	case errors.As(err, &ce):
		return ce.Fix()
	case errors.As(err, &fixer):
		// Errors that know their own fix (a phase refusal, a host-file
		// problem) say it rather than their kind's generic one.
		return fixer.Fix()
	case errors.Is(err, ErrNotFound):
		return "check the name with 'hv vm list'"
	case errors.Is(err, ErrDenied):
		return ReadOnly.Fix()
	case errors.Is(err, ErrInvalidState):
		return "check the VM's state with 'hv vm list' and try again"
	case errors.Is(err, ErrConnLost):
		return "libvirtd stopped or restarted; hv reconnects by itself, try again in a moment"
	case errors.Is(err, ErrTimeout):
		return "libvirtd is busy or hung; check it with 'systemctl status libvirtd'"
	case errors.Is(err, ErrUnsupported):
		return "this hypervisor driver cannot do that"
	}
	return ""
}

// Named puts v's name in place of its UUID in err, and in its fix, for
// people: calls go by UUID (names can change), messages read better with
// names.
func Named(err error, v VM) error {
	var e *Error
	if errors.As(err, &e) && e.Target == v.UUID && v.Name != "" {
		named := *e
		named.Target = v.Name
		named.Hint = strings.ReplaceAll(e.Hint, v.UUID, v.Name)
		return &named
	}
	return err
}
