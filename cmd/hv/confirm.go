package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/hyper-nixos/hv/ui/termsafe"
)

// confirmer asks the person at the terminal, or refuses when there is none:
// a script must say --yes for what a person would be asked.
type confirmer struct {
	in  io.Reader
	out io.Writer
	yes bool
}

func (c confirmer) interactive() bool {
	f, ok := c.in.(term.File)
	return ok && term.IsTerminal(f.Fd())
}

// ask shows what will happen and asks y/N.
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
		return errors.New("that is not the name: nothing was done")
	}
	return nil
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
