package main

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/engine"
	"github.com/hyper-nixos/hv/security/threat/intel"
	"github.com/hyper-nixos/hv/security/threat/rules"
	"github.com/hyper-nixos/hv/ui/termsafe"
)

func newThreatsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "threats",
		Short: "Threat detection: scan logs, report findings",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newThreatsScanCmd(), newThreatsReportCmd(), newThreatsRulesCmd(), newThreatsActionsCmd(), newThreatsUndoCmd(g), newThreatsFeedsCmd())
	return cmd
}

// ruleFlags are how commands choose their rules.
type ruleFlags struct {
	dropIn string
	tag    string
}

func (rf *ruleFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&rf.dropIn, "rules", rules.DefaultDropIn, "directory of local rules (*.toml) added to the built-in ones")
	cmd.Flags().StringVar(&rf.tag, "select", "", "use only the rules with this tag, e.g. ssh")
}

func (rf *ruleFlags) load() (*rules.Set, error) {
	set, err := rules.Load(content.ThreatRules(), rf.dropIn)
	if err != nil {
		return nil, err
	}
	if rf.tag != "" {
		set = set.Select(rf.tag)
		if set.Len() == 0 {
			return nil, usageError{fmt.Errorf("--select %q: no rule has that tag (see 'hv threats rules')", rf.tag)}
		}
	}
	return set, nil
}

func newThreatsScanCmd() *cobra.Command {
	var (
		rf         ruleFlags
		asJSON     bool
		summary    bool
		stats      bool
		year       int
		blocklists []string
		cpuProfile string
	)
	cmd := &cobra.Command{
		Use:   "scan FILE",
		Short: "Run the detection rules over a log file",
		Long: "Run every detection rule over a syslog file (such as /var/log/auth.log; - reads standard input)\n" +
			"and print what it finds. Nothing is stored and no action is taken.\n\n" +
			"With --json, one JSON object per line for each finding, with line (1-based), rule, severity,\n" +
			"kind, tags, title, and time, ip, user, vm, service, mitre, intel and evidence when known.",
		Example: "  hv threats scan /var/log/auth.log\n" +
			"  hv threats scan /var/log/auth.log --json | jq -r 'select(.tags|index(\"auth-failure\")) | .ip' | sort | uniq -c",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := rf.load()
			if err != nil {
				return err
			}
			var in io.Reader = cmd.InOrStdin()
			name := "stdin"
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return openError(err)
				}
				defer f.Close()
				in, name = f, args[0]
				if year == 0 {
					if st, err := f.Stat(); err == nil {
						year = st.ModTime().Year()
					}
				}
			}
			opt := engine.Options{Year: year, Transient: true} // emit keeps only rule names and addresses
			if len(blocklists) > 0 {
				lists, err := intel.LoadFiles(blocklists...)
				if err != nil {
					return err
				}
				opt.Intel = lists
			}
			if cpuProfile != "" {
				stop, err := startCPUProfile(cpuProfile)
				if err != nil {
					return err
				}
				defer stop()
			}
			e := engine.New(set, opt)
			out := bufio.NewWriterSize(cmd.OutOrStdout(), 1<<20)
			var sum scanSummary
			var enc threat.JSONEncoder
			start := time.Now()
			emit := func(f threat.Finding) {
				switch {
				case summary:
					sum.add(&f)
					return
				case asJSON:
					// straight into the writer's buffer: no copy
					out.Write(append(enc.Append(out.AvailableBuffer(), &f), '\n'))
				default:
					writeFindingLine(out, &f)
				}
				sum.total++
			}
			if err := e.Scan(in, name, emit); err != nil {
				return fmt.Errorf("reading %s: %w", name, err)
			}
			elapsed := time.Since(start)
			if summary {
				sum.write(out, e)
			}
			if err := out.Flush(); err != nil {
				return err
			}
			if stats {
				fmt.Fprintf(cmd.ErrOrStderr(), "hv: %d lines, %d rules, %d findings in %.3fs: %.0f lines/s\n",
					e.Lines, set.Len(), sum.total, elapsed.Seconds(), float64(e.Lines)/elapsed.Seconds())
			}
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per finding (JSON Lines)")
	cmd.Flags().BoolVar(&summary, "summary", false, "print only counts: by rule, and authentication failures by address")
	cmd.Flags().BoolVar(&stats, "stats", false, "print lines, findings and lines per second to standard error")
	cmd.Flags().IntVar(&year, "year", 0, "year of timestamps that carry none (default: the file's modification year)")
	cmd.Flags().StringArrayVar(&blocklists, "blocklist", nil, "blocklist of addresses and CIDR ranges to match against (repeatable; plain, FireHOL netset or Spamhaus DROP)")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a Go CPU profile of the scan to this file")
	cmd.Flags().MarkHidden("cpuprofile")
	cmd.MarkFlagsMutuallyExclusive("json", "summary")
	return cmd
}

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// openError explains the usual reasons a log cannot be read.
func openError(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return withFix(err, "logs are often readable only by root or the adm group: add yourself to adm, or run the monitor service")
	}
	return err
}

func writeFindingLine(w io.Writer, f *threat.Finding) {
	who := f.IP
	if f.User != "" {
		who += " user=" + f.User
	}
	if f.VM != "" {
		who += " vm=" + f.VM
	}
	what := f.Title
	if f.Kind == threat.KindThreshold {
		what = fmt.Sprintf("%s (%d)", f.Title, f.Count)
	}
	fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", f.Line, f.Severity, f.Rule, termsafe.String(what), termsafe.String(who))
}

// scanSummary counts findings for --summary; other modes count only the
// total.
type scanSummary struct {
	total  int
	bySev  [threat.Critical + 1]int
	byRule map[ruleKind]int
	byIP   map[string]int
}

type ruleKind struct {
	rule string
	kind threat.Kind
}

func (s *scanSummary) add(f *threat.Finding) {
	if s.byRule == nil {
		s.byRule, s.byIP = map[ruleKind]int{}, map[string]int{}
	}
	s.total++
	s.bySev[f.Severity]++
	s.byRule[ruleKind{f.Rule, f.Kind}]++
	if f.Kind == threat.KindMatch && f.IP != "" && f.HasTag(threat.TagAuthFailure) {
		s.byIP[f.IP]++
	}
}

func (s *scanSummary) write(w io.Writer, e *engine.Engine) {
	fmt.Fprintf(w, "%d lines, %d findings:", e.Lines, s.total)
	for sev := threat.Critical; sev >= threat.Info; sev-- {
		fmt.Fprintf(w, " %d %s", s.bySev[sev], sev)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "\nBY RULE")
	byRule := make(map[string]int, len(s.byRule))
	for k, n := range s.byRule {
		byRule[k.rule+" "+string(k.kind)] = n
	}
	for _, kv := range sortedCounts(byRule) {
		fmt.Fprintf(w, "%8d  %s\n", kv.n, kv.k)
	}
	fmt.Fprintln(w, "\nAUTHENTICATION FAILURES BY ADDRESS")
	for _, kv := range sortedCounts(s.byIP) {
		fmt.Fprintf(w, "%8d  %s\n", kv.n, kv.k)
	}
}

type count struct {
	k string
	n int
}

func sortedCounts(m map[string]int) []count {
	out := make([]count, 0, len(m))
	for k, n := range m {
		out = append(out, count{k, n})
	}
	slices.SortFunc(out, func(a, b count) int { return cmp.Or(b.n-a.n, cmp.Compare(a.k, b.k)) })
	return out
}

func newThreatsRulesCmd() *cobra.Command {
	var rf ruleFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the detection rules in force",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, err := rf.load()
			if err != nil {
				return err
			}
			type ruleJSON struct {
				ID       string   `json:"id"`
				Title    string   `json:"title"`
				Severity string   `json:"severity"`
				MITRE    string   `json:"mitre,omitempty"`
				Tags     []string `json:"tags"`
				Programs []string `json:"programs,omitempty"`
			}
			if asJSON {
				var out []ruleJSON
				for _, r := range set.Rules() {
					out = append(out, ruleJSON{r.ID, r.Title, r.Severity.String(), r.MITRE, r.Tags, r.Programs})
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			for _, r := range set.Rules() {
				fmt.Fprintf(w, "%-34s %-8s %-10s %s\n", r.ID, r.Severity, r.MITRE, termsafe.String(r.Title))
			}
			fmt.Fprintf(w, "%d rules\n", set.Len())
			return w.Flush()
		},
	}
	rf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}
