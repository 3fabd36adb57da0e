package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
	"github.com/hyper-nixos/hv/vm/fleet"
	"github.com/hyper-nixos/hv/vm/remote"
)

// hostsFile is the operator's own list of hosts.
func hostsFile() (string, error) {
	dir, err := help.ConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "hosts.toml"), nil
}

// knownHosts are the hosts the operator's list and the host file's
// hosts.peers name, the operator's first (their own user names win).
func knownHosts() ([]fleet.Entry, error) {
	var own []fleet.Entry
	if path, err := hostsFile(); err == nil {
		if own, err = fleet.LoadConfig(path); err != nil {
			return nil, withFix(err, "fix the file; it holds one line: "+fleet.ConfigHelp)
		}
	}
	var peers []fleet.Entry
	if h, _, err := nix.ReadHost(nix.HostFilePath()); err == nil {
		peers, _ = fleet.ParseEntries(h.Hosts.Peers) // the host file is checked where it is written
	}
	return fleet.Merge(own, peers), nil
}

// hostDialer resolves --host: a daemon's socket (unix://PATH or a path),
// an SSH address, or the name of a known host.
func hostDialer(value string) (remote.Dialer, string, error) {
	if strings.Contains(value, "://") || strings.HasPrefix(value, "/") {
		d, where, err := fleet.Dialer(value)
		if err != nil {
			return nil, "", usageError{fmt.Errorf("--host: %w", err)}
		}
		return d, where, nil
	}
	hosts, err := knownHosts()
	if err != nil {
		return nil, "", err
	}
	for _, e := range hosts {
		if strings.EqualFold(e.Name, value) {
			d, where, err := fleet.Dialer(e.Address)
			return d, value + " (" + where + ")", err
		}
	}
	file, _ := hostsFile()
	return nil, "", usageError{withFix(fmt.Errorf("--host: no host is called %q", value),
		"name one of 'hv hosts', give an address (ssh://USER@HOST[:PORT]), or list it in "+file+": "+fleet.ConfigHelp)}
}

// daemonOpener connects to the daemon dial reaches.
func (g *globals) daemonOpener(dial remote.Dialer, where string) func(context.Context) (vm.Hypervisor, error) {
	return func(ctx context.Context) (vm.Hypervisor, error) {
		c, err := remote.Open(ctx, dial, where)
		if err != nil {
			return nil, err
		}
		if g.readOnly {
			return readOnly{c}, nil
		}
		return c, nil
	}
}

// localName is what this host is called among several: its hostname.
func localName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "local"
}

// fleetMembers are this host (as hv would open it alone) and every known
// host; nil when no other host is known or hv was pointed at one host.
func (g *globals) fleetMembers() ([]fleet.Member, error) {
	if g.host != "" || g.demo {
		return nil, nil
	}
	hosts, err := knownHosts()
	if err != nil || len(hosts) == 0 {
		return nil, err
	}
	connect, where, err := g.opener()
	if err != nil {
		return nil, err
	}
	local := localName()
	members := []fleet.Member{{Name: local, Where: where, Open: connect}}
	for _, e := range hosts {
		if strings.EqualFold(e.Name, local) {
			continue
		}
		dial, where, err := fleet.Dialer(e.Address)
		if err != nil {
			return nil, err
		}
		// The fleet keeps its own read-only flag; the members stay themselves
		// (migration needs their daemon clients).
		members = append(members, fleet.Member{Name: e.Name, Where: where, Open: func(ctx context.Context) (vm.Hypervisor, error) {
			return remote.Open(ctx, dial, where)
		}})
	}
	return members, nil
}

// openFleet connects to every known host (this one first), or to the
// one host hv was pointed at when there are no others.
func (g *globals) openFleet(ctx context.Context) (vm.Hypervisor, error) {
	members, err := g.fleetMembers()
	if err != nil {
		return nil, err
	}
	if members == nil {
		connect, _, err := g.opener()
		if err != nil {
			return nil, err
		}
		return connect(ctx)
	}
	routeLibvirtLogs()
	// A command asks once: each host gets a while to answer.
	return fleet.Open(ctx, members, fleet.Options{ReadOnly: g.readOnly, Wait: 10 * time.Second, Budget: 10 * time.Second})
}

func newHostsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "hosts",
		Short: "List the hv hosts you reach: reachable or not, phase, VMs, load, version",
		Long: "Connects to this host and every host you listed in your hosts file (" + "~/.config/hv/hosts.toml" + ",\n" +
			"one line: " + fleet.ConfigHelp + ") or the host file's hosts.peers,\n" +
			"and says how each answers. Each is reached through its hv daemon over SSH (ssh HOST hv dial-stdio),\n" +
			"as the user SSH makes you there: that host's daemon decides what you may do. A host that is down or\n" +
			"slow is shown as such; the others are not held up.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			hv, err := g.openFleet(ctx)
			if err != nil {
				return err
			}
			defer hv.Close()
			hv.List(ctx) // a first reading of every host's VMs
			hosts := vm.HostsOf(hv)
			if hosts == nil {
				h, err := vm.Alone(ctx, hv)
				if err != nil {
					return err
				}
				if c, ok := hv.(interface{ Identity() api.Identity }); ok {
					h.Version, h.Phase = c.Identity().Version, c.Identity().Phase
				}
				hosts = []vm.HostStatus{h}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), hosts)
			}
			return writeHosts(cmd.OutOrStdout(), hosts)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.AddCommand(newPeerConfigCmd())
	return cmd
}

func writeHosts(w io.Writer, hosts []vm.HostStatus) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tSTATE\tPHASE\tVMS\tLOAD\tVERSION\tWHERE")
	for _, h := range hosts {
		state := h.State.String()
		if h.Err != "" && h.State != vm.HostUp {
			state += ": " + h.Err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", termsafe.String(h.Name), termsafe.String(state), orDash(h.Phase),
			h.Running, h.VMs, h.Load(), orDash(termsafe.String(h.Version)), termsafe.String(h.Where))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
