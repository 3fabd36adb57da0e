package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// lifecycleVerbs are the commands that run one ops action on VMs; they call
// the same code as the TUI's keys.
var lifecycleVerbs = []struct {
	use   string
	short string
	a     *ops.Action
}{
	{"start", "Start VMs (restores saved ones)", ops.Start},
	{"shutdown", "Ask VMs to shut down (ACPI power button)", ops.Shutdown},
	{"reboot", "Ask VMs to reboot", ops.Reboot},
	{"destroy", "Force VMs off at once, like pulling the plug", ops.ForceOff},
	{"pause", "Pause VMs in memory", ops.Pause},
	{"resume", "Resume paused VMs", ops.Resume},
	{"save", "Save VMs' memory to disk and stop them (start restores)", ops.Save},
}

// resultJSON is one VM's outcome in --json output.
type resultJSON struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Skipped string `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`
	State   string `json:"state,omitempty"` // after shutdown --wait: the state waited for
}

func newLifecycleCmd(g *globals, use, short string, a *ops.Action) *cobra.Command {
	var sel selection
	var asJSON, yes, wait, force bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   use + " NAME...",
		Short: short,
		Long: short + ".\n\nRisk: " + a.Risk.String() + ". " + a.Impact +
			"\n\nName VMs, or pick them with --filter (the TUI's query) or --all.",
		Args: usageArgs(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := sel.check(args); err != nil {
				return err
			}
			if !wait && (cmd.Flags().Changed("force") || cmd.Flags().Changed("timeout")) {
				return usageError{errors.New("--force and --timeout say what to do while waiting: add --wait")}
			}
			return g.withHV(opTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				vms, err := sel.resolve(ctx, hv, args)
				if err != nil {
					return err
				}
				if len(vms) == 0 {
					return report(cmd.OutOrStdout(), cmd.ErrOrStderr(), a, nil, nil, asJSON)
				}
				p := g.securityPhase()
				rule := a.Policy(p, len(vms))
				if err := rule.Check(use+" "+names(vms), p); err != nil {
					return err
				}
				answer, err := g.confirmer(cmd, yes).confirm(rule, question{audit: a.Audit, verb: strings.ToLower(a.Label), target: names(vms), impact: a.Impact})
				if err != nil {
					return err
				}
				if answer.How != "" {
					answer.Name, answer.Bulk = "", len(vms) // each VM's own name (ops.Action.Run)
					ctx = vm.WithConfirmation(ctx, answer)
				}
				results := ops.Bulk(ctx, hv, a, vms, nil)
				var ended map[string]string
				if a == ops.Shutdown && wait {
					ended = waitShutdown(ctx, hv, results, timeout, force, cmd.ErrOrStderr())
				}
				return report(cmd.OutOrStdout(), cmd.ErrOrStderr(), a, results, ended, asJSON)
			})
		},
	}
	sel.flags(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the outcome per VM as JSON")
	yesFlag(cmd, &yes)
	if a == ops.Shutdown {
		cmd.Flags().BoolVar(&wait, "wait", false, "wait until the VMs are off")
		cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "with --wait: how long to wait")
		cmd.Flags().BoolVar(&force, "force", false, "with --wait: force off the VMs still running after --timeout")
	}
	cmd.ValidArgsFunction = completeEach(g, vmNames)
	return cmd
}

// selection is how a command picks VMs: names, --filter or --all.
type selection struct {
	filter string
	all    bool
}

func (s *selection) flags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&s.filter, "filter", "f", "", "act on the VMs matching this query, e.g. 'state:running web'")
	cmd.Flags().BoolVar(&s.all, "all", false, "act on every VM")
}

func (s *selection) check(args []string) error {
	picked := 0
	for _, b := range []bool{len(args) > 0, s.filter != "", s.all} {
		if b {
			picked++
		}
	}
	switch {
	case picked == 0:
		return usageError{errors.New("name the VMs, or use --filter QUERY or --all")}
	case picked > 1:
		return usageError{errors.New("use VM names, --filter or --all, not several")}
	}
	if _, err := vm.ParseFilter(s.filter); err != nil {
		return usageError{fmt.Errorf("--filter: %w", err)}
	}
	return nil
}

// resolve finds the VMs: each name must exist.
func (s *selection) resolve(ctx context.Context, hv vm.Hypervisor, args []string) ([]vm.VM, error) {
	if len(args) > 0 {
		var vms []vm.VM
		for _, name := range args {
			v, err := hv.Lookup(ctx, name)
			if err != nil {
				return nil, err
			}
			vms = append(vms, v)
		}
		return vms, nil
	}
	f, _ := vm.ParseFilter(s.filter)
	vms, err := matching(ctx, hv, f)
	if err == nil && len(vms) == 0 {
		err = &cliError{msg: "no VM matches " + termsafe.String(s.filter), fix: "'hv vm list' shows the VMs and their states"}
	}
	return vms, err
}

func names(vms []vm.VM) string {
	if len(vms) == 1 {
		return vms[0].Name
	}
	return fmt.Sprintf("%d VMs", len(vms))
}

// report prints one line per VM; failures go to stderr. A VM skipped (the
// action cannot run on it now) or failed fails the command (exit 1). ended
// says, by UUID, how the VMs waited for ended up.
func report(out, errOut io.Writer, a *ops.Action, results []ops.Result, ended map[string]string, asJSON bool) error {
	failed := 0
	var js []resultJSON
	for _, r := range results {
		name := termsafe.String(r.VM.Name)
		switch {
		case r.OK():
			if !asJSON {
				done := a.Done
				if e := ended[r.VM.UUID]; e != "" {
					done = e
				}
				fmt.Fprintf(out, "%s: %s\n", name, done)
			}
		case r.Skipped != "":
			if !asJSON {
				fmt.Fprintf(errOut, "hv: %s: skipped: %s\n", name, termsafe.String(r.Skipped))
			}
			failed++ // not done, however many were named
		default:
			failed++
			if !asJSON {
				fmt.Fprintln(errOut, errorLine(r.Err))
			}
		}
		j := resultJSON{Name: r.VM.Name, OK: r.OK(), Skipped: r.Skipped}
		if _, waited := ended[r.VM.UUID]; waited && r.OK() {
			j.State = vm.StateShutOff.String()
		}
		if r.Err != nil {
			j.Error = r.Err.Error()
		}
		js = append(js, j)
	}
	if asJSON {
		if err := writeJSON(out, js); err != nil {
			return err
		}
	}
	if failed > 0 {
		return silentError{fmt.Errorf("%s failed for %d of %d VMs", strings.ToLower(a.Label), failed, len(results))}
	}
	return nil
}

// silentError fails the command (exit 1) after its lines were printed.
type silentError struct{ error }

// waitShutdown waits for VMs asked to shut down to be off, polling their
// state, and forces off those still running after timeout when force. It
// sets the error of those still running, and returns by UUID how the
// others ended up.
func waitShutdown(ctx context.Context, hv vm.Hypervisor, results []ops.Result, timeout time.Duration, force bool, progress io.Writer) map[string]string {
	ended := map[string]string{}
	deadline := time.Now().Add(timeout)
	waiting := map[string]int{}
	for i, r := range results {
		if r.OK() {
			waiting[r.VM.UUID] = i
		}
	}
	if len(waiting) > 0 {
		fmt.Fprintf(progress, "waiting up to %v for %d VM(s) to shut down...\n", timeout, len(waiting))
	}
	for len(waiting) > 0 && time.Now().Before(deadline) {
		for uuid := range waiting {
			v, err := hv.Lookup(ctx, uuid)
			switch {
			case errors.Is(err, vm.ErrNotFound): // a transient VM is gone once off
				ended[uuid] = "shut down (gone: it was transient)"
			case err == nil && !v.State.Active():
				ended[uuid] = "shut down, now " + v.State.String()
			default:
				continue
			}
			delete(waiting, uuid)
		}
		if len(waiting) > 0 {
			time.Sleep(500 * time.Millisecond)
		}
	}
	for _, i := range waiting {
		r := &results[i]
		if !force {
			r.Err = &vm.Error{Op: "shut down", Target: r.VM.Name, Kind: vm.ErrTimeout,
				Detail: fmt.Sprintf("still running after %v; the guest may ignore the power button: force it off with 'hv vm destroy %s'", timeout, r.VM.Name)}
			continue
		}
		fmt.Fprintf(progress, "%s: still running after %v, forcing it off\n", termsafe.String(r.VM.Name), timeout)
		if r.Err = ops.ForceOff.Run(ctx, hv, r.VM); r.Err == nil {
			ended[r.VM.UUID] = fmt.Sprintf("forced off after %v, now %s", timeout, vm.StateShutOff)
		}
	}
	return ended
}
