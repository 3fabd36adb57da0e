package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/remote"
)

func newMigrateCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "migrate NAME HOST",
		Short: "Move a VM to another host: live with its disks when it runs, offline when it is shut off",
		Long: "Moves the VM to HOST (a host 'hv hosts' lists, or ssh://USER@HOST[:PORT]) through both hosts' hv\n" +
			"daemons, each deciding as it would for you there: HOST accepts the VM after checking what it\n" +
			"needs (its name free, its networks, a pool for each disk's directory with room, its media, its\n" +
			"CPU), then this host moves it with libvirt, peer to peer over SSH. A running or paused VM moves\n" +
			"live: its disks are copied while it runs and it carries on there without a restart. A shut-off\n" +
			"VM has its disks copied, then its definition; its volumes here are removed once it has moved.\n" +
			"Both hosts' audit trails record every step. Progress goes to standard error; ^C cancels, and\n" +
			"the VM stays here as it was.\n\n" +
			"The hosts' daemons reach each other as root over SSH: each host file lists the other in\n" +
			"hosts.peers, and root on each host needs a key root on the other accepts: the NixOS module sets\n" +
			"it up from services.hyper-nixos.peers (each host's SSH host key and hv daemon key, declared on\n" +
			"the other).",
		Example: "  hv vm migrate web hv2\n  hv --host hv2 vm migrate web hv1 --yes",
		Args:    usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, to := args[0], args[1]
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			src, dst, err := g.migrationEnds(ctx, to)
			if err != nil {
				return err
			}
			defer src.Close()
			defer dst.Close()
			lctx, cancel := context.WithTimeout(ctx, callTimeout)
			v, err := src.Lookup(lctx, name)
			cancel()
			if err != nil {
				return err
			}
			how := "shut off: its disks are copied, then its definition, and its volumes here removed"
			if v.State.Active() {
				how = "running: it moves live, its disks copied while it runs"
			}
			ctx, err = g.ask(ctx, cmd, yes, question{audit: "vm.migrate", verb: "move", target: v.Name + " to " + dst.Identity().Hostname,
				name: v.Name, impact: termsafe.String(v.Name) + " is " + how + "; it then runs under " + termsafe.String(dst.Identity().Hostname) + "'s rules."})
			if err != nil {
				return err
			}
			err = remote.Migrate(ctx, src, dst, v.UUID, progressPrinter(cmd.ErrOrStderr()))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s moved to %s\n", termsafe.String(v.Name), termsafe.String(dst.Identity().Hostname))
			return nil
		},
	}
	yesFlag(cmd, &yes)
	return cmd
}

// migrationEnds opens the daemons of both hosts: the one hv is pointed
// at (--host, else this host's, whoever runs hv: the move is the
// daemons'), and the destination.
func (g *globals) migrationEnds(ctx context.Context, to string) (src, dst *remote.Client, err error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	dial, where, err := g.daemonDialer()
	if err != nil {
		return nil, nil, err
	}
	if dial == nil {
		where = socketPath()
		dial = remote.Unix(where)
	}
	if src, err = remote.Open(ctx, dial, where); err != nil {
		return nil, nil, err
	}
	toDial, toWhere, err := hostDialer(to)
	if err == nil {
		dst, err = remote.Open(ctx, toDial, toWhere)
	}
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	return src, dst, nil
}

// progressPrinter says each stage of a move once, and its progress every
// tenth of the way.
func progressPrinter(w io.Writer) func(vm.MigrationProgress) {
	stage, step := "", -1
	return func(p vm.MigrationProgress) {
		pct := p.Percent()
		if p.Stage == stage && (pct < 0 || pct/10 == step) {
			return
		}
		stage, step = p.Stage, pct/10
		if pct < 0 {
			fmt.Fprintf(w, "hv: %s\n", p.Stage)
			return
		}
		fmt.Fprintf(w, "hv: %s %d%% (%s of %s)\n", p.Stage, pct, vm.FormatBytes(float64(p.Done)), vm.FormatBytes(float64(p.Total)))
	}
}
