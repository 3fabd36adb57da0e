package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/nix/apply"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/features"
)

// newApplyCmd is what hyper-nixos-apply.service runs, as root.
func newApplyCmd() *cobra.Command {
	var o apply.Options
	var timeout time.Duration
	var auditPath string
	cmd := &cobra.Command{
		Use:   "apply --staged FILE --install FILE --result FILE -- REBUILD...",
		Short: "Apply a staged host file (run by " + nix.ApplyUnit + ", as root)",
		Long: "What " + nix.ApplyUnit + " runs: checks the staged host file with the same rules as hv and\n" +
			"the NixOS module, refuses what the phase matrix keeps from operators (leaving the hardened\n" +
			"phase, the operators, hardening off while hardened; a file only root can have written may),\n" +
			"refuses to harden a host that fails the pre-checks (hv phase status), installs it at\n" +
			"--install, runs the rebuild command, and writes the result to --result. A failed rebuild\n" +
			"puts the previous host file back (or removes a first one). Operators use 'hv features apply'.",
		Example: "  hv apply --staged /var/lib/hyper-nixos/staged/host.toml --install /etc/nixos/hyper-nixos/host.toml \\\n" +
			"    --result /var/lib/hyper-nixos/last-apply.json -- nixos-rebuild switch",
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Staged == "" || o.Result == "" {
				return usageError{fmt.Errorf("--staged and --result are required")}
			}
			o.Rebuild, o.Catalog, o.Audit = args, features.Builtin(), audit.Open(auditPath)
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			r, err := apply.Run(ctx, o)
			if r.Status != nix.ApplyNothing {
				if aerr := record("host.apply", o.Install+" "+r.Status, err); aerr != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "hv: the audit trail could not be written: "+aerr.Error())
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", r.Status, r.Message)
			for _, p := range r.Problems {
				fmt.Fprintln(cmd.OutOrStdout(), "  "+p)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&o.Staged, "staged", "", "the host file operators staged")
	cmd.Flags().StringVar(&o.Install, "install", "", "the host file of the NixOS configuration, replaced on success")
	cmd.Flags().StringVar(&o.Result, "result", "", "where to write the result for hv")
	cmd.Flags().StringVar(&auditPath, "audit", audit.SystemPath, "the audit trail, verified before a host is hardened (the service runs as root on the host)")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Hour, "give up on the rebuild after this long")
	return cmd
}
