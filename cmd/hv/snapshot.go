package main

import (
	"context"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
)

// snapshotJSON is one snapshot in 'hv vm snapshot list --json'.
type snapshotJSON struct {
	vm.Snapshot
	State string `json:"state"`
}

func newSnapshotCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "List, take, revert to and delete snapshots of a VM",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var asJSON bool
	list := &cobra.Command{
		Use:               "list NAME",
		ValidArgsFunction: complete(g, vmNames),
		Short:             "List a VM's snapshots",
		Args:              usageArgs(cobra.ExactArgs(1)),
		RunE: oneVM(g, func(ctx context.Context, cmd *cobra.Command, hv vm.Hypervisor, v vm.VM) error {
			snaps, err := hv.Snapshots(ctx, v.UUID)
			if err != nil {
				return err
			}
			slices.SortFunc(snaps, func(a, b vm.Snapshot) int { return a.Created.Compare(b.Created) })
			if asJSON {
				out := make([]snapshotJSON, 0, len(snaps))
				for _, s := range snaps {
					out = append(out, snapshotJSON{s, s.State.String()})
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tPARENT\tTAKEN\tSTATE\tMEMORY\tCURRENT")
			for _, s := range snaps {
				cur := ""
				if s.Current {
					cur = "*"
				}
				state := s.State.String()
				if s.State == vm.StateUnknown {
					state = "-" // disk-only of a running VM: libvirt keeps no state
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", termsafe.String(s.Name), termsafe.String(s.Parent),
					s.Created.Format("2006-01-02 15:04"), state, s.Memory, cur)
			}
			return tw.Flush()
		}),
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var yes bool // one flag for create, revert and delete: one runs at a time
	var spec vm.SnapshotSpec
	var noMemory bool
	create := &cobra.Command{
		Use:               "create NAME SNAPSHOT",
		ValidArgsFunction: complete(g, vmNames),
		Short:             "Take a snapshot (with the memory of a running VM unless --no-memory)",
		Args:              usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec.Name, spec.Memory = args[1], !noMemory
			if err := vm.ValidName("snapshot", spec.Name); err != nil {
				return usageError{err}
			}
			return oneVM(g, func(ctx context.Context, cmd *cobra.Command, hv vm.Hypervisor, v vm.VM) error {
				ctx, err := g.ask(ctx, cmd, yes, question{audit: "vm.snapshot.create", verb: "take snapshot", target: v.Name + "/" + spec.Name})
				if err != nil {
					return err
				}
				s, err := hv.CreateSnapshot(ctx, v.UUID, spec)
				if err != nil {
					return err
				}
				kind := "disks"
				switch {
				case s.External:
					kind = "disks, external"
				case s.Memory:
					kind = "disks and memory"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: took %s (%s)\n", termsafe.String(v.Name), termsafe.String(s.Name), kind)
				return nil
			})(cmd, args)
		},
	}
	create.Flags().StringVarP(&spec.Description, "description", "d", "", "why you took it")
	create.Flags().BoolVar(&noMemory, "no-memory", false, "disks only, even for a running VM")
	create.Flags().BoolVar(&spec.DiskOnly, "disk-only", false, "an external, disk-only snapshot (the kind UEFI VMs can take on this libvirt)")
	yesFlag(create, &yes)

	snapOp := func(use, short, verb, done, impact string, run func(context.Context, vm.Hypervisor, string, string) error) *cobra.Command {
		c := &cobra.Command{
			Use:               use + " NAME SNAPSHOT",
			ValidArgsFunction: complete(g, vmNames, snapNames),
			Short:             short,
			Long:              short + ". Risk: high. " + impact,
			Args:              usageArgs(cobra.ExactArgs(2)),
			RunE: func(cmd *cobra.Command, args []string) error {
				return oneVM(g, func(ctx context.Context, cmd *cobra.Command, hv vm.Hypervisor, v vm.VM) error {
					ctx, err := g.ask(ctx, cmd, yes, question{audit: "vm.snapshot." + use, verb: verb, target: v.Name + "/" + args[1],
						name: args[1], impact: impact})
					if err != nil {
						return err
					}
					if err := run(ctx, hv, v.UUID, args[1]); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s: %s %s\n", termsafe.String(v.Name), done, termsafe.String(args[1]))
					return nil
				})(cmd, args)
			},
		}
		yesFlag(c, &yes)
		return c
	}
	revert := snapOp("revert", "Revert a VM to a snapshot", "revert to snapshot", "reverted",
		"The VM's disks (and memory, if saved) go back to the snapshot; everything since is lost.",
		func(ctx context.Context, hv vm.Hypervisor, ref, name string) error {
			return hv.RevertSnapshot(ctx, ref, name)
		})
	del := snapOp("delete", "Delete a snapshot", "delete snapshot", "deleted",
		"You can no longer return to that point; the VM itself does not change.",
		func(ctx context.Context, hv vm.Hypervisor, ref, name string) error {
			return hv.DeleteSnapshot(ctx, ref, name)
		})
	cmd.AddCommand(list, create, revert, del)
	return cmd
}
