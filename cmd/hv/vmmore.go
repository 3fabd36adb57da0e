package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// oneVM runs fn on the VM named by the first argument, within opTimeout.
func oneVM(g *globals, fn func(ctx context.Context, cmd *cobra.Command, hv vm.Hypervisor, v vm.VM) error) func(*cobra.Command, []string) error {
	return oneVMWithin(g, opTimeout, fn)
}

// oneVMWithin is oneVM for work that may take longer, such as copying disks.
func oneVMWithin(g *globals, timeout time.Duration, fn func(ctx context.Context, cmd *cobra.Command, hv vm.Hypervisor, v vm.VM) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return g.withHV(timeout, func(ctx context.Context, hv vm.Hypervisor) error {
			v, err := hv.Lookup(ctx, args[0])
			if err != nil {
				return err
			}
			return vm.Named(fn(ctx, cmd, hv, v), v)
		})
	}
}

// refuse turns an unavailable action into an error that says why: the
// VM's state, the access, or the security phase p.
func refuse(a *ops.Action, v vm.VM, access vm.Access, p phase.Phase) error {
	why := a.Unavailable(v, access)
	if why == "" {
		return a.Policy(p, 1).Check(strings.ToLower(a.Label)+" "+v.Name, p)
	}
	if !access.Writable() {
		return &vm.Error{Op: strings.ToLower(a.Label), Target: v.Name, Kind: vm.ErrDenied, Detail: "read-only access", Hint: access.Fix()}
	}
	e := &vm.Error{Op: strings.ToLower(a.Label), Target: v.Name, Kind: vm.ErrInvalidState, Detail: why}
	if first := a.First(v); first != nil {
		e.Hint = "run 'hv vm " + first.ID + " " + termsafe.String(v.Name) + "' first"
	}
	return e
}

func newDeleteCmd(g *globals) *cobra.Command {
	var yes, storage bool
	cmd := &cobra.Command{
		Use:   "delete NAME [--storage]",
		Short: "Delete a shut-off VM (with --storage, its disk volumes too)",
		Long: "Delete a VM: its definition, snapshots and saved state. " + ops.Delete.Impact +
			"\n\nWith --storage: " + ops.DeleteWithStorage.Impact + " CD-ROM images and volumes another VM uses stay." +
			"\n\nOn a terminal you type the VM's name to confirm; scripts pass --yes.",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: oneVM(g, func(ctx context.Context, cmd *cobra.Command, hv vm.Hypervisor, v vm.VM) error {
			a := ops.Delete
			if storage {
				a = ops.DeleteWithStorage
			}
			p := g.securityPhase()
			if err := refuse(a, v, hv.Access(), p); err != nil {
				return err
			}
			ctx, err := g.answered(ctx, cmd, yes, a.Policy(p, 1), question{audit: a.Audit, verb: strings.ToLower(a.Label), target: v.Name, impact: a.Impact})
			if err != nil {
				return err
			}
			if err := a.Run(ctx, hv, v); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", termsafe.String(v.Name), a.Done)
			return nil
		}),
	}
	yesFlag(cmd, &yes)
	cmd.Flags().BoolVar(&storage, "storage", false, "also delete the volumes of its disks")
	cmd.ValidArgsFunction = complete(g, vmNames)
	return cmd
}

func newAutostartCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:               "autostart NAME on|off",
		Short:             "Choose whether a VM starts with the host",
		Args:              usageArgs(cobra.ExactArgs(2)),
		ValidArgsFunction: complete(g, vmNames, onOffWords),
		RunE: func(cmd *cobra.Command, args []string) error {
			on, err := onOff(args[1])
			if err != nil {
				return err
			}
			return oneVM(g, func(ctx context.Context, cmd *cobra.Command, hv vm.Hypervisor, v vm.VM) error {
				a := ops.AutostartOff
				if on {
					a = ops.AutostartOn
				}
				p := g.securityPhase()
				if err := refuse(a, v, hv.Access(), p); err != nil {
					return err
				}
				ctx, err := g.answered(ctx, cmd, yes, a.Policy(p, 1), question{audit: a.Audit, verb: strings.ToLower(a.Label), target: v.Name, impact: a.Impact})
				if err != nil {
					return err
				}
				if err := a.Run(ctx, hv, v); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", termsafe.String(v.Name), a.Done)
				return nil
			})(cmd, args)
		},
	}
	yesFlag(cmd, &yes)
	return cmd
}

// deviceChanges are the device flags of 'hv vm set'.
type deviceChanges struct {
	attachDisk, detachDisk, attachNIC, detachNIC string
	cdrom                                        bool
}

func (d deviceChanges) any() bool {
	return d.attachDisk != "" || d.detachDisk != "" || d.attachNIC != "" || d.detachNIC != ""
}

// route is the hv API route of the first change vm set makes, which names
// its question: they are all VM edits of the same risk, asked once.
func (d deviceChanges) route(vcpus int, memory string) string {
	for _, c := range []struct {
		on    bool
		route string
	}{{vcpus != 0, "vm.set.vcpus"}, {memory != "", "vm.set.memory"}, {d.attachDisk != "", "vm.disk.attach"},
		{d.detachDisk != "", "vm.disk.detach"}, {d.attachNIC != "", "vm.nic.attach"}} {
		if c.on {
			return c.route
		}
	}
	return "vm.nic.detach"
}

// apply makes the device changes, printing when each takes effect.
func (d deviceChanges) apply(ctx context.Context, out io.Writer, hv vm.Hypervisor, v vm.VM) error {
	name := termsafe.String(v.Name)
	steps := []struct {
		flag string
		do   func() (vm.Applied, error)
		what string
	}{
		{d.detachDisk, func() (vm.Applied, error) { return hv.DetachDisk(ctx, v.UUID, d.detachDisk) }, "detached disk " + d.detachDisk},
		{d.detachNIC, func() (vm.Applied, error) { return hv.DetachNIC(ctx, v.UUID, d.detachNIC) }, "detached NIC " + d.detachNIC},
		{d.attachDisk, func() (vm.Applied, error) {
			ref, err := vm.VolumeArg(ctx, hv, d.attachDisk)
			if err != nil {
				return 0, err
			}
			spec := vm.DiskSpec{Volume: ref}
			if d.cdrom {
				spec.Device = "cdrom"
			}
			return hv.AttachDisk(ctx, v.UUID, spec)
		}, "attached " + termsafe.String(d.attachDisk)},
		{d.attachNIC, func() (vm.Applied, error) { return hv.AttachNIC(ctx, v.UUID, vm.NICSpec{Network: d.attachNIC}) },
			"attached a NIC on " + termsafe.String(d.attachNIC)},
	}
	for _, s := range steps {
		if s.flag == "" {
			continue
		}
		when, err := s.do()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: %s, %s\n", name, s.what, when)
	}
	return nil
}

func newSetCmd(g *globals) *cobra.Command {
	var vcpus int
	var yes bool
	var memory string
	var dev deviceChanges
	cmd := &cobra.Command{
		Use:   "set NAME [--vcpus N] [--memory SIZE] [--attach-disk VOLUME [--cdrom]] [--detach-disk TARGET] [--attach-nic NETWORK] [--detach-nic MAC]",
		Short: "Change a VM's vCPUs, memory, disks or NICs",
		Long: "Change a VM's vCPUs, memory, disks or NICs. A running VM takes a change at once when libvirt can\n" +
			"(vCPUs and memory up to their maximum, hot-pluggable devices); otherwise it applies at the next\n" +
			"boot, and hv says which.",
		Example: "  hv vm set web-01 --vcpus 4 --memory 8G\n  hv vm set web-01 --attach-disk default/data.qcow2\n" +
			"  hv vm set web-01 --attach-disk default/debian.iso --cdrom\n  hv vm set web-01 --detach-nic 52:54:00:12:34:56",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if vcpus == 0 && memory == "" && !dev.any() {
				return usageError{errors.New("say what to change: --vcpus, --memory, --attach-disk, --detach-disk, --attach-nic or --detach-nic")}
			}
			if dev.cdrom && dev.attachDisk == "" {
				return usageError{errors.New("--cdrom goes with --attach-disk VOLUME")}
			}
			var mib uint64
			if memory != "" {
				b, err := vm.ParseSize(memory, 1<<20)
				if err != nil {
					return usageError{fmt.Errorf("--memory: %w", err)}
				}
				mib = b >> 20
			}
			return oneVM(g, func(ctx context.Context, cmd *cobra.Command, hv vm.Hypervisor, v vm.VM) error {
				ctx, err := g.ask(ctx, cmd, yes, question{audit: dev.route(vcpus, memory), verb: "change", target: v.Name})
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if vcpus != 0 {
					when, err := hv.SetVCPUs(ctx, v.UUID, vcpus)
					if err != nil {
						return err
					}
					fmt.Fprintf(out, "%s: %d vCPUs, %s\n", termsafe.String(v.Name), vcpus, when)
				}
				if mib != 0 {
					when, err := hv.SetMemory(ctx, v.UUID, mib)
					if err != nil {
						return err
					}
					fmt.Fprintf(out, "%s: memory %s, %s\n", termsafe.String(v.Name), vm.FormatKiB(mib<<10), when)
				}
				return dev.apply(ctx, out, hv, v)
			})(cmd, args)
		},
	}
	cmd.Flags().IntVar(&vcpus, "vcpus", 0, "number of vCPUs")
	cmd.Flags().StringVar(&memory, "memory", "", "memory, e.g. 2048M or 4G")
	cmd.Flags().StringVar(&dev.attachDisk, "attach-disk", "", "attach this volume, POOL/VOLUME or its path (an ISO with --cdrom)")
	cmd.Flags().BoolVar(&dev.cdrom, "cdrom", false, "attach the image as a read-only CD-ROM")
	cmd.Flags().StringVar(&dev.detachDisk, "detach-disk", "", "detach the disk on this target, e.g. vdb")
	cmd.Flags().StringVar(&dev.attachNIC, "attach-nic", "", "attach a NIC on this libvirt network")
	cmd.Flags().StringVar(&dev.detachNIC, "detach-nic", "", "detach the NIC with this MAC address")
	yesFlag(cmd, &yes)
	cmd.ValidArgsFunction = complete(g, vmNames)
	return cmd
}

// showJSON is 'hv vm show --json': the details plus state and addresses.
type showJSON struct {
	vm.Details
	State     string       `json:"state"`
	Addresses []vm.Address `json:"addresses"`
}

func newShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a VM in full: hardware, addresses, state",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: oneVM(g, func(ctx context.Context, cmd *cobra.Command, hv vm.Hypervisor, v vm.VM) error {
			d, err := hv.Details(ctx, v.UUID)
			if err != nil {
				return err
			}
			addrs, err := hv.Addresses(ctx, v.UUID)
			if err != nil {
				return err
			}
			if asJSON {
				if addrs == nil {
					addrs = []vm.Address{}
				}
				return writeJSON(cmd.OutOrStdout(), showJSON{d, d.State.String(), addrs})
			}
			return writeDetails(cmd.OutOrStdout(), d, addrs)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.ValidArgsFunction = complete(g, vmNames)
	return cmd
}

func writeDetails(w io.Writer, d vm.Details, addrs []vm.Address) error {
	s := termsafe.String
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\n", s(d.Name))
	fmt.Fprintf(tw, "UUID:\t%s\n", d.UUID)
	fmt.Fprintf(tw, "State:\t%s\n", d.State)
	fmt.Fprintf(tw, "Autostart:\t%s\n", ui.YesNo(d.Autostart))
	fmt.Fprintf(tw, "Persistent:\t%s\n", ui.YesNo(d.Persistent))
	fmt.Fprintf(tw, "Saved state:\t%s\n", ui.YesNo(d.Saved))
	fmt.Fprintf(tw, "vCPUs:\t%d (max %d)\n", d.VCPUs, d.MaxVCPUs)
	fmt.Fprintf(tw, "Memory:\t%s (max %s)\n", vm.FormatKiB(d.MemoryKiB), vm.FormatKiB(d.MaxMemoryKiB))
	fw := strings.ToUpper(d.Firmware)
	if d.SecureBoot {
		fw += ", secure boot"
	}
	fmt.Fprintf(tw, "Firmware:\t%s\n", fw)
	fmt.Fprintf(tw, "Machine:\t%s %s\n", d.Arch, d.Machine)
	if d.Description != "" {
		fmt.Fprintf(tw, "Description:\t%s\n", s(d.Description))
	}
	tw.Flush()
	fmt.Fprintln(w, "Disks:")
	for _, disk := range d.Disks {
		src := s(disk.Source)
		if src == "" {
			src = "(empty)"
		}
		fmt.Fprintf(w, "  %-5s %-6s %-6s %s %s\n", disk.Target, disk.Device, disk.Bus, src, disk.Format)
	}
	fmt.Fprintln(w, "NICs:")
	for _, n := range d.NICs {
		line := fmt.Sprintf("  %s  %s %s %s", n.MAC, n.Type, s(n.Source), n.Model)
		for _, a := range addrs {
			if strings.EqualFold(a.MAC, n.MAC) {
				line += fmt.Sprintf("  %s/%d (%s)", a.IP, a.Prefix, a.Source)
			}
		}
		fmt.Fprintln(w, line)
	}
	if len(d.Graphics) > 0 {
		fmt.Fprintln(w, "Graphics:")
		for _, gr := range d.Graphics {
			fmt.Fprintf(w, "  %s port %s %s\n", gr.Type, strconv.Itoa(gr.Port), gr.Listen)
		}
	}
	return nil
}
