package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// progressTo writes one updating line to w when it is a terminal, else
// nothing: scripts get the outcome, people see the work.
func progressTo(w io.Writer) (ops.Progress, func()) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return nil, func() {}
	}
	return func(step string, done, total uint64) {
			line := termsafe.String(step)
			if total > 0 {
				line += fmt.Sprintf(": %3.0f%% (%s of %s)", 100*float64(done)/float64(total),
					vm.FormatBytes(float64(done)), vm.FormatBytes(float64(total)))
			}
			fmt.Fprintf(f, "\r\x1b[K%s", line)
		}, func() {
			fmt.Fprint(f, "\r\x1b[K")
		}
}

func newCreateCmd(g *globals) *cobra.Command {
	var spec ops.CreateSpec
	var memory, disk, iso, image string
	var asJSON, yes bool
	cmd := &cobra.Command{
		Use:   "create NAME --memory SIZE --vcpus N [--disk SIZE] [--pool P] [--iso VOLUME | --image VOLUME] [--network NET] [--firmware bios|uefi] [--autostart] [--start]",
		Short: "Create a VM: a new disk (blank or a copy of an image) and its definition",
		Long: "Create a VM. Everything is checked before anything is made (the name is free, the sizes fit the host,\n" +
			"the pool has the space, the ISO, image and network exist); a failure after the disk was made removes it.\n\n" +
			"--iso attaches an install image booted first, with a VNC console on 127.0.0.1 for installers without\n" +
			"a serial console. --image copies an existing disk or cloud image as the VM's disk. Both are volumes of\n" +
			"storage pools, named POOL/VOLUME as 'hv pool volumes' lists them (or by the volume's path).",
		Example: "  hv vm create web-03 --memory 2G --vcpus 2 --disk 20G --iso default/debian-12.iso --network default --start\n" +
			"  hv vm create app-02 --memory 4G --vcpus 2 --image default/debian-12-cloud.qcow2 --network default",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec.Name = args[0]
			if err := vm.ValidName("VM", spec.Name); err != nil {
				return usageError{err}
			}
			if memory == "" || spec.VCPUs == 0 {
				return usageError{fmt.Errorf("--memory and --vcpus are required")}
			}
			mem, err := vm.ParseSize(memory, 1<<20)
			if err != nil {
				return usageError{fmt.Errorf("--memory: %w", err)}
			}
			spec.MemoryMiB = mem >> 20
			if disk != "" {
				if spec.DiskBytes, err = vm.ParseSize(disk, 1<<30); err != nil {
					return usageError{fmt.Errorf("--disk: %w", err)}
				}
			}
			return g.withHV(diskTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				ctx, err := g.ask(ctx, cmd, yes, question{audit: "vm.define", verb: "create VM", target: spec.Name})
				if err != nil {
					return err
				}
				for _, m := range []struct {
					arg string
					ref *vm.VolumeRef
				}{{iso, &spec.ISO}, {image, &spec.Image}} {
					if m.arg == "" {
						continue
					}
					if *m.ref, err = vm.VolumeArg(ctx, hv, m.arg); err != nil {
						return err
					}
				}
				ctx, stop := interruptible(ctx)
				defer stop()
				progress, clear := progressTo(cmd.ErrOrStderr())
				v, err := ops.Create(ctx, hv, spec, progress)
				clear()
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), vmJSONOf(v))
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: created (%s)\n", termsafe.String(v.Name), v.State)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&memory, "memory", "", "memory, e.g. 2G")
	f.IntVar(&spec.VCPUs, "vcpus", 0, "number of vCPUs")
	f.StringVar(&disk, "disk", "", "size of a new blank disk, e.g. 20G (a bare number is GiB)")
	f.StringVar(&spec.Pool, "pool", "default", "storage pool of the new disk")
	f.StringVar(&iso, "iso", "", "install image to boot first: POOL/VOLUME (or its path)")
	f.StringVar(&image, "image", "", "disk or cloud image to copy as the VM's disk: POOL/VOLUME (or its path)")
	f.StringVar(&spec.Network, "network", "", "libvirt network for a NIC")
	f.StringVar(&spec.Firmware, "firmware", "bios", "bios or uefi")
	f.BoolVar(&spec.Autostart, "autostart", false, "start the VM with the host")
	f.BoolVar(&spec.Start, "start", false, "start it once created")
	f.BoolVar(&asJSON, "json", false, "print the new VM as JSON")
	yesFlag(cmd, &yes)
	return cmd
}

func newCloneCmd(g *globals) *cobra.Command {
	var asJSON, yes bool
	cmd := &cobra.Command{
		Use:   "clone SRC DST",
		Short: "Copy a shut-off VM: its disks in full, with a new UUID and MAC addresses",
		Args:  usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := vm.ValidName("VM", args[1]); err != nil {
				return usageError{err}
			}
			return oneVMWithin(g, diskTimeout, func(ctx context.Context, cmd *cobra.Command, hv vm.Hypervisor, src vm.VM) error {
				ctx, err := g.ask(ctx, cmd, yes, question{audit: "vm.clone", verb: "clone", target: src.Name + " to " + args[1]})
				if err != nil {
					return err
				}
				ctx, stop := interruptible(ctx)
				defer stop()
				progress, clear := progressTo(cmd.ErrOrStderr())
				v, err := ops.Clone(ctx, hv, src, args[1], progress)
				clear()
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), vmJSONOf(v))
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: cloned to %s\n", termsafe.String(src.Name), termsafe.String(v.Name))
				return nil
			})(cmd, args)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the new VM as JSON")
	yesFlag(cmd, &yes)
	cmd.ValidArgsFunction = complete(g, vmNames)
	return cmd
}
