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

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/phase"
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

func (c confirmer) interactive() bool { return isTerminal(c.in) }

// isTerminal reports whether a person types on r; tests stand in for one.
var isTerminal = func(r io.Reader) bool {
	f, ok := r.(term.File)
	return ok && term.IsTerminal(f.Fd())
}

// ask shows what will happen and asks y/N. Every answer goes to the audit
// trail, --yes included, as the TUI's do.
func (c confirmer) ask(action, target, impact string) error {
	if c.yes {
		return nil
	}
	if !c.interactive() {
		return needsYes{fmt.Errorf("refusing to %s %s without confirmation: add --yes", action, termsafe.String(target))}
	}
	fmt.Fprintf(c.out, "%s\n%s %s? [y/N] ", impact, capitalise(action), termsafe.String(target))
	line, _ := bufio.NewReader(c.in).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
		c.answered(action, target, audit.Declined, "")
		return errors.New("cancelled: nothing was done")
	}
	return nil
}

// askName makes the person type want before a critical action.
func (c confirmer) askName(action, want, impact string) error {
	if c.yes {
		return nil
	}
	if !c.interactive() {
		return needsYes{fmt.Errorf("refusing to %s %s without confirmation: add --yes", action, termsafe.String(want))}
	}
	fmt.Fprintf(c.out, "%s\nType %s to %s it: ", impact, termsafe.String(want), action)
	line, _ := bufio.NewReader(c.in).ReadString('\n')
	if strings.TrimRight(line, "\r\n") != want {
		c.answered(action, want, audit.WrongName, "")
		return errors.New("that is not the name: nothing was done")
	}
	return nil
}

// confirm asks what rule asks of a command typed on purpose (rule.Typed):
// nothing, y/N, or want typed. The confirmation it returns goes with the
// change (the hv daemon checks and records it); How is "" when the phase
// asks nothing at all.
func (c confirmer) confirm(rule phase.Rule, action, want, impact string) (vm.Confirmation, error) {
	var err error
	switch rule.Typed {
	case phase.NoQuestion:
		if rule.Ask == phase.NoQuestion {
			return vm.Confirmation{}, nil
		}
		return vm.Confirmation{How: "command"}, nil
	case phase.YesNo:
		err = c.ask(action, want, impact)
	case phase.TypeName:
		err = c.askName(action, want, impact)
	}
	if err != nil {
		return vm.Confirmation{}, err
	}
	how := "prompt"
	if c.yes {
		how = "--yes"
	}
	return vm.Confirmation{How: how, Name: want}, nil
}

// answered records an answer that changes nothing (declined, a wrong
// name): a confirmed one goes to the trail with the change itself. A trail
// that cannot be written is said on stderr and stops nothing.
func (c confirmer) answered(action, target, answer, note string) error {
	if c.record == nil {
		return nil
	}
	if err := c.record(api.Answer{Action: "confirm." + strings.ReplaceAll(action, " ", "-"), Target: target, Answer: answer, Note: note}); err != nil {
		fmt.Fprintln(c.out, "hv: the answer was not written to the audit trail: "+err.Error())
	}
	return nil
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
