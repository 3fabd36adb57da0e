package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

func newNetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "net",
		Aliases: []string{"network"},
		Short:   "Virtual networks",
		Args:    usageArgs(cobra.NoArgs),
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newNetListCmd(g), newNetShowCmd(g), newNetDefineCmd(g), newObjStartCmd(g, network, vm.Hypervisor.StartNetwork),
		newNetStopCmd(g), newObjAutostartCmd(g, network, vm.Hypervisor.SetNetworkAutostart), newNetUndefineCmd(g))
	return cmd
}

func newNetListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the virtual networks with their addresses and the VMs on each",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				nets, err := hv.Networks(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), nets)
				}
				return writeNetTable(cmd.OutOrStdout(), nets)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func writeNetTable(w io.Writer, nets []vm.Network) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tAUTOSTART\tMODE\tIPV4\tDHCP\tVMS")
	for _, n := range nets {
		dhcp := "off"
		if n.DHCP() {
			dhcp = n.DHCPStart + "-" + n.DHCPEnd
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", termsafe.String(n.Name), activeWord(n.Active), ui.YesNo(n.Autostart),
			termsafe.String(n.Mode), ui.OrDash(n.IPv4), dhcp, len(n.UsedBy))
	}
	return tw.Flush()
}

// netShow is 'hv net show --json': the network, its DHCP leases, and why
// there are none when the driver keeps none.
type netShow struct {
	vm.Network
	Leases     []vm.Lease `json:"leases"`
	LeasesNote string     `json:"leases_note,omitempty"`
}

func newNetShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:               "show NAME",
		ValidArgsFunction: complete(g, netNames),
		Short:             "Show a network: mode, addresses, DHCP, the VMs on it and its leases",
		Args:              exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				n, err := hv.Network(ctx, args[0])
				if err != nil {
					return err
				}
				out := netShow{Network: n, Leases: []vm.Lease{}}
				switch leases, err := hv.Leases(ctx, n.Name); {
				case err == nil:
					out.Leases = leases
				case errors.Is(err, vm.ErrUnsupported):
					out.LeasesNote = "this libvirt driver reports no DHCP leases"
				case errors.Is(err, vm.ErrInvalidState):
					out.LeasesNote = "the network is inactive"
				default:
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), out)
				}
				writeNetShow(cmd.OutOrStdout(), out)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object")
	return cmd
}

func writeNetShow(w io.Writer, s netShow) {
	dhcp := "off"
	if s.DHCP() {
		dhcp = s.DHCPStart + " - " + s.DHCPEnd
	}
	fmt.Fprintf(w, "Name:       %s\nUUID:       %s\nState:      %s\nAutostart:  %s\nPersistent: %s\n",
		termsafe.String(s.Name), s.UUID, activeWord(s.Active), ui.YesNo(s.Autostart), ui.YesNo(s.Persistent))
	fmt.Fprintf(w, "Mode:       %s\nBridge:     %s\nIPv4:       %s\nDHCP:       %s\n",
		termsafe.String(s.Mode), ui.OrDash(termsafe.String(s.Bridge)), ui.OrDash(s.IPv4), dhcp)
	fmt.Fprintf(w, "VMs:        %s\n", ui.OrDash(ui.NameList(s.UsedBy, 6)))
	switch {
	case s.LeasesNote != "":
		fmt.Fprintf(w, "Leases:     none (%s)\n", s.LeasesNote)
	case len(s.Leases) == 0:
		fmt.Fprintln(w, "Leases:     none")
	default:
		fmt.Fprintln(w, "Leases:")
		for _, l := range s.Leases {
			fmt.Fprintf(w, "  %s  %s  %s\n", l.IP, l.MAC, termsafe.String(l.Hostname))
		}
	}
}

func newNetDefineCmd(g *globals) *cobra.Command {
	var spec vm.NetworkSpec
	var start, autostart, yes bool
	cmd := &cobra.Command{
		Use:   "define NAME",
		Short: "Define a NAT or isolated network",
		Long: "Define a persistent virtual network. --subnet is an IPv4 CIDR such as 192.168.150.0/24; the host takes\n" +
			"its first address. DHCP hands out the rest and is on whenever a subnet is given, unless --dhcp=false.\n" +
			"An isolated network may have no subnet at all.",
		Example: "  hv net define lab --mode nat --subnet 192.168.150.0/24 --start --autostart\n" +
			"  hv net define backend --mode isolated --subnet 10.20.0.0/24 --dhcp=false",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec.Name = args[0]
			if !cmd.Flags().Changed("dhcp") {
				spec.DHCP = spec.IPv4 != ""
			}
			// What needs no host to be judged is a mistake of the command line.
			if _, err := vm.PlanNetwork(spec); err != nil {
				return usageError{err}
			}
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				ctx, err := g.ask(ctx, cmd, yes, question{audit: "net.define", verb: "define network", target: spec.Name})
				if err != nil {
					return err
				}
				n, err := hv.DefineNetwork(ctx, spec)
				if err != nil {
					return err
				}
				done := "defined network " + n.Name
				// What failed after the definition leaves it defined: say
				// so, and how to finish or undo it.
				halfDone := func(what string, err error, finish string) error {
					fix := vm.Fix(err)
					if fix != "" {
						fix += "; "
					}
					fix += "then '" + finish + "', or 'hv net undefine " + n.Name + "' to drop it"
					return &cliError{msg: done + ", but " + what + ": " + err.Error(), fix: fix, err: err}
				}
				if start {
					if err := hv.StartNetwork(ctx, n.Name); err != nil {
						return halfDone("it did not start", err, "hv net start "+n.Name)
					}
					done += ", started"
				}
				if autostart {
					if err := hv.SetNetworkAutostart(ctx, n.Name, true); err != nil {
						return halfDone("autostart is not set", err, "hv net autostart "+n.Name+" on")
					}
					done += ", starts with the host"
				}
				fmt.Fprintln(cmd.OutOrStdout(), done)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&spec.Mode, "mode", "nat", "nat (guests reach outside) or isolated (host and guests only)")
	cmd.Flags().StringVar(&spec.IPv4, "subnet", "", "IPv4 subnet in CIDR form, e.g. 192.168.150.0/24")
	cmd.Flags().BoolVar(&spec.DHCP, "dhcp", false, "hand out addresses (default: on when --subnet is given)")
	cmd.Flags().BoolVar(&start, "start", false, "start it at once")
	cmd.Flags().BoolVar(&autostart, "autostart", false, "start it with the host")
	yesFlag(cmd, &yes)
	return cmd
}

func newNetStopCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:               "stop NAME",
		ValidArgsFunction: complete(g, netNames),
		Short:             "Stop a network (asks for --yes when running VMs are on it)",
		Long: "Stop a network. Running VMs on it lose their link and do not get it back when it starts again until\n" +
			"they are restarted, so with running VMs on it the command wants --yes.",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				n, err := hv.Network(ctx, args[0])
				if err != nil {
					return err
				}
				on, err := running(ctx, hv, n.UsedBy)
				if err != nil {
					return err
				}
				impact := "Network " + termsafe.String(n.Name) + " stops routing and serving addresses."
				if len(on) > 0 {
					impact = fmt.Sprintf("%d running VMs on network %s lose their link: %s; they get it back only when restarted.",
						len(on), termsafe.String(n.Name), ui.NameList(on, 6))
				}
				ctx, err = g.ask(ctx, cmd, yes, question{audit: "net.stop", verb: "stop network", target: n.Name, impact: impact, risk: ops.StopRisk(len(on))})
				if err != nil {
					return err
				}
				if err := hv.StopNetwork(ctx, n.Name); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "stopped network "+termsafe.String(n.Name))
				return nil
			})
		},
	}
	yesFlag(cmd, &yes)
	return cmd
}

func newNetUndefineCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:               "undefine NAME [--yes]",
		ValidArgsFunction: complete(g, netNames),
		Short:             "Remove an inactive network's definition (asks first; scripts pass --yes)",
		Args:              exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withHV(callTimeout, func(ctx context.Context, hv vm.Hypervisor) error {
				n, err := hv.Network(ctx, args[0])
				if err != nil {
					return err
				}
				if n.Active { // the backend refuses, saying to stop it first: no point asking
					return hv.UndefineNetwork(ctx, n.Name)
				}
				impact := "The definition of network " + termsafe.String(n.Name) + " is removed."
				if len(n.UsedBy) > 0 {
					impact += " VMs with an interface on it will not start: " + ui.NameList(n.UsedBy, 6) + "."
				}
				ctx, err = g.ask(ctx, cmd, yes, question{audit: "net.undefine", verb: "undefine network", target: n.Name, impact: impact})
				if err != nil {
					return err
				}
				if err := hv.UndefineNetwork(ctx, args[0]); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "undefined network "+termsafe.String(args[0]))
				return nil
			})
		},
	}
	yesFlag(cmd, &yes)
	return cmd
}
