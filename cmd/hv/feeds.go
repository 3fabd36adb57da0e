package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/security/threat/intel"
	"github.com/hyper-nixos/hv/ui/termsafe"
)

func newThreatsFeedsCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "feeds",
		Short: "Show the downloaded blocklists: entries, age, last failure",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := intel.Status(dir)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			if len(st) == 0 {
				fmt.Fprintf(w, "no blocklist in %s: the NixOS option hyperNixos.threatMonitor.feeds downloads them on a timer\n", dir)
			}
			for _, f := range st {
				fmt.Fprintf(w, "%-24s %8d entries  %s\n", f.Name, f.Entries, f.Age(time.Now()))
				if f.Err != "" {
					fmt.Fprintf(w, "%-24s last download failed: %s (the list above stays in force)\n", "", termsafe.String(f.Err))
				}
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&dir, "dir", intel.DefaultFeedDir, "directory of the downloaded lists")
	cmd.AddCommand(newThreatsFeedsUpdateCmd())
	return cmd
}

func newThreatsFeedsUpdateCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "update NAME=URL...",
		Short: "Download blocklists; a failed download keeps the last good list",
		Long: "Download each blocklist (plain addresses and CIDR ranges, FireHOL netsets, Spamhaus DROP as text\n" +
			"or JSON) into --dir as NAME.txt. A list replaces the previous one only when it downloaded whole\n" +
			"and every line reads; otherwise the previous one stays and the failure is kept for 'hv threats\n" +
			"feeds'. The monitor service reloads a list when it changes. The NixOS module runs this on a timer.",
		Example: "  hv threats feeds update firehol_level1=https://iplists.firehol.org/files/firehol_level1.netset",
		Args:    usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var feeds []intel.Feed
			for _, a := range args {
				f, err := intel.ParseFeed(a)
				if err != nil {
					return usageError{err}
				}
				feeds = append(feeds, f)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			client := &http.Client{Timeout: 2 * time.Minute}
			var errs []error
			for _, f := range feeds {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				n, err := intel.Update(ctx, client, dir, f)
				cancel()
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d entries\n", f.Name, n)
			}
			if len(errs) > 0 {
				return withFix(errors.Join(errs...), "the previous lists stay in force; the next run tries again")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", intel.DefaultFeedDir, "directory of the downloaded lists")
	return cmd
}
