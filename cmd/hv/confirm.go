package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/security"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

// confirmer asks the person at the terminal, or refuses when there is none:
// a script must say --yes for what a person would be asked.
type confirmer struct {
	in     io.Reader
	out    io.Writer
	yes    bool
	record func(a api.Answer) error // writes an answer that changes nothing to the trail
}

// confirmer is the command's confirmer, recording to this hv's trail.
func (g *globals) confirmer(cmd *cobra.Command, yes bool) confirmer {
	return confirmer{in: cmd.InOrStdin(), out: cmd.ErrOrStderr(), yes: yes, record: func(a api.Answer) error {
		paths, err := g.contract()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		return g.trail(paths).answer(ctx, a)
	}}
}

// yesFlag gives a mutating command its --yes: every one takes it, so a
// script can always say it, whatever the phase asks.
func yesFlag(cmd *cobra.Command, yes *bool) {
	cmd.Flags().BoolVarP(yes, "yes", "y", false, "answer yes to the question the security phase asks (scripts)")
}

func (c confirmer) interactive() bool { return isTerminal(c.in) }

// isTerminal reports whether a person types on r; tests stand in for one.
var isTerminal = func(r io.Reader) bool {
	f, ok := r.(term.File)
	return ok && term.IsTerminal(f.Fd())
}

// question is what a command asks before a change.
type question struct {
	audit  string        // the change as the hv API and the audit trail name it (net.stop); a declined answer is confirm.net.stop
	verb   string        // as said to a person: "stop network"
	target string        // what it is done to, as said to a person
	impact string        // what happens, shown before the question
	name   string        // what to type when the question asks for a name (the route's Names); target when ""
	risk   security.Risk // the risk of this change when more than its route's (stopping a network VMs use)
}

// typed is the name the question wants typed.
func (q question) typed() string {
	if q.name != "" {
		return q.name
	}
	return q.target
}

// confirm asks what rule asks, from the one permission matrix: a person
// at a terminal what the TUI's dialog asks (rule.Ask: y/N, or the name
// typed); a script what a command typed on purpose must say (rule.Typed),
// which --yes answers. The confirmation it returns goes with the change
// (the hv daemon checks and records it); How is "" when the phase asks
// nothing at all. A declined answer or a wrong name goes to the audit
// trail here; a confirmed one with the change.
func (c confirmer) confirm(rule phase.Rule, q question) (vm.Confirmation, error) {
	person := !c.yes && c.interactive()
	ask := rule.Typed
	if person {
		ask = rule.Ask
	}
	switch {
	case ask == phase.NoQuestion && rule.Ask == phase.NoQuestion:
		return vm.Confirmation{}, nil
	case ask == phase.NoQuestion:
		return vm.Confirmation{How: "command"}, nil
	case c.yes:
		return vm.Confirmation{How: "--yes", Name: q.typed()}, nil
	case !person:
		why := ""
		if q.impact != "" {
			why = strings.TrimSuffix(q.impact, ".") + "; "
		}
		return vm.Confirmation{}, needsYes{fmt.Errorf("%srefusing to %s %s without confirmation: add --yes", why, q.verb, termsafe.String(q.target))}
	}
	if q.impact != "" {
		fmt.Fprintln(c.out, q.impact)
	}
	if ask == phase.TypeName {
		it := "it"
		if q.name != "" {
			it = termsafe.String(q.target)
		}
		fmt.Fprintf(c.out, "Type %s to %s %s: ", termsafe.String(q.typed()), q.verb, it)
		line, _ := bufio.NewReader(c.in).ReadString('\n')
		if strings.TrimRight(line, "\r\n") != q.typed() {
			c.answered(q, audit.WrongName)
			return vm.Confirmation{}, errors.New("that is not the name: nothing was done")
		}
	} else {
		fmt.Fprintf(c.out, "%s %s? [y/N] ", ui.Capitalise(q.verb), termsafe.String(q.target))
		line, _ := bufio.NewReader(c.in).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			c.answered(q, audit.Declined)
			return vm.Confirmation{}, errors.New("cancelled: nothing was done")
		}
	}
	return vm.Confirmation{How: "prompt", Name: q.typed()}, nil
}

// answered records an answer that changes nothing (declined, a wrong
// name) as confirm.<change>: a confirmed one goes to the trail with the
// change itself. A trail that cannot be written is said on stderr and
// stops nothing.
func (c confirmer) answered(q question, answer string) {
	if c.record == nil {
		return
	}
	if err := c.record(api.Answer{Action: "confirm." + q.audit, Target: q.target, Answer: answer}); err != nil {
		fmt.Fprintln(c.out, "hv: the answer was not written to the audit trail: "+err.Error())
	}
}
