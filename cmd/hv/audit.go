package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/ui/termsafe"
)

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "The audit trail of every change made through hv",
		Long: "Every state-changing action (who, what, target, result, time) is appended to a hash-chained log:\n" +
			audit.SystemPath + " on a Hyper-NixOS host, else ~/.local/state/hv/audit.log ($" + audit.PathEnv + " overrides).\n" +
			"Each entry is also anchored outside the log, in the systemd journal and in " + audit.SystemAnchorPath + "\n" +
			"(for a log DIR/NAME elsewhere, DIR.anchor/NAME), so a removed last entry, an emptied or a deleted log is found.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var since time.Duration
	var asJSON bool
	show := &cobra.Command{
		Use:   "show [--since DURATION]",
		Short: "Show the trail, oldest first",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			paths, err := g.contract()
			if err != nil {
				return err
			}
			var cut time.Time
			if since > 0 {
				cut = time.Now().Add(-since)
			}
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			entries, err := g.trail(paths).entries(ctx, cut)
			if err != nil {
				return err
			}
			if asJSON {
				if entries == nil {
					entries = []audit.Entry{}
				}
				return writeJSON(cmd.OutOrStdout(), entries)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tTIME\tUSER\tACTION\tTARGET\tRESULT")
			for _, e := range entries {
				result := e.Result
				if e.Error != "" {
					result += ": " + e.Error
				}
				if e.Note != "" {
					result += " (" + e.Note + ")"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.When().Local().Format("2006-01-02 15:04:05"),
					termsafe.String(e.User), e.Action, termsafe.String(e.Target), termsafe.String(result))
			}
			return tw.Flush()
		},
	}
	show.Flags().DurationVar(&since, "since", 0, "only entries newer than this, e.g. 24h")
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check that no entry was edited, removed or moved, the last ones included",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			paths, err := g.contract()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			v, err := g.trail(paths).verify(ctx)
			switch {
			case err != nil:
				return err
			case v.Line > 0:
				return withFix(fmt.Errorf("%s: %w; the entries before line %d are intact", v.Path, v.Err(), v.Line), v.Problem.Fix)
			case v.Problem != nil:
				return withFix(fmt.Errorf("%s: %w", v.Path, v.Err()), v.Problem.Fix)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d entries, chain intact; %s\n", v.Path, v.Entries, termsafe.String(v.Anchoring))
			return nil
		},
	}
	cmd.AddCommand(show, verify)
	return cmd
}
