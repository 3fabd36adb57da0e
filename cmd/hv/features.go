package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
)

func newFeaturesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "features",
		Short: "Host features by risk: list, explain, enable, disable, score, apply",
		Long: "Host features (passthrough, bridges, remote access, hardening...) come from a catalog that\n" +
			"hv and the NixOS module share. Changes are staged in a host file; hyper-nixos-apply.service\n" +
			"(root) checks it with the same rules, installs it and rebuilds the system.\n\n" +
			"Files: the applied host file " + nix.DefaultHostFile + " ($" + nix.HostFileEnv + "), the staged one\n" +
			"and the last result under " + nix.DefaultStateDir + " ($" + nix.StateDirEnv + "). With --demo, a private copy.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newFeaturesListCmd(g), newFeaturesShowCmd(g),
		newFeaturesChangeCmd(g, "enable ID...", "Turn features on, with what they require", enablePlan),
		newFeaturesChangeCmd(g, "disable ID...", "Turn features off, with what requires them", disablePlan),
		newFeaturesChangeCmd(g, "preset NAME", "Replace the selection and phase with a preset (paranoid, cautious, balanced, permissive)", presetPlan),
		newFeaturesChangeCmd(g, "phase PHASE", "Move the selection to another security phase", phasePlan),
		newFeaturesScoreCmd(g), newFeaturesStatusCmd(g), newFeaturesApplyCmd(g),
		newFeaturesCheckCmd(g), newFeaturesInitCmd(),
	)
	return cmd
}

// working reads the contract and the host file changes start from.
func (g *globals) working() (*nix.State, *nix.Host, error) {
	st, err := g.state()
	if err != nil {
		return nil, nil, err
	}
	h, err := st.Working()
	return st, h, err
}

// runningHost is the host file the system runs, or what a host without one
// runs as (the setup phase, nothing on), for judging a change.
func runningHost(st *nix.State) *nix.Host {
	if st.Applied != nil {
		return st.Applied
	}
	return nix.NewHost(string(phase.Setup), []string{})
}

func newFeaturesListCmd(g *globals) *cobra.Command {
	var asJSON bool
	var category string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every feature with its risk and state",
		Long: "List the catalog with each feature's risk and its state in the staged selection (or the\n" +
			"applied one when nothing is staged): on, required (on because another feature needs it), off.\n" +
			"Without a host file the states are left out.",
		Example: "  hv features list --category hardening\n  hv features list --json | jq -r '.[] | select(.state != \"off\") | .id'",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := features.Builtin()
			if category != "" && len(c.InCategory(category)) == 0 {
				return usageError{fmt.Errorf("--category: no category %q (see 'hv features list')", category)}
			}
			var r *features.Resolution
			if _, h, err := g.working(); err == nil {
				r = c.Resolve(h.Features, h.Phase)
			} else if !errors.Is(err, nix.ErrNoHostFile) {
				return err
			}
			rows := featureRows(c, r, category)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			return writeFeatureTable(cmd.OutOrStdout(), rows, r != nil)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.Flags().StringVar(&category, "category", "", "only one category: virtualisation, networking, storage, access, monitoring, hardening")
	return cmd
}

func newFeaturesShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:               "show ID",
		ValidArgsFunction: complete(g, featureIDs),
		Short:             "Explain a feature: what it does, its security impact, requirements and conflicts",
		Example:           "  hv features show gpu-passthrough",
		Args:              usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := features.Builtin()
			f, ok := c.Feature(args[0])
			if !ok {
				return unknownFeature(args[0])
			}
			var r *features.Resolution
			if _, h, err := g.working(); err == nil {
				r = c.Resolve(h.Features, h.Phase)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), featureDetail(c, f, r))
			}
			return writeFeatureDetail(cmd.OutOrStdout(), c, f, r)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// unknownFeature is a usage error: the catalog is built in, like a flag.
func unknownFeature(id string) error {
	ids := mapNames(features.Builtin().Features(), func(f *features.Feature) string { return f.ID })
	return usageError{fmt.Errorf("unknown feature %q%s: 'hv features list' shows the ids", id, didYouMean(id, ids))}
}

// cliError is an error with its fix, for errorLine; err is the error it
// wraps, if any.
type cliError struct {
	msg, fix string
	err      error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Fix() string   { return e.fix }
func (e *cliError) Unwrap() error { return e.err }

// withFix gives err the fix errorLine prints after it.
func withFix(err error, fix string) error { return &cliError{msg: err.Error(), fix: fix, err: err} }

// A plan turns the arguments into a change of the working selection.
type plan func(c *features.Catalog, r *features.Resolution, args []string) (*features.Change, error)

func enablePlan(c *features.Catalog, r *features.Resolution, ids []string) (*features.Change, error) {
	for _, id := range ids {
		if _, ok := c.Feature(id); !ok {
			return nil, unknownFeature(id)
		}
	}
	return c.Enable(r, ids...), nil
}

func disablePlan(c *features.Catalog, r *features.Resolution, ids []string) (*features.Change, error) {
	for _, id := range ids {
		if _, ok := c.Feature(id); !ok {
			return nil, unknownFeature(id)
		}
	}
	return c.Disable(r, ids...), nil
}

func presetPlan(c *features.Catalog, r *features.Resolution, args []string) (*features.Change, error) {
	if _, ok := c.Preset(args[0]); !ok {
		ids := mapNames(c.Presets(), func(p features.Preset) string { return p.ID })
		return nil, usageError{fmt.Errorf("unknown preset %q%s: the presets are %s", args[0], didYouMean(args[0], ids), joinIDs(ids))}
	}
	return c.ApplyPreset(r, args[0])
}

func phasePlan(c *features.Catalog, r *features.Resolution, args []string) (*features.Change, error) {
	if _, ok := c.Phase(args[0]); !ok {
		return nil, usageError{fmt.Errorf("unknown phase %q%s: the phases are %s", args[0], didYouMean(args[0], c.PhaseIDs()), joinIDs(c.PhaseIDs()))}
	}
	return c.WithPhase(r, args[0]), nil
}

// newFeaturesChangeCmd builds enable, disable, preset and phase: plan the
// change, check the whole resulting host file as the apply service will,
// show what changes and the risk before and after, then stage it.
func newFeaturesChangeCmd(g *globals, use, short string, p plan) *cobra.Command {
	var asJSON, dryRun, yes bool
	args := cobra.ExactArgs(1)
	if use == "enable ID..." || use == "disable ID..." {
		args = cobra.MinimumNArgs(1)
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + ".\n\nShows everything else that changes and why, and the risk score before and after; then\n" +
			"stages the host file (--dry-run stops before). Nothing is staged when the result would break\n" +
			"a rule: each problem is listed. Turning on a high risk feature asks y/N first, a critical one\n" +
			"its id typed (scripts pass --yes). Apply staged changes with 'hv features apply'.",
		Args: usageArgs(args),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, h, err := g.working()
			if err != nil {
				return err
			}
			c := features.Builtin()
			ch, err := p(c, c.Resolve(h.Features, h.Phase), args)
			if err != nil {
				return err
			}
			next, check := c.Stage(h, ch)
			// What the apply service would refuse (the phase matrix, what
			// only root may) is refused here, before anything is staged.
			check.Problems = append(check.Problems, c.CheckChange(runningHost(st), next, actor())...)
			report := changeReport(c, ch, check, st.Paths.Staged)
			shown := false // the change, printed before a question
			if check.OK() && !ch.Empty() && !dryRun {
				answer, err := askFeatures(g.confirmer(cmd, yes), c, runningHost(st), next, "features.stage", func() {
					if !asJSON {
						writeChange(cmd.OutOrStdout(), report, "not staged yet")
						shown = true
					}
				})
				if err != nil {
					return err
				}
				ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
				defer cancel()
				req := hostchange.Request{Next: next, Expected: st.StagedRaw, Action: "features.stage", Summary: ch.Summary()}
				if _, err := g.trail(st.Paths).stage(vm.WithConfirmation(ctx, answer), req); err != nil {
					return err
				}
				report.Staged = true
			}
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), report); err != nil {
					return err
				}
			} else {
				footer := "staged in " + report.Path + "; apply with 'hv features apply'"
				switch {
				case dryRun:
					footer = "dry run: nothing staged"
				case shown:
					fmt.Fprintln(cmd.OutOrStdout(), footer)
				}
				if !shown {
					writeChange(cmd.OutOrStdout(), report, footer)
				}
			}
			if !check.OK() {
				return &cliError{msg: fmt.Sprintf("nothing staged: the change leaves %d problem(s)", len(check.Problems)),
					fix: "turn off what conflicts or is not allowed, or set what is needed, then try again"}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would change, stage nothing")
	switch strings.Fields(use)[0] {
	case "enable", "disable":
		cmd.ValidArgsFunction = completeEach(g, featureIDs)
	case "preset":
		cmd.ValidArgsFunction = complete(g, presetIDs)
	case "phase":
		cmd.ValidArgsFunction = complete(g, phaseIDs)
	}
	yesFlag(cmd, &yes)
	return cmd
}

// askFeatures asks what the change from running to next asks
// (hostchange.Question: y/N for a high risk feature, its id typed for a
// critical one), as the Features screen does; a script says --yes. show
// prints the change before the question.
func askFeatures(q confirmer, c *features.Catalog, running, next *nix.Host, action string, show func()) (vm.Confirmation, error) {
	rule, name := hostchange.Question(c, running, next, actor())
	if rule.Ask == phase.NoQuestion {
		return vm.Confirmation{}, nil
	}
	if !q.yes && q.interactive() {
		show()
	}
	impact, verb, target := rule.Why, "stage", "this change"
	if f, ok := c.Feature(name); ok {
		impact, verb, target = strings.ToUpper(f.Risk.String())+" risk: "+f.Impact, "enable", name
	}
	return q.confirm(rule, question{audit: action, verb: verb, target: target, impact: impact})
}

func newFeaturesScoreCmd(g *globals) *cobra.Command {
	var asJSON bool
	var preset string
	cmd := &cobra.Command{
		Use:   "score",
		Short: "The risk score of the selection, by category",
		Long: "The risk score adds up the points of every enabled feature's risk level (minimal 0, low 1,\n" +
			"medium 3, high 6, critical 10). Hardening features add none; they are counted apart.\n" +
			"Scores the staged selection, else the applied one, or a preset with --preset.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := features.Builtin()
			var r *features.Resolution
			label := ""
			if preset != "" {
				p, ok := c.Preset(preset)
				if !ok {
					return usageError{fmt.Errorf("--preset: no preset %q", preset)}
				}
				r, label = c.Resolve(p.Features, p.Phase), "preset "+p.ID
			} else {
				st, h, err := g.working()
				if err != nil {
					return err
				}
				r, label = c.Resolve(h.Features, h.Phase), "applied selection"
				if st.HasStaged() {
					label = "staged selection (not applied yet)"
				}
			}
			s := c.Score(r.Enabled)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), scoreOf(c, s))
			}
			return writeScore(cmd.OutOrStdout(), c, s, label)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&preset, "preset", "", "score a preset instead")
	return cmd
}

func newFeaturesStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "What is applied, what is staged, and how the last apply went",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := g.state()
			if err != nil {
				return err
			}
			report := statusOf(features.Builtin(), st)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), report)
			}
			writeStatus(cmd.OutOrStdout(), report)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newFeaturesApplyCmd(g *globals) *cobra.Command {
	var wait, yes bool
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Start " + nix.ApplyUnit + " to apply the staged changes",
		Long: "Starts " + nix.ApplyUnit + " (polkit lets operators), which as root checks the staged\n" +
			"host file with the same rules as hv, installs it into the NixOS configuration and rebuilds.\n" +
			"Without --wait it returns at once; 'hv features status' shows the result.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := g.state()
			if err != nil {
				return err
			}
			if st.StagedErr != nil {
				return st.StagedErr
			}
			if !st.HasStaged() {
				return &cliError{msg: "nothing is staged", fix: "stage changes first, e.g. 'hv features enable ID'"}
			}
			if g.demo {
				return &cliError{msg: "the demo host has no apply service: your changes stay staged in " + st.Paths.Staged,
					fix: "on a Hyper-NixOS host, 'hv features apply' starts " + nix.ApplyUnit}
			}
			c := features.Builtin()
			answer, err := askFeatures(g.confirmer(cmd, yes), c, runningHost(st), st.Staged, "features.apply", func() {})
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), applyTimeout)
			defer cancel()
			req := hostchange.Request{Next: st.Staged, Expected: st.StagedRaw, Action: "features.apply",
				Summary: c.Diff(c.Resolve(runningHost(st).Features, runningHost(st).Phase), c.Resolve(st.Staged.Features, st.Staged.Phase)).Summary()}
			return stageAndApply(vm.WithConfirmation(ctx, answer), cmd.OutOrStdout(), g, st.Paths, req, wait,
				"The staged changes go to "+nix.ApplyUnit+".", "Started. 'hv features status' shows the result when it is done.")
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the apply to finish and show its result")
	yesFlag(cmd, &yes)
	return cmd
}

// applyTimeout bounds waiting for the apply service: a rebuild can be long.
const applyTimeout = 3 * time.Hour

// stageAndApply stages req and has the apply service started (by the hv
// daemon for operators), listing what it does; with wait it follows the
// apply to its result and prints it. The demo has no apply service: the
// change stays staged, and says so.
func stageAndApply(ctx context.Context, out io.Writer, g *globals, paths nix.Paths, req hostchange.Request, wait bool, staged, started string) error {
	since := time.Now()
	req.Apply = !g.demo
	res, err := g.trail(paths).stage(ctx, req)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, staged)
	if g.demo {
		fmt.Fprintln(out, "The demo host has no apply service: the change stays staged.")
		return nil
	}
	fmt.Fprintln(out, "How it is applied:")
	for i, step := range nix.ApplySteps(paths) {
		fmt.Fprintf(out, "  %d. %s\n", i+1, step)
	}
	if res.ApplyErr != nil {
		return withFix(fmt.Errorf("staged, but %s did not start: %w", nix.ApplyUnit, res.ApplyErr),
			"as root: hv apply --staged "+paths.Staged+" --install /etc/nixos/hyper-nixos/host.toml --result "+paths.Result+" -- nixos-rebuild switch")
	}
	if !wait {
		fmt.Fprintln(out, started)
		return nil
	}
	after := since.UTC().Format(time.RFC3339)
	for {
		if r, _ := nix.ReadApplyResult(paths.Result); r != nil && r.Finished >= after {
			writeStatus(out, statusOf(features.Builtin(), nix.ReadState(paths)))
			if !r.OK() {
				return &cliError{msg: "apply " + r.Status + ": " + r.Message, fix: "'hv features status' shows the problems and the rebuild's last lines"}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return &cliError{msg: "no result from " + nix.ApplyUnit + " in time", fix: "check 'systemctl status " + nix.ApplyUnit + "'"}
		case <-time.After(time.Second):
		}
	}
}

func newFeaturesCheckCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Check a host file with the rules of the apply service and the NixOS module",
		Long: "Checks a host file (by default the staged one, else the applied one): its TOML, schema and\n" +
			"version, the features' requirements, conflicts and phase, and every setting. Exit status 1\n" +
			"when anything is wrong.",
		Example: "  hv features check /etc/nixos/hyper-nixos/host.toml",
		Args:    usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			} else {
				paths, err := g.contract()
				if err != nil {
					return err
				}
				path = paths.Host
				if _, err := os.Stat(paths.Staged); err == nil {
					path = paths.Staged
				}
			}
			h, _, err := nix.ReadHost(path)
			if err != nil {
				return err
			}
			r := features.Builtin().CheckHost(h)
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), checkOf(path, r)); err != nil {
					return err
				}
			} else {
				writeCheck(cmd.OutOrStdout(), path, r)
			}
			if !r.OK() {
				return &cliError{msg: fmt.Sprintf("%s has %d problem(s)", path, len(r.Problems)), fix: "'hv features show ID' explains a feature"}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newFeaturesInitCmd() *cobra.Command {
	var preset, phase string
	var yes bool
	cmd := &cobra.Command{
		Use:   "init PATH",
		Short: "Write a new host file for the NixOS module",
		Long: "Writes a new host file at PATH, for services.hyper-nixos.hostFile: from a preset, or empty.\n" +
			"An existing file is never replaced.",
		Example: "  sudo hv features init /etc/nixos/hyper-nixos/host.toml --preset cautious",
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := os.Lstat(args[0]); err == nil {
				return &cliError{msg: args[0] + " already exists: hv features init never replaces a host file",
					fix: "change it with 'hv features' (staged, then applied), or move it away first"}
			}
			c := features.Builtin()
			h := nix.NewHost(phase, []string{})
			if preset != "" {
				p, ok := c.Preset(preset)
				if !ok {
					return usageError{fmt.Errorf("--preset: no preset %q (the presets: paranoid, cautious, balanced, permissive)", preset)}
				}
				h.Phase, h.Features = p.Phase, append([]string{}, p.Features...)
			}
			if r := c.CheckHost(h); !r.OK() {
				return r.Err()
			}
			h.Meta = nix.Meta{Updated: time.Now().UTC().Format(time.RFC3339), UpdatedBy: currentUser()}
			if _, err := nix.WriteHost(args[0], h, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s (phase %s, %d features). Point services.hyper-nixos.hostFile at it.\n", args[0], h.Phase, len(h.Features))
			return nil
		},
	}
	cmd.Flags().StringVar(&preset, "preset", "", "start from a preset: paranoid, cautious, balanced, permissive")
	cmd.Flags().StringVar(&phase, "phase", "setup", "the phase, when no preset is given")
	yesFlag(cmd, &yes) // a new file replaces nothing: nothing to ask
	return cmd
}
