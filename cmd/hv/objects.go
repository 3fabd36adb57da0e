package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
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

// interruptible makes ctrl+c (or SIGTERM) cancel ctx rather than end hv at
// once, for work that cleans up after itself when cancelled: a stopped copy
// deletes what it made. Only where no prompt waits for input, which a
// caught ctrl+c would no longer end.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
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

// ask puts the change q.audit, a route of the hv API (vm/api), to the
// permission matrix in the host's phase with the route's own kind and
// risk, as the hv daemon and the TUI do: refused with the reason, or asked
// what the matrix asks of a command typed on purpose (confirmer.confirm).
// ctx comes back carrying the answer, for the daemon to check.
func (g *globals) ask(ctx context.Context, cmd *cobra.Command, yes bool, q question) (context.Context, error) {
	p := g.securityPhase()
	op := api.Find(q.audit).Op
	op.Risk = max(op.Risk, q.risk)
	rule := phase.Decide(p, op, actor())
	if err := rule.Check(q.verb+" "+q.target, p); err != nil {
		return ctx, err
	}
	return g.answered(ctx, cmd, yes, rule, q)
}

// answered asks what rule asks of q; ctx comes back carrying the answer.
func (g *globals) answered(ctx context.Context, cmd *cobra.Command, yes bool, rule phase.Rule, q question) (context.Context, error) {
	answer, err := g.confirmer(cmd, yes).confirm(rule, q)
	if err != nil || answer.How == "" {
		return ctx, err
	}
	return vm.WithConfirmation(ctx, answer), nil
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

// object is what 'hv net' or 'hv pool' works on, for their shared verbs:
// its noun, its name in usages, its kind of change for the permission
// matrix, and its prefix in the audit trail (net.start, pool.start).
type object struct {
	noun, arg string
	kind      phase.Kind
	audit     string
	names     completer
}

var (
	network = object{"network", "NAME", phase.NetworkChange, "net", netNames}
	pool    = object{"pool", "POOL", phase.StorageChange, "pool", poolNames}
)

// newObjStartCmd is 'hv net start' and 'hv pool start'.
func newObjStartCmd(g *globals, o object, start func(vm.Hypervisor, context.Context, string) error) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:               "start " + o.arg,
		Short:             "Start a " + o.noun,
		Args:              exactArgs(o.arg),
		ValidArgsFunction: complete(g, o.names),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				ctx, err := g.ask(ctx, cmd, yes, question{audit: o.audit + ".start", verb: "start " + o.noun, target: args[0]})
				if err != nil {
					return err
				}
				if err := start(hv, ctx, args[0]); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "started "+o.noun+" "+termsafe.String(args[0]))
				return nil
			})
		},
	}
	yesFlag(cmd, &yes)
	return cmd
}

// newObjAutostartCmd is 'hv net autostart' and 'hv pool autostart'.
func newObjAutostartCmd(g *globals, o object, set func(vm.Hypervisor, context.Context, string, bool) error) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:               "autostart " + o.arg + " on|off",
		Short:             "Start a " + o.noun + " with the host, or not",
		Args:              exactArgs(o.arg, "on|off"),
		ValidArgsFunction: complete(g, o.names, onOffWords),
		RunE: func(cmd *cobra.Command, args []string) error {
			on, err := onOff(args[1])
			if err != nil {
				return err
			}
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				ctx, err := g.ask(ctx, cmd, yes, question{audit: o.audit + ".autostart", verb: "set autostart of " + o.noun, target: args[0]})
				if err != nil {
					return err
				}
				if err := set(hv, ctx, args[0], on); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), autostartLine(o.noun, args[0], on))
				return nil
			})
		},
	}
	yesFlag(cmd, &yes)
	return cmd
}

func autostartLine(what, name string, on bool) string {
	if on {
		return what + " " + termsafe.String(name) + " starts with the host"
	}
	return what + " " + termsafe.String(name) + " no longer starts with the host"
}
