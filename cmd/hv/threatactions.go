package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/security/threat/response"
	"github.com/hyper-nixos/hv/security/threat/store"
	"github.com/hyper-nixos/hv/ui/termsafe"
)

// actionJSON is one line of 'hv threats actions --json'.
type actionJSON struct {
	ID       int64     `json:"id"`
	Time     time.Time `json:"time"`
	Finding  int64     `json:"finding"`
	Playbook string    `json:"playbook"`
	Action   string    `json:"action"`
	Target   string    `json:"target"`
	Mode     string    `json:"mode"`
	Result   string    `json:"result"`
	Undoable bool      `json:"undoable"`
	Undone   bool      `json:"undone"`
}

func newThreatsActionsCmd() *cobra.Command {
	var db string
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "actions",
		Short: "List what playbooks did, newest first, with the ids 'hv threats undo' takes",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			st, err := store.Open(ctx, db, true)
			if err != nil {
				return withFix(err, "is the monitor service running? its findings database is "+store.DefaultPath)
			}
			defer st.Close()
			acts, err := st.Actions(ctx, limit)
			if err != nil {
				return err
			}
			if asJSON {
				out := []actionJSON{}
				for _, a := range acts {
					out = append(out, actionJSON{a.ID, a.Time, a.Finding, a.Playbook, a.Action, a.Target, a.Mode, a.Result, response.Undoable(a), a.Undone})
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			fmt.Fprintf(w, "%-6s %-16s %-8s %-14s %-24s %s\n", "ID", "TIME", "MODE", "ACTION", "TARGET", "RESULT")
			for _, a := range acts {
				res := a.Result
				switch {
				case a.Undone:
					res += " (undone)"
				case response.Undoable(a):
					res += " (undoable)"
				}
				fmt.Fprintf(w, "%-6d %-16s %-8s %-14s %-24s %s\n", a.ID, a.Time.Format("01-02 15:04:05"), a.Mode, a.Action,
					termsafe.String(a.Target), termsafe.String(res))
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&db, "db", store.DefaultPath, "findings database of the monitor service")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 50, "how many actions")
	return cmd
}

func newThreatsUndoCmd(g *globals) *cobra.Command {
	var db string
	var yes bool
	cmd := &cobra.Command{
		Use:   "undo ID",
		Short: "Reverse a playbook's action: unblock, resume, reconnect, delete the forensic snapshot",
		Long: "Reverse an action a playbook carried out, by its id (see 'hv threats actions'): lift a block,\n" +
			"resume a paused VM, bring an isolated VM's links back up, delete a forensic snapshot. It is\n" +
			"written to the audit trail. Lifting a block changes the firewall, which needs root.",
		Example: "  hv threats actions\n  hv threats undo 12",
		Args:    exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usageError{fmt.Errorf("%q is not an action id: see 'hv threats actions'", args[0])}
			}
			ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
			defer cancel()
			st, err := store.Open(ctx, db, false)
			if err != nil {
				return withFix(err, "is the monitor service running? its findings database is "+store.DefaultPath)
			}
			defer st.Close()
			a, err := st.Action(ctx, id)
			if err != nil {
				return err
			}
			if !response.Undoable(a) {
				return fmt.Errorf("action %d (%s %s) has nothing to undo: %s", id, a.Action, termsafe.String(a.Target), whyNot(a))
			}
			do, name, does, err := response.UndoStep(a)
			if err != nil {
				return err
			}
			// The undo is the hv API's change (vm.resume, vm.links,
			// vm.snapshot.delete): asked as the matrix asks it, the answer
			// carried to the daemon. Lifting a block is root's, asked y/N.
			q := question{audit: response.Route(do), verb: "undo", target: a.Action + " " + a.Target, name: name,
				impact: "This " + does + " (playbook " + a.Playbook + ")."}
			if q.audit != "" {
				if ctx, err = g.ask(ctx, cmd, yes, q); err != nil {
					return err
				}
			} else {
				q.audit = "threat." + do
				if _, err := g.confirmer(cmd, yes).confirm(phase.Rule{Verdict: phase.Confirm, Ask: phase.YesNo}, q); err != nil {
					return err
				}
			}
			r := &response.Runner{Store: st}
			if dial, _, _ := g.daemonDialer(); dial == nil { // through the hv daemon, the daemon writes the trail
				r.Audit = &response.Trail{Log: audit.Open(g.auditPath()), Where: "hv threats undo"}
			}
			if os.Geteuid() == 0 {
				r.Do.Firewall = &response.NFT{Run: response.Exec}
			} else {
				r.Do.NoFirewall = "lifting a block changes the firewall, which needs root: run this as root, or let the block expire"
			}
			if a.Action != response.BlockIP && a.Action != response.Notify {
				hv, err := g.open()
				if err != nil {
					return err
				}
				defer hv.Close()
				r.Do.VMs = hv
				if a := hv.Access(); !a.Writable() {
					r.Do.VMs, r.Do.NoVMs = nil, a.Why()
				}
			}
			if err := r.Undo(ctx, a, currentUser()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "undone: %s %s\n", a.Action, termsafe.String(a.Target))
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", store.DefaultPath, "findings database of the monitor service")
	yesFlag(cmd, &yes)
	return cmd
}

func whyNot(a store.Action) string {
	switch {
	case a.Undone:
		return "it was undone already"
	case a.Mode != "enforce":
		return "it was only recorded (monitor-only playbook), never carried out"
	case a.Result != "ok":
		return "it failed: " + termsafe.String(a.Result)
	}
	return a.Action + " cannot be reversed"
}
