package help

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/hyper-nixos/hv/vm"
)

// Observation is something that really happened while hv ran, as the root
// app reports it to the tutorials: a screen opened, a hypervisor event, or
// a signal a screen sent after the operator did something there.
type Observation struct {
	Kind  string // "screen", "vm" or "signal"
	Name  string // screen id, VM name or signal name
	Value string // event kind for "vm", the signal's argument
}

// ScreenOpened is the observation of a screen, by registry id, coming on top.
func ScreenOpened(id string) Observation { return Observation{Kind: "screen", Name: id} }

// VMEvent is the observation of a hypervisor event for a VM.
func VMEvent(e vm.Event) Observation {
	return Observation{Kind: "vm", Name: e.Name, Value: e.Kind.String()}
}

// SignalSent is the observation of a screen's signal.
func SignalSent(name, arg string) Observation {
	return Observation{Kind: "signal", Name: name, Value: arg}
}

func (o Observation) String() string { return strings.TrimSpace(o.Kind + " " + o.Name + " " + o.Value) }

// Condition says when a tutorial step is done. Its language is one or more
// clauses joined by " or ":
//
//	screen ID            the screen registered as ID was opened
//	vm NAME EVENT        libvirt reported EVENT (started, suspended, resumed,
//	                     stopped, shutdown, defined, undefined, crashed...)
//	                     for the VM called NAME
//	signal NAME [ARG]    a screen sent the signal NAME (see Signals), with
//	                     ARG if given
//
// NAME, ID and ARG are patterns as in path.Match: "*" matches anything,
// "k8s-node-?" any of the nodes.
type Condition struct {
	clauses []Observation // each field a pattern
	src     string
}

// ParseCondition reads a condition and checks it names real events and
// known signals.
func ParseCondition(s string) (Condition, error) {
	c := Condition{src: strings.TrimSpace(s)}
	for _, part := range strings.Split(c.src, " or ") {
		f := strings.Fields(part)
		if len(f) == 0 {
			return Condition{}, fmt.Errorf("condition %q: empty clause", s)
		}
		var cl Observation
		switch {
		case f[0] == "screen" && len(f) == 2:
			cl = Observation{Kind: "screen", Name: f[1]}
		case f[0] == "vm" && len(f) == 3:
			if !slices.Contains(vmEventNames(), f[2]) {
				return Condition{}, fmt.Errorf("condition %q: %q is not a VM event (%s)", s, f[2], strings.Join(vmEventNames(), ", "))
			}
			cl = Observation{Kind: "vm", Name: f[1], Value: f[2]}
		case f[0] == "signal" && (len(f) == 2 || len(f) == 3):
			if _, ok := SignalByName(f[1]); !ok {
				return Condition{}, fmt.Errorf("condition %q: no screen sends the signal %q (see help.Signals)", s, f[1])
			}
			cl = Observation{Kind: "signal", Name: f[1], Value: "*"}
			if len(f) == 3 {
				cl.Value = f[2]
			}
		default:
			return Condition{}, fmt.Errorf("condition %q: write 'screen ID', 'vm NAME EVENT' or 'signal NAME [ARG]'", s)
		}
		for _, p := range []string{cl.Name, cl.Value} {
			if _, err := path.Match(p, ""); err != nil {
				return Condition{}, fmt.Errorf("condition %q: bad pattern %q", s, p)
			}
		}
		c.clauses = append(c.clauses, cl)
	}
	return c, nil
}

// Met reports whether o satisfies the condition.
func (c Condition) Met(o Observation) bool {
	for _, cl := range c.clauses {
		if cl.Kind == o.Kind && glob(cl.Name, o.Name) && (cl.Value == "" || glob(cl.Value, o.Value)) {
			return true
		}
	}
	return false
}

// Screens are the screen ids the condition waits for (to tell whether a
// tutorial can be done with the screens hv has).
func (c Condition) Screens() []string {
	var ids []string
	for _, cl := range c.clauses {
		if cl.Kind == "screen" {
			ids = append(ids, cl.Name)
		}
	}
	return ids
}

// Signals are the signal names the condition waits for.
func (c Condition) Signals() []string {
	var names []string
	for _, cl := range c.clauses {
		if cl.Kind == "signal" {
			names = append(names, cl.Name)
		}
	}
	return names
}

func (c Condition) String() string { return c.src }

func glob(pattern, s string) bool {
	ok, _ := path.Match(pattern, s)
	return ok
}

func vmEventNames() []string {
	var names []string
	for k := vm.EventDefined; k < vm.EventConnLost; k++ {
		names = append(names, k.String())
	}
	return names
}
