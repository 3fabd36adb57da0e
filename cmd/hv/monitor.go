package main

import (
	"context"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/threat/intel"
	"github.com/hyper-nixos/hv/security/threat/monitor"
	"github.com/hyper-nixos/hv/security/threat/response"
	"github.com/hyper-nixos/hv/security/threat/rules"
	"github.com/hyper-nixos/hv/security/threat/store"
)

func newMonitorCmd(g *globals) *cobra.Command {
	cfg := monitor.DaemonConfig{}
	var noJournal, noLibvirt bool
	cmd := &cobra.Command{
		Use:   "monitor",
		Short: "Run the threat monitor service (journal, logs, libvirt, VM metrics)",
		Long: "Run threat detection until stopped: the journal (from its saved cursor), log files,\n" +
			"libvirt events and VM metrics go through the rules and the anomaly detector; findings go to\n" +
			"an SQLite database, Prometheus metrics to --listen, and playbooks (monitor-only unless\n" +
			"enabled in " + response.DefaultFile + ") run on them. Meant to run as a systemd service;\n" +
			"SIGHUP-free: blocklists reload when their files change.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, b := range cfg.Blocklists { // fail before starting on a bad list
				if _, err := intel.LoadFiles(b); err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			cfg.Journal = !noJournal
			connect, where, err := g.opener()
			cfg.Where, cfg.Log = where, cmd.ErrOrStderr()
			if !noLibvirt {
				if err != nil {
					return err
				}
				hv, err := dial(connect)
				if err != nil {
					return err
				}
				defer hv.Close()
				cfg.HV = hv
			}
			return monitor.RunDaemon(ctx, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DB, "db", store.DefaultPath, "findings database (SQLite)")
	f.StringVar(&cfg.StateDir, "state-dir", monitor.DefaultStateDir, "directory for anomaly baselines and the audit log")
	f.StringVar(&cfg.RulesDir, "rules", rules.DefaultDropIn, "directory of local rules")
	f.StringVar(&cfg.Playbooks, "playbooks", response.DefaultFile, "local playbooks (enable built-in ones there)")
	f.StringArrayVar(&cfg.Blocklists, "blocklist", nil, "blocklist of addresses and CIDR ranges (repeatable; may not exist yet; reloaded when it changes)")
	f.StringVar(&cfg.Listen, "listen", "127.0.0.1:9851", "address for Prometheus /metrics; empty to disable")
	f.StringArrayVar(&cfg.Files, "file", nil, "log file to follow (repeatable), e.g. /var/log/auth.log")
	f.BoolVar(&noJournal, "no-journal", false, "do not read the systemd journal")
	f.BoolVar(&noLibvirt, "no-libvirt", false, "do not connect to libvirt (no events, metrics or VM actions)")
	f.DurationVar(&cfg.MetricsInterval, "metrics-interval", time.Minute, "how often VM metrics are read for anomaly detection")
	f.BoolVar(&cfg.Block, "block", false, "let enabled block-ip playbooks change nftables (needs CAP_NET_ADMIN)")
	f.DurationVar(&cfg.Retention, "retention", 90*24*time.Hour, "delete acknowledged and resolved findings older than this")
	f.StringVar(&cfg.AuditLog, "audit-log", audit.SystemPath, "hv's audit trail, where playbook actions are recorded")
	return cmd
}
