// Package phase is the two-phase security model: a host is being set up
// (permissive: wide choice, dangerous actions allowed after confirmation)
// or hardened (production). A permission matrix decides, per operation and
// per risk, what each phase allows, asks, or refuses, with the reason and
// the way around a refusal. The TUI, the CLI and the apply service all ask
// it, so the three agree.
package phase

import "fmt"

// Phase is a security phase as the host file spells it.
type Phase string

// The phases, from the most permissive to the strictest; the feature
// catalog lists the same two (a test keeps them in step).
const (
	Setup    Phase = "setup"
	Hardened Phase = "hardened"
)

// Phases lists every phase in order.
var Phases = []Phase{Setup, Hardened}

// Parse reads a phase; "" (no host file yet) is the setup phase, which is
// what a host without one runs under.
func Parse(s string) (Phase, error) {
	switch Phase(s) {
	case "", Setup:
		return Setup, nil
	case Hardened:
		return Hardened, nil
	}
	return "", fmt.Errorf("unknown security phase %q (the phases are setup and hardened)", s)
}

// Of is Parse for a phase already checked (from a validated host file):
// anything unknown counts as hardened, the safe side.
func Of(s string) Phase {
	p, err := Parse(s)
	if err != nil {
		return Hardened
	}
	return p
}

func (p Phase) String() string { return string(p) }

// Rank orders phases: leaving a phase for a lower one needs root.
func (p Phase) Rank() int {
	if p == Hardened {
		return 1
	}
	return 0
}

// Who is making a change: operators get what the phase allows; root may
// also do what is reserved to root.
type Who int

const (
	Operator Who = iota
	Root
)

func (w Who) String() string {
	if w == Root {
		return "root"
	}
	return "operator"
}

// Verdict is what the matrix says of one operation.
type Verdict int

const (
	Allow Verdict = iota // go ahead
	// Confirm: ask first, yes/no, or the object's name from critical risk
	// up. The CLI asks from high risk up: below, a command typed on
	// purpose is the confirmation.
	Confirm
	Refuse // not in this phase (or not by this user); Rule.Fix says how
)

func (v Verdict) String() string {
	switch v {
	case Allow:
		return "allowed"
	case Confirm:
		return "allowed after confirmation"
	}
	return "refused"
}

// Question is what must be answered before an operation allowed after
// confirmation runs. The matrix sets it: the TUI, the CLI and the daemon
// ask and check the same question, never one of their own.
type Question int

const (
	NoQuestion Question = iota
	YesNo               // yes or no, after the impact is shown
	TypeName            // the object's name (a feature's id) typed in full
)

func (q Question) String() string {
	switch q {
	case YesNo:
		return "yes-no"
	case TypeName:
		return "type-name"
	}
	return "none"
}

// Rule is the matrix's answer: the verdict, the question to ask first,
// why, and for a refusal how it can be done all the same.
type Rule struct {
	Verdict Verdict
	Ask     Question // NoQuestion unless Verdict is Confirm
	Why     string   // why it is refused or asked; "" when simply allowed
	Fix     string   // for a refusal: what to do instead, or the root command
	// Typed is the question for a command typed on purpose (the CLI, an
	// API call): below high risk the command itself is the yes; a name
	// question is asked all the same.
	Typed Question
}

// Refused reports whether the operation may not run.
func (r Rule) Refused() bool { return r.Verdict == Refuse }

// Reason is the refusal in one line: why, then the way around it.
func (r Rule) Reason() string {
	if r.Fix == "" {
		return r.Why
	}
	return r.Why + "; " + r.Fix
}

// Error is a refusal as an error, for the CLI and the apply service.
type Error struct {
	Op    string
	Phase Phase
	Rule  Rule
}

func (e *Error) Error() string { return e.Op + ": " + e.Rule.Why }

// Fix is the way around the refusal, for the one-line CLI error.
func (e *Error) Fix() string { return e.Rule.Fix }

// Unconfirmed is a change made without the answer the matrix asks for:
// the daemon does not run it.
type Unconfirmed struct {
	Op, Target string
	Question   Question
	Name       string // for a name question: what must be typed
	Why        string
}

func (e *Unconfirmed) Error() string {
	what := e.Op
	if e.Target != "" {
		what += " " + e.Target
	}
	if e.Question == TypeName && e.Name != "" {
		return fmt.Sprintf("%s: type %q to confirm (%s)", what, e.Name, e.Why)
	}
	return what + ": it must be confirmed first (" + e.Why + ")"
}

// Fix says how to answer: the TUI asks, scripts pass --yes.
func (e *Unconfirmed) Fix() string {
	return "answer the question hv asks, or pass --yes in a script; over the API send the Hv-Confirm header (and Hv-Confirm-Name for a name question)"
}

// Check returns nil when r lets op run, else an *Error saying why.
func (r Rule) Check(op string, p Phase) error {
	if !r.Refused() {
		return nil
	}
	return &Error{Op: op, Phase: p, Rule: r}
}
