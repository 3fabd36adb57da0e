package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/ui/termsafe"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "The audit trail of every change made through hv",
		Long: "Every state-changing action (who, what, target, result, time) is appended to a hash-chained log:\n" +
			audit.SystemPath + " on a Hyper-NixOS host, else ~/.local/state/hv/audit.log ($" + audit.PathEnv + " overrides).",
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
			entries, err := audit.Open(audit.DefaultPath(stateDir())).Read()
			if err != nil {
				return err
			}
			if since > 0 {
				cut := time.Now().Add(-since)
				kept := entries[:0]
				for _, e := range entries {
					if e.When().After(cut) {
						kept = append(kept, e)
					}
				}
				entries = kept
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
		Short: "Check that no entry was edited, removed or moved",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := audit.Open(audit.DefaultPath(stateDir()))
			n, err := log.Verify()
			var p *audit.Problem
			if errors.As(err, &p) {
				return fmt.Errorf("%s: %w; the entries before line %d are intact", log.Path, err, p.Line)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d entries, chain intact\n", log.Path, n)
			return nil
		},
	}
	cmd.AddCommand(show, verify)
	return cmd
}
