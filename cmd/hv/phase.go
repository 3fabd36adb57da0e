package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

func newPhaseCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "phase",
		Short: "The security phase: status, harden (setup to hardened), setup (back, as root)",
		Long: "A host is in the setup phase (permissive: dangerous actions allowed after confirmation) or the\n" +
			"hardened phase (production: what exposes the host, deletes data in one step or acts on many\n" +
			"VMs at high risk is refused). hv, the CLI and the apply service obey the same permission\n" +
			"matrix; 'hv phase status' prints it. Hardening runs pre-checks; only root can go back.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newPhaseStatusCmd(g), newPhaseHardenCmd(g), newPhaseSetupCmd(g))
	return cmd
}

// phaseFacts reads what the phase commands show: the host contract, the
// host file changes start from, and the pre-checks of hardening it.
type phaseFacts struct {
	state   *nix.State
	working *nix.Host // staged, else applied, else the bootstrap of a new host
	running phase.Phase
	checks  []phase.Check
	// enforcer is the hv daemon whose phase binds this user ("" when hv
	// talks to libvirt itself); its phase is running.
	enforcer string
}

func (g *globals) phaseFacts() (*phaseFacts, error) {
	st, err := g.state()
	if err != nil {
		return nil, err
	}
	f := &phaseFacts{state: st, running: runningPhase(st.Applied, st.AppliedErr)}
	if dial, where, err := g.daemonDialer(); err == nil && dial != nil {
		// The daemon's phase binds, whatever host file this user can read.
		f.running, f.enforcer = g.securityPhase(), where
	}
	f.working, err = st.Working()
	if errors.Is(err, nix.ErrNoHostFile) {
		f.working, err = runningHost(st), nil
	}
	if err != nil {
		return nil, err
	}
	facts := features.Builtin().HardenFacts(f.working)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	v, err := g.trail(st.Paths).verify(ctx)
	facts.AuditPath, facts.AuditEntries, facts.AuditErr = v.Path, v.Entries, err
	if err == nil && v.Problem != nil {
		facts.AuditErr = api.Decode(*v.Problem)
	}
	f.checks = phase.HardenChecks(facts)
	return f, nil
}

type phaseStatusJSON struct {
	Phase         string        `json:"phase"`
	HostFile      string        `json:"host_file"`
	HostFileNote  string        `json:"host_file_note,omitempty"`
	EnforcedBy    string        `json:"enforced_by,omitempty"` // the hv daemon whose phase binds
	StagedPhase   string        `json:"staged_phase,omitempty"`
	Rules         []ruleJSON    `json:"rules"`
	HardenChecks  []phase.Check `json:"harden_checks,omitempty"`
	ReadyToHarden *bool         `json:"ready_to_harden,omitempty"`
	Leave         string        `json:"leave,omitempty"`
}

type ruleJSON struct {
	Operation string `json:"operation"`
	Kind      string `json:"kind"`
	Risk      string `json:"risk"`
	Setup     string `json:"setup"`
	Hardened  string `json:"hardened"`
	// Terminal and Script are what the running phase asks before the
	// operation: of a person at a terminal (and in the TUI), and of a
	// command in a script.
	Terminal string `json:"terminal"`
	Script   string `json:"script"`
	Why      string `json:"why,omitempty"`
	Fix      string `json:"fix,omitempty"`
}

// terminalAsks says what rule asks a person (phase.Rule.Ask), the TUI's
// dialogs and the CLI's prompts alike.
func terminalAsks(r phase.Rule) string {
	switch r.Ask {
	case phase.YesNo:
		return "yes or no"
	case phase.TypeName:
		return "the name typed"
	}
	return "nothing"
}

// scriptAsks says what rule asks of a command in a script (phase.Rule.Typed).
func scriptAsks(r phase.Rule) string {
	switch {
	case r.Typed != phase.NoQuestion:
		return "--yes"
	case r.Ask != phase.NoQuestion:
		return "nothing: the command is its yes"
	}
	return "nothing"
}

func newPhaseStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "The phase, what it asks and refuses, and whether the host is ready to be hardened",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := g.phaseFacts()
			if err != nil {
				return err
			}
			report := statusReport(f)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), report)
			}
			writePhaseStatus(cmd.OutOrStdout(), f, report)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func statusReport(f *phaseFacts) phaseStatusJSON {
	r := phaseStatusJSON{Phase: string(f.running), HostFile: f.state.Paths.Host, EnforcedBy: f.enforcer}
	switch {
	case f.enforcer != "":
		if here := runningPhase(f.state.Applied, f.state.AppliedErr); here != f.running {
			r.HostFileNote = fmt.Sprintf("the host file here says %s; the daemon's phase is the one that binds", here)
		}
	case errors.Is(f.state.AppliedErr, nix.ErrNoHostFile):
		r.HostFileNote = "no host file yet: the setup phase applies ('hv wizard' writes one)"
	case f.state.AppliedErr != nil:
		r.HostFileNote = "unreadable, so hv acts as if hardened: " + f.state.AppliedErr.Error()
	}
	if f.state.Staged != nil && f.state.Staged.Phase != string(f.running) {
		r.StagedPhase = f.state.Staged.Phase
	}
	for _, row := range phase.Matrix() {
		rule := row.Setup
		if f.running == phase.Hardened {
			rule = row.Hardened
		}
		r.Rules = append(r.Rules, ruleJSON{Operation: row.What, Kind: string(row.Op.Kind), Risk: row.Op.Risk.String(),
			Setup: row.Setup.Verdict.String(), Hardened: row.Hardened.Verdict.String(),
			Terminal: terminalAsks(rule), Script: scriptAsks(rule), Why: rule.Why, Fix: rule.Fix})
	}
	if f.running == phase.Setup {
		ready := phase.Passed(f.checks)
		r.HardenChecks, r.ReadyToHarden = f.checks, &ready
	} else {
		r.Leave = phase.Decide(phase.Hardened, phase.Op{Kind: phase.PhaseLeave}, phase.Operator).Reason()
	}
	return r
}

func writePhaseStatus(w io.Writer, f *phaseFacts, r phaseStatusJSON) {
	if r.EnforcedBy != "" {
		fmt.Fprintf(w, "Security phase: %s (enforced by the hv daemon at %s)\n", r.Phase, r.EnforcedBy)
	} else {
		fmt.Fprintf(w, "Security phase: %s (%s)\n", r.Phase, r.HostFile)
	}
	if r.HostFileNote != "" {
		fmt.Fprintf(w, "  %s\n", r.HostFileNote)
	}
	if r.StagedPhase != "" {
		fmt.Fprintf(w, "  staged: %s, not applied yet ('hv features status')\n", r.StagedPhase)
	}
	fmt.Fprintf(w, "\nIn the %s phase, operators are:\n", r.Phase)
	writeRules(w, f.running, func(row phase.Row) phase.Rule {
		if f.running == phase.Hardened {
			return row.Hardened
		}
		return row.Setup
	}, false)
	if f.running == phase.Hardened {
		fmt.Fprintf(w, "\nLeaving the hardened phase: %s.\n", r.Leave)
		return
	}
	fmt.Fprintln(w, "\nHardened, they would also be:")
	writeRules(w, phase.Hardened, func(row phase.Row) phase.Rule { return row.Hardened }, true)
	fmt.Fprintln(w)
	writeChecks(w, f.checks)
}

// writeRules prints the rows whose rule is not a plain "allowed"; with
// onlyStricter, those hardening makes stricter.
func writeRules(w io.Writer, p phase.Phase, rule func(phase.Row) phase.Rule, onlyStricter bool) {
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	rows := phase.Matrix()
	if onlyStricter {
		rows = phase.Stricter()
	}
	for _, row := range rows {
		if (row.Op.Kind == phase.PhaseLeave && p == phase.Setup) || (row.Op.Kind == phase.PhaseHarden && p == phase.Hardened) {
			continue // nothing to leave, or to move to
		}
		// Every line has the same cells, so that the columns line up; a
		// refusal's reason is the last cell, which sets no width.
		r := rule(row)
		switch {
		case r.Verdict == phase.Allow && !onlyStricter:
			fmt.Fprintf(tw, "  allowed\t%s\t\t\n", row.What)
		case r.Verdict == phase.Confirm:
			fmt.Fprintf(tw, "  asked first\t%s\tterminal: %s\tscript: %s\n", row.What, terminalAsks(r), scriptAsks(r))
		case r.Verdict == phase.Refuse:
			fmt.Fprintf(tw, "  refused\t%s\t%s\n", row.What, r.Reason())
		}
	}
	tw.Flush()
	for _, line := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

func writeChecks(w io.Writer, checks []phase.Check) {
	if phase.Passed(checks) {
		fmt.Fprintln(w, "Ready to harden: yes ('hv phase harden')")
	} else {
		fmt.Fprintln(w, "Ready to harden: no")
	}
	for _, c := range checks {
		mark := "[ok]"
		if !c.OK {
			mark = "[no]"
		}
		fmt.Fprintf(w, "  %s %s: %s\n", mark, c.Name, c.Detail)
		if c.Fix != "" {
			fmt.Fprintf(w, "       fix: %s\n", c.Fix)
		}
	}
}

func newPhaseHardenCmd(g *globals) *cobra.Command {
	var yes, dryRun, wait bool
	cmd := &cobra.Command{
		Use:   "harden",
		Short: "Move the host to the hardened phase, after pre-checks",
		Long: "Checks that no critical feature (nor any other the hardened phase refuses) is on, that the\n" +
			"audit trail is intact and that operators are defined; lists what the phase will refuse and\n" +
			"ask from then on; then stages the host file in the hardened phase and starts the apply\n" +
			"service, which checks it all again as root. Only root can leave the hardened phase.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := g.phaseFacts()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.working.Phase == string(phase.Hardened) {
				fmt.Fprintln(out, "The host file is in the hardened phase already ('hv phase status').")
				return nil
			}
			writeChecks(out, f.checks)
			if !phase.Passed(f.checks) {
				return &cliError{msg: "not hardened: " + phase.Failed(f.checks), fix: "see the fixes above, then run 'hv phase harden' again"}
			}
			fmt.Fprintln(out, "\nFrom then on, operators will find these refused or asked first:")
			writeRules(out, phase.Hardened, func(row phase.Row) phase.Rule { return row.Hardened }, true)
			fmt.Fprintln(out, "Only root can move the host back to setup.")
			if p, ok := features.Builtin().Phase(string(phase.Hardened)); ok && len(p.Effects) > 0 {
				fmt.Fprintln(out, "\nOn NixOS, the hardened phase also sets:")
				for _, e := range p.Effects {
					fmt.Fprintln(out, "  - "+e)
				}
			}
			if dryRun {
				fmt.Fprintln(out, "\ndry run: nothing staged")
				return nil
			}
			return stagePhase(cmd, g, f, phase.Hardened, question{audit: "phase.harden", verb: "harden", target: "this host",
				impact: "Operators will find the above refused; only root can go back."}, wait, yes)
		},
	}
	yesFlag(cmd, &yes)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "run the pre-checks and show what changes, stage nothing")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the apply to finish and show its result")
	return cmd
}

func newPhaseSetupCmd(g *globals) *cobra.Command {
	var yes, wait bool
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Move the host back to the setup phase (root only; audited)",
		Long: "Leaving the hardened phase needs root: the phase exists so that a taken-over operator account\n" +
			"cannot weaken the host. Run as root (hv never calls sudo), it stages the host file as root's own\n" +
			"(the apply service accepts root-only changes from a file only root can have written) and starts\n" +
			"the apply service. Every attempt, refused or not, goes to the audit trail.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := g.phaseFacts()
			if err != nil {
				return err
			}
			if f.working.Phase != string(phase.Hardened) {
				fmt.Fprintln(cmd.OutOrStdout(), "The host file is in the setup phase already ('hv phase status').")
				return nil
			}
			fmt.Fprintln(cmd.OutOrStdout(), "The setup phase allows what production refuses: critical features, deleting a VM with its disks, high-risk actions on many VMs at once.")
			return stagePhase(cmd, g, f, phase.Setup, question{audit: "phase.leave", verb: "leave the hardened phase on", target: "this host",
				impact: "The host leaves production rules."}, wait, yes)
		},
	}
	yesFlag(cmd, &yes)
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the apply to finish and show its result")
	return cmd
}

// stagePhase stages the working host file in phase p, after the question
// the change asks (hostchange.Question), and starts the apply service (not
// on the demo host, which has none). The stager checks it all again and
// writes the trail, refusals included (leaving the hardened phase as an
// operator).
func stagePhase(cmd *cobra.Command, g *globals, f *phaseFacts, p phase.Phase, q question, wait, yes bool) error {
	c := features.Builtin()
	next := *f.working
	next.Phase = string(p)
	if r := c.CheckHost(&next); !r.OK() {
		return r.Err()
	}
	rule, _ := hostchange.Question(c, runningHost(f.state), &next, actor())
	answer, err := g.confirmer(cmd, yes).confirm(rule, q)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), applyTimeout)
	defer cancel()
	req := hostchange.Request{Next: &next, Expected: f.state.StagedRaw, Action: q.audit, Summary: "phase " + string(p)}
	return stageAndApply(vm.WithConfirmation(ctx, answer), cmd.OutOrStdout(), g, f.state.Paths, req, wait,
		"Staged the "+string(p)+" phase in "+f.state.Paths.Staged+".", "Started. 'hv phase status' shows the phase once applied.")
}
