package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

func newPoolCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pool",
		Short: "Storage pools and their volumes",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newPoolListCmd(g), newPoolShowCmd(g), newPoolDefineCmd(g), newObjStartCmd(g, pool, vm.Hypervisor.StartPool), newPoolStopCmd(g),
		newObjAutostartCmd(g, pool, vm.Hypervisor.SetPoolAutostart), newPoolUndefineCmd(g), newPoolVolumesCmd(g), newVolCreateCmd(g), newVolCopyCmd(g), newVolDeleteCmd(g))
	return cmd
}

func newPoolListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the storage pools with their size and free space",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				pools, err := hv.Pools(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), pools)
				}
				return writePoolTable(cmd.OutOrStdout(), pools)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array (sizes in bytes)")
	return cmd
}

func size(b uint64) string { return vm.FormatBytes(float64(b)) }

func writePoolTable(w io.Writer, pools []vm.Pool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tAUTOSTART\tTYPE\tSIZE\tUSED\tFREE\tVMS\tPATH")
	for _, p := range pools {
		sz, used, free := "-", "-", "-"
		if p.Active {
			sz, used, free = size(p.CapacityBytes), size(p.AllocationBytes), size(p.AvailableBytes)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", termsafe.String(p.Name), activeWord(p.Active), ui.YesNo(p.Autostart),
			termsafe.String(p.Type), sz, used, free, len(p.UsedBy), termsafe.String(p.Path))
	}
	return tw.Flush()
}

func newPoolShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:               "show POOL",
		ValidArgsFunction: complete(g, poolNames),
		Short:             "Show a pool: path, sizes and the VMs with disks in it",
		Args:              exactArgs("POOL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				p, err := hv.Pool(ctx, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), p)
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "Name:       %s\nUUID:       %s\nType:       %s\nPath:       %s\nState:      %s\nAutostart:  %s\nPersistent: %s\n",
					termsafe.String(p.Name), p.UUID, termsafe.String(p.Type), termsafe.String(p.Path), activeWord(p.Active), ui.YesNo(p.Autostart), ui.YesNo(p.Persistent))
				if p.Active {
					fmt.Fprintf(w, "Size:       %s (%d bytes)\nUsed:       %s\nFree:       %s (%d bytes)\n",
						size(p.CapacityBytes), p.CapacityBytes, size(p.AllocationBytes), size(p.AvailableBytes), p.AvailableBytes)
				}
				fmt.Fprintf(w, "VMs:        %s\n", ui.OrDash(ui.NameList(p.UsedBy, 6)))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object (sizes in bytes)")
	return cmd
}

func newPoolDefineCmd(g *globals) *cobra.Command {
	var spec vm.PoolSpec
	var autostart, yes bool
	cmd := &cobra.Command{
		Use:     "define POOL --path DIR",
		Short:   "Define and start a directory pool (libvirt creates the directory)",
		Example: "  hv pool define images2 --path /srv/vm-images --autostart",
		Args:    exactArgs("POOL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec.Name = args[0]
			if spec.Path == "" {
				return usageError{fmt.Errorf("pool define needs --path, the directory for the volumes")}
			}
			if err := vm.CheckPoolSpec(spec); err != nil {
				return usageError{err}
			}
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				ctx, err := g.ask(ctx, cmd, yes, question{audit: "pool.define", verb: "define pool", target: spec.Name})
				if err != nil {
					return err
				}
				p, err := hv.DefinePool(ctx, spec)
				if err != nil {
					return err
				}
				done := "defined and started pool " + termsafe.String(p.Name) + " at " + termsafe.String(p.Path)
				if autostart {
					if err := hv.SetPoolAutostart(ctx, p.Name, true); err != nil {
						return err
					}
					done += "; starts with the host"
				}
				fmt.Fprintln(cmd.OutOrStdout(), done)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&spec.Path, "path", "", "absolute directory for the pool's volumes")
	cmd.Flags().BoolVar(&autostart, "autostart", false, "start it with the host")
	yesFlag(cmd, &yes)
	return cmd
}

func newPoolStopCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:               "stop POOL",
		ValidArgsFunction: complete(g, poolNames),
		Short:             "Stop a pool (asks for --yes when running VMs have disks in it)",
		Long: "Stop a pool. Running VMs keep the disks they have open, but no VM with a disk in it can start, and\n" +
			"its volumes cannot be listed or changed, until it starts again: with running VMs on it, pass --yes.",
		Args: exactArgs("POOL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				p, err := hv.Pool(ctx, args[0])
				if err != nil {
					return err
				}
				on, err := running(ctx, hv, p.UsedBy)
				if err != nil {
					return err
				}
				impact := "Pool " + termsafe.String(p.Name) + "'s volumes cannot be listed or changed until it starts again."
				if len(on) > 0 {
					impact = fmt.Sprintf("%d running VMs have disks in pool %s: %s; they keep running, but no VM with a disk in it can start until it starts again.",
						len(on), termsafe.String(p.Name), ui.NameList(on, 6))
				}
				ctx, err = g.ask(ctx, cmd, yes, question{audit: "pool.stop", verb: "stop pool", target: p.Name, impact: impact, risk: ops.StopRisk(len(on))})
				if err != nil {
					return err
				}
				if err := hv.StopPool(ctx, p.Name); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "stopped pool "+termsafe.String(p.Name))
				return nil
			})
		},
	}
	yesFlag(cmd, &yes)
	return cmd
}

func newPoolUndefineCmd(g *globals) *cobra.Command {
	var yes, deleteDir bool
	cmd := &cobra.Command{
		Use:               "undefine POOL [--yes] [--delete-dir]",
		ValidArgsFunction: complete(g, poolNames),
		Short:             "Forget an inactive pool; its directory stays unless --delete-dir (it must be empty)",
		Args:              exactArgs("POOL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				p, err := hv.Pool(ctx, args[0])
				if err != nil {
					return err
				}
				if p.Active { // the backend refuses, saying to stop it first: no point asking
					return hv.UndefinePool(ctx, p.Name)
				}
				q := question{audit: "pool.undefine", verb: "undefine pool", target: p.Name,
					impact: "hv forgets pool " + termsafe.String(p.Name) + "; its directory and files stay."}
				if deleteDir {
					q.audit, q.impact = "pool.delete", "hv removes pool "+termsafe.String(p.Name)+"'s directory (it must be empty) and forgets the pool."
				}
				ctx, err = g.ask(ctx, cmd, yes, q)
				if err != nil {
					return err
				}
				undefine, done := hv.UndefinePool, "undefined pool "
				if deleteDir {
					undefine, done = hv.DeletePool, "deleted the directory of pool and undefined "
				}
				if err := undefine(ctx, args[0]); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), done+termsafe.String(args[0]))
				return nil
			})
		},
	}
	yesFlag(cmd, &yes)
	cmd.Flags().BoolVar(&deleteDir, "delete-dir", false, "also remove the pool's (empty) directory")
	return cmd
}

func newPoolVolumesCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:               "volumes POOL",
		ValidArgsFunction: complete(g, poolNames),
		Aliases:           []string{"vol-list"},
		Short:             "List the volumes of a pool with their sizes and the VMs using them",
		Args:              exactArgs("POOL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				vols, err := hv.Volumes(ctx, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), vols)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tFORMAT\tSIZE\tON DISK\tUSED BY")
				for _, v := range vols {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", termsafe.String(v.Name), ui.OrDash(termsafe.String(v.Format)),
						size(v.CapacityBytes), size(v.AllocationBytes), ui.OrDash(ui.NameList(v.UsedBy, 6)))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array (sizes in bytes)")
	return cmd
}

func newVolCreateCmd(g *globals) *cobra.Command {
	var spec vm.VolumeSpec
	var sizeArg string
	var asJSON, yes bool
	cmd := &cobra.Command{
		Use:               "vol-create POOL NAME --size SIZE",
		ValidArgsFunction: complete(g, poolNames),
		Short:             "Create an empty volume (refused when it does not fit in the pool's free space)",
		Example:           "  hv pool vol-create default data.qcow2 --size 20G\n  hv pool vol-create fast-ssd scratch.img --size 512M --format raw",
		Args:              exactArgs("POOL", "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if sizeArg == "" {
				return usageError{fmt.Errorf("vol-create needs --size, e.g. --size 20G")}
			}
			n, err := vm.ParseSize(sizeArg, 1<<30)
			if err != nil {
				return usageError{fmt.Errorf("--size: %w", err)}
			}
			spec.Name, spec.CapacityBytes = args[1], n
			if err := vm.CheckVolumeSpec(args[0], &spec); err != nil {
				return usageError{err}
			}
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				ctx, err := g.ask(ctx, cmd, yes, question{audit: "volume.create", verb: "create volume", target: args[0] + "/" + spec.Name})
				if err != nil {
					return err
				}
				v, err := hv.CreateVolume(ctx, args[0], spec)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), v)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created %s (%s, %s) at %s\n", termsafe.String(v.Name), v.Format, size(v.CapacityBytes), termsafe.String(v.Path))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&sizeArg, "size", "", "what the guest sees: 512M, 20G, 1T (a bare number is GiB)")
	cmd.Flags().StringVar(&spec.Format, "format", "qcow2", "qcow2 (thin, snapshots) or raw")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the new volume as JSON")
	yesFlag(cmd, &yes)
	return cmd
}

// copyTimeout bounds a volume copy from the command line.
const copyTimeout = 12 * time.Hour

func newVolCopyCmd(g *globals) *cobra.Command {
	var asJSON, yes bool
	cmd := &cobra.Command{
		Use:               "vol-copy POOL SRC DST",
		ValidArgsFunction: complete(g, poolNames, volNames),
		Short:             "Copy a volume in full within its pool, with progress on a terminal",
		Args:              exactArgs("POOL", "SRC", "DST"),
		RunE: func(cmd *cobra.Command, args []string) error {
			progress := func(uint64, uint64) {}
			if f, ok := cmd.ErrOrStderr().(*os.File); ok && term.IsTerminal(f.Fd()) {
				progress = func(done, total uint64) {
					fmt.Fprintf(f, "\rcopying %s: %3.0f%% (%s of %s) ", termsafe.String(args[1]),
						100*float64(done)/float64(max(total, 1)), size(done), size(total))
				}
				defer fmt.Fprintln(f)
			}
			return g.withHV(copyTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				ctx, err := g.ask(ctx, cmd, yes, question{audit: "volume.copy", verb: "copy volume", target: args[0] + "/" + args[1]})
				if err != nil {
					return err
				}
				ctx, stop := interruptible(ctx)
				defer stop()
				v, err := hv.CopyVolume(ctx, args[0], args[1], args[2], progress)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), v)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "copied %s to %s (%s)\n", termsafe.String(args[1]), termsafe.String(v.Name), termsafe.String(v.Path))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the new volume as JSON")
	yesFlag(cmd, &yes)
	return cmd
}

func newVolDeleteCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:               "vol-delete POOL NAME [--yes]",
		ValidArgsFunction: complete(g, poolNames, volNames),
		Short:             "Delete a volume no VM uses; asks for its name (scripts pass --yes)",
		Args:              exactArgs("POOL", "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pool, name := args[0], args[1]
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				v, err := findVolume(ctx, hv, pool, name)
				if err != nil {
					return err
				}
				// Refused before asking: no point confirming what cannot happen.
				if err := v.Deletable("delete volume"); err != nil {
					return err
				}
				impact := fmt.Sprintf("Deleting %s (%s on disk) destroys its data for good.", termsafe.String(name), size(v.AllocationBytes))
				ctx, err = g.ask(ctx, cmd, yes, question{audit: "volume.delete", verb: "delete volume", target: name, impact: impact})
				if err != nil {
					return err
				}
				if err := hv.DeleteVolume(ctx, pool, name); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "deleted volume "+termsafe.String(name)+" from pool "+termsafe.String(pool))
				return nil
			})
		},
	}
	yesFlag(cmd, &yes)
	return cmd
}

// findVolume looks a volume up in its pool, refusing as the backend would
// when it is not there.
func findVolume(ctx context.Context, hv vm.Hypervisor, pool, name string) (vm.Volume, error) {
	vols, err := hv.Volumes(ctx, pool)
	if err != nil {
		return vm.Volume{}, err
	}
	for _, v := range vols {
		if v.Name == name {
			return v, nil
		}
	}
	return vm.Volume{}, &vm.Error{Op: "delete volume", Target: pool + "/" + name, Kind: vm.ErrNotFound,
		Detail: "pool " + pool + " has no volume " + name, Hint: "check the volume's name with 'hv pool volumes " + pool + "'"}
}
