package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/store"
	"github.com/hyper-nixos/hv/ui/termsafe"
)

// reportJSON is 'hv threats report --json'; documented in the README.
type reportJSON struct {
	Since    time.Time        `json:"since"`
	Counts   map[string]int   `json:"counts"`
	Sources  []countJSON      `json:"top_sources"`
	VMs      []countJSON      `json:"top_vms"`
	Rules    []countJSON      `json:"top_rules"`
	Findings []map[string]any `json:"findings"`
}

type countJSON struct {
	Value string `json:"value"`
	N     int    `json:"count"`
}

func newThreatsReportCmd() *cobra.Command {
	var (
		db       string
		since    time.Duration
		asJSON   bool
		markdown bool
		minSev   string
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Summarise the monitor service's findings",
		Long: "Summarise the findings the monitor service stored: counts by severity, the top source\n" +
			"addresses, VMs and rules, and the findings of at least --min-severity.",
		Example: "  hv threats report --since 24h\n  hv threats report --since 168h --markdown > week.md",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			sev, err := threat.ParseSeverity(minSev)
			if err != nil {
				return usageError{fmt.Errorf("--min-severity: %w", err)}
			}
			if since <= 0 {
				return usageError{fmt.Errorf("--since must be positive, e.g. 24h")}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st, err := store.Open(ctx, db, true)
			if err != nil {
				return withFix(err, "is the monitor service running? 'hv threats scan FILE' works without it")
			}
			defer st.Close()
			r, err := buildReport(ctx, st, time.Now().Add(-since), sev)
			if err != nil {
				return err
			}
			switch {
			case asJSON:
				return writeJSON(cmd.OutOrStdout(), r)
			case markdown:
				return writeReportMarkdown(cmd.OutOrStdout(), r)
			}
			return writeReportText(cmd.OutOrStdout(), r)
		},
	}
	cmd.Flags().StringVar(&db, "db", store.DefaultPath, "findings database of the monitor service")
	cmd.Flags().DurationVar(&since, "since", 24*time.Hour, "how far back")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print Markdown")
	cmd.Flags().StringVar(&minSev, "min-severity", "medium", "list findings of at least this severity")
	cmd.MarkFlagsMutuallyExclusive("json", "markdown")
	return cmd
}

func buildReport(ctx context.Context, st *store.Store, since time.Time, min threat.Severity) (reportJSON, error) {
	r := reportJSON{Since: since, Counts: map[string]int{}}
	counts, err := st.Counts(ctx, since)
	if err != nil {
		return r, err
	}
	for _, s := range threat.Severities() {
		r.Counts[s.String()] = counts[s]
	}
	conv := func(cs []store.Count) []countJSON {
		out := []countJSON{}
		for _, c := range cs {
			out = append(out, countJSON{c.Value, c.N})
		}
		return out
	}
	ips, _ := st.Top(ctx, "ip", since, 10)
	vms, _ := st.Top(ctx, "vm", since, 10)
	rs, _ := st.Top(ctx, "rule", since, 10)
	r.Sources, r.VMs, r.Rules = conv(ips), conv(vms), conv(rs)
	fs, err := st.List(ctx, store.Query{Since: since, MinSeverity: min, Limit: 500})
	if err != nil {
		return r, err
	}
	r.Findings = []map[string]any{}
	for _, f := range fs {
		m := map[string]any{"id": f.ID, "time": f.Time, "rule": f.Rule, "title": f.Title, "severity": f.Severity.String(),
			"kind": string(f.Kind), "state": string(f.State), "tags": f.Tags, "evidence": f.Evidence}
		for k, v := range map[string]string{"ip": f.IP, "user": f.User, "vm": f.VM, "service": f.Service, "mitre": f.MITRE, "intel": f.Intel} {
			if v != "" {
				m[k] = v
			}
		}
		r.Findings = append(r.Findings, m)
	}
	return r, nil
}

func writeReportText(w io.Writer, r reportJSON) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "Findings since %s:", r.Since.Format("2006-01-02 15:04"))
	for i := len(threat.Severities()) - 1; i >= 0; i-- {
		s := threat.Severities()[i]
		fmt.Fprintf(b, " %d %s", r.Counts[s.String()], s)
	}
	fmt.Fprintln(b)
	for _, sec := range []struct {
		title string
		cs    []countJSON
	}{{"Top source addresses", r.Sources}, {"Top VMs", r.VMs}, {"Top rules", r.Rules}} {
		if len(sec.cs) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n%s\n", sec.title)
		for _, c := range sec.cs {
			fmt.Fprintf(b, "  %6d  %s\n", c.N, termsafe.String(c.Value))
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(b, "\nFindings")
		for _, f := range r.Findings {
			fmt.Fprintf(b, "  %s  %-8s %-10s %s  %s\n", f["time"].(time.Time).Format("01-02 15:04"), f["severity"], f["state"],
				termsafe.String(f["title"].(string)), termsafe.String(who(f)))
		}
	}
	return b.Flush()
}

func who(f map[string]any) string {
	var parts []string
	for _, k := range []string{"ip", "user", "vm"} {
		if v, ok := f[k].(string); ok {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// mdEscape makes untrusted text safe inside a Markdown table cell.
func mdEscape(s string) string {
	s = termsafe.String(s)
	return strings.NewReplacer("|", `\|`, "`", "'", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`).Replace(s)
}

func writeReportMarkdown(w io.Writer, r reportJSON) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "# Threat report\n\nSince %s.\n\n| severity | findings |\n|---|---:|\n", r.Since.Format("2006-01-02 15:04 MST"))
	for i := len(threat.Severities()) - 1; i >= 0; i-- {
		s := threat.Severities()[i].String()
		fmt.Fprintf(b, "| %s | %d |\n", s, r.Counts[s])
	}
	for _, sec := range []struct {
		title, col string
		cs         []countJSON
	}{{"Top source addresses", "address", r.Sources}, {"Top VMs", "VM", r.VMs}, {"Top rules", "rule", r.Rules}} {
		if len(sec.cs) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n## %s\n\n| %s | findings |\n|---|---:|\n", sec.title, sec.col)
		for _, c := range sec.cs {
			fmt.Fprintf(b, "| %s | %d |\n", mdEscape(c.Value), c.N)
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintf(b, "\n## Findings\n\n| time | severity | state | finding | who |\n|---|---|---|---|---|\n")
		for _, f := range r.Findings {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", f["time"].(time.Time).Format("01-02 15:04"), f["severity"], f["state"],
				mdEscape(f["title"].(string)), mdEscape(who(f)))
		}
	}
	return b.Flush()
}
