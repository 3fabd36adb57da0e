package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
)

func newVMCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vm",
		Short: "Virtual machines",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newVMListCmd(g))
	for _, v := range lifecycleVerbs {
		cmd.AddCommand(newLifecycleCmd(g, v.use, v.short, v.a))
	}
	cmd.AddCommand(newCreateCmd(g), newCloneCmd(g), newDeleteCmd(g), newShowCmd(g), newAutostartCmd(g), newSetCmd(g), newSnapshotCmd(g), newConsoleCmd(g), newMigrateCmd(g))
	return cmd
}

// vmJSON is one VM in 'hv vm list --json'; documented in the README.
type vmJSON struct {
	Name       string `json:"name"`
	UUID       string `json:"uuid"`
	State      string `json:"state"`
	VCPUs      int    `json:"vcpus"`
	MemoryKiB  uint64 `json:"memory_kib"`
	Autostart  bool   `json:"autostart"`
	Persistent bool   `json:"persistent"`
	Host       string `json:"host,omitempty"` // with --all-hosts
}

func vmJSONOf(v vm.VM) vmJSON {
	return vmJSON{v.Name, v.UUID, v.State.String(), v.VCPUs, v.MemoryKiB, v.Autostart, v.Persistent, v.Host}
}

// matching lists the VMs f matches, sorted.
func matching(ctx context.Context, hv vm.Hypervisor, f vm.Filter) ([]vm.VM, error) {
	all, err := hv.List(ctx)
	if err != nil {
		return nil, err
	}
	var vms []vm.VM
	for _, v := range all {
		if f.Match(v) {
			vms = append(vms, v)
		}
	}
	sortVMs(vms)
	return vms, nil
}

func newVMListCmd(g *globals) *cobra.Command {
	var asJSON, allHosts bool
	var query string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the VMs of the host",
		Long: "List every VM with its state, vCPUs, memory and autostart.\n\n" +
			"--all-hosts lists the VMs of this host and of every host 'hv hosts' shows, with a HOST column;\n" +
			"a host that does not answer within a few seconds is named on standard error and left out.\n\n" +
			"--filter takes the query of the TUI's '/' filter: " + vm.FilterHelp + ".",
		Example: "  hv vm list\n  hv vm list --filter state:running --json | jq -r '.[].name'\n  hv vm list --all-hosts --filter host:hv2",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, err := vm.ParseFilter(query)
			if err != nil {
				return usageError{fmt.Errorf("--filter: %w", err)}
			}
			list := func(ctx context.Context, hv vm.Hypervisor) error {
				vms, err := matching(ctx, hv, filter)
				if err != nil {
					return err
				}
				for _, h := range vm.HostsOf(hv) {
					if h.State != vm.HostUp {
						fmt.Fprintf(cmd.ErrOrStderr(), "hv: host %s is %s (%s): its VMs are left out\n", termsafe.String(h.Name), h.State, termsafe.String(h.Err))
					}
				}
				if asJSON {
					out := make([]vmJSON, 0, len(vms))
					for _, v := range vms {
						out = append(out, vmJSONOf(v))
					}
					return writeJSON(cmd.OutOrStdout(), out)
				}
				return writeVMTable(cmd.OutOrStdout(), vms)
			}
			if !allHosts {
				return g.withHV(callTimeout, list)
			}
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			hv, err := g.openFleet(ctx)
			if err != nil {
				return err
			}
			defer hv.Close()
			return list(ctx, hv)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array (fields in the README)")
	cmd.Flags().BoolVar(&allHosts, "all-hosts", false, "list the VMs of every host you reach ('hv hosts'), with their host")
	cmd.Flags().StringVarP(&query, "filter", "f", "", "only VMs matching a query such as 'state:running web'")
	return cmd
}

func writeVMTable(w io.Writer, vms []vm.VM) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	hosts := slices.ContainsFunc(vms, func(v vm.VM) bool { return v.Host != "" })
	if hosts {
		fmt.Fprint(tw, "HOST\t")
	}
	fmt.Fprintln(tw, "NAME\tSTATE\tVCPUS\tMEMORY\tAUTOSTART")
	for _, v := range vms {
		if hosts {
			fmt.Fprint(tw, termsafe.String(v.Host)+"\t")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", termsafe.String(v.Name), v.State, v.VCPUs, vm.FormatKiB(v.MemoryKiB), ui.YesNo(v.Autostart))
	}
	return tw.Flush()
}
