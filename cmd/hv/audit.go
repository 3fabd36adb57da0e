package main

import (
	"errors"
	"fmt"
	"strings"
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
		Short: "Check that no entry was edited, removed or moved, the last ones included",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := audit.Open(audit.DefaultPath(stateDir()))
			n, err := log.Verify()
			var p *audit.Problem
			if errors.As(err, &p) && p.Line > 0 {
				return fmt.Errorf("%s: %w; the entries before line %d are intact", log.Path, err, p.Line)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", log.Path, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d entries, chain intact; %s\n", log.Path, n, anchoring(log, n))
			return nil
		},
	}
	cmd.AddCommand(show, verify)
	return cmd
}

// anchoring says which anchors vouched for a sound log of n entries, and
// which could not be read.
func anchoring(log *audit.Log, n int) string {
	anchors, unread, _ := log.Anchors()
	var says []string
	for _, a := range anchors {
		says = append(says, fmt.Sprintf("entry %d in %s", a.Seq, a.Source))
	}
	out := "anchored: " + strings.Join(says, ", ")
	switch {
	case len(anchors) == 0 && n == 0:
		out = "nothing to anchor yet"
	case len(anchors) == 0:
		out = "not anchored (written by an hv older than anchors, or by a process that may not write " + log.AnchorFile +
			"): a removed last entry would go unnoticed"
	}
	for _, err := range unread {
		out += "; not read: " + err.Error()
	}
	return termsafe.String(out)
}
