package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
)

// withHV connects, runs fn with a bounded context, and disconnects.
func (g *globals) withHV(timeout time.Duration, fn func(context.Context, vm.Hypervisor) error) error {
	hv, err := g.open()
	if err != nil {
		return err
	}
	defer hv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return deniedFix(fn(ctx, hv), hv.Access())
}

// deniedFix gives a change refused on a read-only connection the way out
// that fits why it is read-only (--read-only asked, or no right).
func deniedFix(err error, access vm.Access) error {
	var ve *vm.Error
	if access.Writable() || !errors.Is(err, vm.ErrDenied) || !errors.As(err, &ve) {
		return err
	}
	fixed := *ve
	fixed.Hint = access.Fix()
	return &fixed
}

// Timeouts of one command: callTimeout for one-shot calls, opTimeout for
// VM operations (a shutdown with --wait, a save, a delete with disks),
// diskTimeout for creating or cloning a VM's disks. Volume copies get
// their own (copyTimeout).
const (
	callTimeout = 30 * time.Second
	opTimeout   = 10 * time.Minute
	diskTimeout = 30 * time.Minute
)

// onOff reads the on|off argument of an autostart command.
func onOff(arg string) (bool, error) {
	switch strings.ToLower(arg) {
	case "on", "yes", "true":
		return true, nil
	case "off", "no", "false":
		return false, nil
	}
	return false, usageError{fmt.Errorf("autostart takes on or off, not %q", arg)}
}

// confirm asks before a risky change, as the VM verbs do: the person at a
// terminal answers y/N (or types name, when name is set); a script must
// pass --yes, and is told what it would have done. The context it returns
// carries the answer with the change (the hv daemon checks it).
func (g *globals) confirm(ctx context.Context, cmd *cobra.Command, yes bool, action, target, name, impact string) (context.Context, error) {
	c := g.confirmer(cmd, yes)
	rule := phase.Rule{Verdict: phase.Confirm, Ask: phase.YesNo, Typed: phase.YesNo}
	if name != "" {
		rule.Ask, rule.Typed, target = phase.TypeName, phase.TypeName, name
	}
	answer, err := c.confirm(rule, action, target, impact)
	var ny needsYes
	if errors.As(err, &ny) {
		return ctx, needsYes{fmt.Errorf("%s; %w", strings.TrimSuffix(impact, "."), ny.error)}
	}
	return vm.WithConfirmation(ctx, answer), err
}

// running keeps the names of VMs that run (or are paused) now.
func running(ctx context.Context, hv vm.Hypervisor, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	vms, err := hv.List(ctx)
	if err != nil {
		return nil, err
	}
	active := map[string]bool{}
	for _, v := range vms {
		active[v.Name] = v.State.Active()
	}
	var out []string
	for _, n := range names {
		if active[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

func activeWord(b bool) string {
	if b {
		return "active"
	}
	return "inactive"
}

// exactArgs is cobra.ExactArgs with usage names in the error.
func exactArgs(names ...string) cobra.PositionalArgs {
	return usageArgs(func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return fmt.Errorf("%s takes %s (got %d arguments)", cmd.CommandPath(), strings.Join(names, " "), len(args))
		}
		return nil
	})
}

// newObjStartCmd is 'hv net start' and 'hv pool start': noun is the kind of
// object, arg its name in the usage.
func newObjStartCmd(g *globals, noun, arg string, start func(vm.Hypervisor, context.Context, string) error) *cobra.Command {
	return &cobra.Command{
		Use:   "start " + arg,
		Short: "Start a " + noun,
		Args:  exactArgs(arg),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				if err := start(hv, ctx, args[0]); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "started "+noun+" "+termsafe.String(args[0]))
				return nil
			})
		},
	}
}

// newObjAutostartCmd is 'hv net autostart' and 'hv pool autostart'.
func newObjAutostartCmd(g *globals, noun, arg string, set func(vm.Hypervisor, context.Context, string, bool) error) *cobra.Command {
	return &cobra.Command{
		Use:   "autostart " + arg + " on|off",
		Short: "Start a " + noun + " with the host, or not",
		Args:  exactArgs(arg, "on|off"),
		RunE: func(cmd *cobra.Command, args []string) error {
			on, err := onOff(args[1])
			if err != nil {
				return err
			}
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				if err := set(hv, ctx, args[0], on); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), autostartLine(noun, args[0], on))
				return nil
			})
		},
	}
}

func autostartLine(what, name string, on bool) string {
	if on {
		return what + " " + termsafe.String(name) + " starts with the host"
	}
	return what + " " + termsafe.String(name) + " no longer starts with the host"
}
