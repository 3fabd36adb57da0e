// Package rules reads hv's detection rules: data files (TOML) with one
// [[rule]] table per rule. Defaults are embedded from content/threat/rules;
// a drop-in directory adds local rules, replaces a default by reusing its
// id, or turns one off with disabled = true. Every rule carries example
// lines that must match and may carry lines that must not: loading checks
// them, so a broken rule never goes live.
package rules

import (
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"time"

	"github.com/hyper-nixos/hv/security/threat"
)

// Rule is one detection rule as written in a rule file.
type Rule struct {
	ID          string   `toml:"id"`
	Title       string   `toml:"title"`
	Description string   `toml:"description"`
	Severity    string   `toml:"severity"`
	MITRE       string   `toml:"mitre"`
	Tags        []string `toml:"tags"`
	// Programs are the syslog identifiers the rule applies to; a trailing
	// '*' matches a prefix. Empty means any program; entries starting with
	// '!' exclude a program from "any".
	Programs []string `toml:"programs"`
	Service  string   `toml:"service"`
	// Literal is a string every matching message contains. It is checked
	// before the pattern, which most lines then never reach. It may be left
	// out when the pattern starts with ^ and a literal word.
	Literal string `toml:"literal"`
	// Pattern is a Go regular expression (RE2 syntax) run on the message.
	// Named groups are the fields it extracts: ip, user, vm, service, and
	// any other name. A name may end in _2, _3...: alternatives of a
	// pattern that fill the same field (user and user_2).
	Pattern string `toml:"pattern"`
	// Matcher names a hand-written equivalent of the pattern (see
	// matchers.go) that runs instead of it, for the busiest sshd lines.
	// It must be the pattern the matcher was written for, word for word.
	Matcher string `toml:"matcher"`
	// Conn makes the rule take part in connection tracking by host,
	// program and pid: a line whose address is certain teaches the
	// connection its address; a line without one, or whose address is
	// ambiguous (see Untrusted), gets the connection's. "track" takes
	// part; "close" also forgets the connection after this line.
	Conn string `toml:"conn"`
	// AddrContext is needed where attacker-chosen text may come both
	// before the address (a user name, a method name) and after it (a
	// certificate's key id, a client's host name): a regular expression
	// with an ip group for the text sshd writes around the address, such
	// as ' from (?P<ip>\S+) port \d+ ssh2(?:: |$)'. A line where it
	// matches at more than one place could have been split by the
	// attacker at either: its address is ambiguous, and is taken from its
	// connection (when the line shows that one) or not at all.
	AddrContext string `toml:"addr_context"`
	// Probe reports a line only when nothing was reported yet on its
	// connection: a connection closed before authenticating, with no
	// failure, is a probe; after failures it is just their end.
	Probe bool `toml:"probe"`
	// TrackOnly rules emit no finding: they only teach connection tracking
	// an address or end a connection, and rules after them are still
	// tried. The engine skips their pattern when there is nothing to learn.
	TrackOnly bool       `toml:"track_only"`
	Threshold *Threshold `toml:"threshold"`
	Examples  []string   `toml:"examples"`
	// NotExamples must not match this rule.
	NotExamples []string `toml:"not_examples"`
	Disabled    bool     `toml:"disabled"`
}

// Threshold turns repeated matches into one correlated finding: Count
// matches within Within for one value of the field By.
type Threshold struct {
	Count    int    `toml:"count"`
	Within   string `toml:"within"`
	By       string `toml:"by"`
	Severity string `toml:"severity"`
	Title    string `toml:"title"`
}

// ConnMode is a rule's part in connection tracking.
type ConnMode int

const (
	ConnNone ConnMode = iota
	ConnTrack
	ConnClose
)

// Compiled is a rule ready to run.
type Compiled struct {
	ID, Title, MITRE, Service string
	Description               string
	Severity                  threat.Severity
	Tags                      []string
	Programs                  []string
	Conn                      ConnMode
	TrackOnly, Probe          bool

	Re       *regexp.Regexp
	Matcher  string                          // name of the matcher standing in for Re, if any
	fast     func(b []byte, m []int) verdict // the matcher
	groups   int                             // submatch indexes a match has: 2 per group and 2 for the whole
	first    byteSet                         // bytes a matching message can start with, when anchored
	anchored bool
	Prefix   []byte // the message starts with this: checked first
	Literal  []byte // the message contains this

	// IPGroup is the index of the first ip group, -1 when absent; Names
	// the field each group fills, by index ("" for unnamed groups), with
	// any _2 suffix removed.
	IPGroup int
	Names   []string
	// Context is the compiled AddrContext, run on lines that hold its
	// longest literal, ContextLit, more than once; nil without one.
	Context    *regexp.Regexp
	ContextLit []byte

	Threshold   *CompiledThreshold
	AuthFailure bool
	Index       int // position in its Set
}

// CompiledThreshold is a parsed Threshold.
type CompiledThreshold struct {
	Count    int
	Within   time.Duration
	By       string
	Severity threat.Severity
	Title    string
}

// HasTag reports whether the rule carries tag t.
func (c *Compiled) HasTag(t string) bool { return slices.Contains(c.Tags, t) }

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)

// compile checks r and builds its runnable form.
func compile(r Rule) (*Compiled, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("rule %q: "+format, append([]any{r.ID}, args...)...)
	}
	if !idPattern.MatchString(r.ID) {
		return nil, fmt.Errorf("rule %q: id must be lower-case letters, digits, dots and dashes", r.ID)
	}
	if strings.TrimSpace(r.Title) == "" {
		return nil, bad("title is missing")
	}
	sev, err := threat.ParseSeverity(r.Severity)
	if err != nil {
		return nil, bad("%v", err)
	}
	if r.MITRE != "" && !mitrePattern.MatchString(r.MITRE) {
		return nil, bad("mitre %q is not an ATT&CK technique id such as T1110 or T1110.001", r.MITRE)
	}
	if r.Pattern == "" {
		return nil, bad("pattern is missing")
	}
	re, err := regexp.Compile(r.Pattern)
	if err != nil {
		return nil, bad("pattern: %v", err)
	}
	c := &Compiled{
		ID: r.ID, Title: r.Title, Description: r.Description, MITRE: r.MITRE, Service: r.Service,
		Severity: sev, Tags: r.Tags, Programs: r.Programs, Re: re, IPGroup: -1, Probe: r.Probe,
		groups: 2 * (re.NumSubexp() + 1),
	}
	if r.Matcher != "" {
		mt, ok := matchers[r.Matcher]
		if !ok {
			return nil, bad("matcher %q: no such matcher", r.Matcher)
		}
		if mt.pattern != r.Pattern {
			return nil, bad("matcher %q stands for the pattern %s and no other: drop the matcher or restore that pattern", r.Matcher, mt.pattern)
		}
		c.Matcher, c.fast = r.Matcher, mt.match
	}
	c.AuthFailure = c.HasTag(threat.TagAuthFailure)
	neg, pos := 0, 0
	for _, p := range r.Programs {
		name := strings.TrimPrefix(p, "!")
		if name == "" || strings.ContainsAny(name, " :[!") || strings.Contains(strings.TrimSuffix(name, "*"), "*") {
			return nil, bad("program %q: want a syslog identifier, optionally ending in * or starting with !", p)
		}
		if name != p {
			neg++
		} else {
			pos++
		}
	}
	if neg > 0 && pos > 0 {
		return nil, bad("programs: list programs to include or, with !, to exclude, not both")
	}
	switch r.Conn {
	case "":
	case "track":
		c.Conn = ConnTrack
	case "close":
		c.Conn = ConnClose
	default:
		return nil, bad("conn %q: want track or close", r.Conn)
	}
	c.Names = make([]string, len(re.SubexpNames()))
	for i, name := range re.SubexpNames() {
		c.Names[i] = fieldName(name)
		if c.Names[i] == "ip" && c.IPGroup < 0 {
			c.IPGroup = i
		}
	}
	if r.AddrContext != "" {
		cx, err := regexp.Compile(r.AddrContext)
		if err != nil || c.IPGroup < 0 || cx.SubexpIndex("ip") < 0 {
			return nil, bad("addr_context: want a regular expression with an ip group, for a pattern with one (%v)", err)
		}
		c.Context, c.ContextLit = cx, longestLiteral(r.AddrContext)
	}
	if r.Probe && c.Conn == ConnNone {
		return nil, bad("probe needs conn: it looks at what its connection logged")
	}
	c.TrackOnly = r.TrackOnly
	if c.TrackOnly && c.Conn == ConnNone {
		return nil, bad("track_only needs conn")
	}
	if c.TrackOnly && r.Threshold != nil {
		return nil, bad("a track_only rule emits nothing to count: drop its threshold")
	}
	c.first, c.anchored = firstBytes(r.Pattern)
	prefix, anchored := anchoredPrefix(r.Pattern)
	if anchored && prefix != "" {
		c.Prefix = []byte(prefix)
	}
	switch {
	case r.Literal != "":
		c.Literal = []byte(r.Literal)
	case c.Prefix == nil:
		return nil, bad("no literal pre-filter: set literal to a string every matching message contains, or start the pattern with ^ and a word")
	}
	if t := r.Threshold; t != nil {
		t.By = fieldName(t.By)
		ct := &CompiledThreshold{Count: t.Count, By: t.By, Title: t.Title, Severity: sev}
		if t.Count < 2 {
			return nil, bad("threshold count must be at least 2")
		}
		if ct.Within, err = time.ParseDuration(t.Within); err != nil || ct.Within <= 0 {
			return nil, bad("threshold within %q: want a duration such as 10m", t.Within)
		}
		if t.Severity != "" {
			if ct.Severity, err = threat.ParseSeverity(t.Severity); err != nil {
				return nil, bad("threshold: %v", err)
			}
		}
		if t.By == "" || !slices.Contains(c.Names, t.By) {
			return nil, bad("threshold by %q: want the name of a group of the pattern", t.By)
		}
		if ct.Title == "" {
			ct.Title = r.Title + " (repeated)"
		}
		c.Threshold = ct
	}
	if len(r.Examples) == 0 {
		return nil, bad("give at least one example message that the rule matches")
	}
	for _, ex := range r.Examples {
		if err := c.checkExample(ex); err != nil {
			return nil, bad("example %q: %v", ex, err)
		}
	}
	for _, ex := range r.NotExamples {
		if c.Match([]byte(ex)) != nil {
			return nil, bad("not_example %q matches", ex)
		}
	}
	for _, ex := range slices.Concat(r.Examples, r.NotExamples) {
		if c.fast != nil && !slices.Equal(c.Match([]byte(ex)), c.MatchPattern([]byte(ex))) {
			return nil, bad("matcher %q and the pattern disagree on %q", c.Matcher, ex)
		}
	}
	return c, nil
}

var mitrePattern = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

func (c *Compiled) checkExample(ex string) error {
	m := c.Match([]byte(ex))
	if m == nil {
		if c.Re.MatchString(ex) {
			return fmt.Errorf("matches the pattern but not the literal pre-filter %q", c.Literal)
		}
		return fmt.Errorf("does not match")
	}
	if g := c.IPIn(m); g >= 0 && m[2*g] < m[2*g+1] {
		ip := ex[m[2*g]:m[2*g+1]]
		if _, err := netip.ParseAddr(ip); err != nil {
			return fmt.Errorf("extracts ip %q, which is not an address", ip)
		}
	}
	return nil
}

// IPIn returns the index of the ip group that took part in match m, or
// -1: a pattern's alternatives may each have one (ip, ip_2).
func (c *Compiled) IPIn(m []int) int {
	if c.IPGroup < 0 {
		return -1
	}
	for i := c.IPGroup; i < len(c.Names); i++ {
		if c.Names[i] == "ip" && m[2*i] >= 0 {
			return i
		}
	}
	return -1
}

// Match runs the pre-filters and the pattern (its matcher when it has
// one) on a message and returns the submatch indexes, or nil.
func (c *Compiled) Match(msg []byte) []int {
	if !c.Prefilter(msg) {
		return nil
	}
	return c.Run(nil, msg)
}

// MatchPattern is Match with the regular expression alone, never the
// matcher: the reference the matcher is held to.
func (c *Compiled) MatchPattern(msg []byte) []int {
	if !c.Prefilter(msg) {
		return nil
	}
	return c.Re.FindSubmatchIndex(msg)
}

// Run runs the pattern on a message that passed Prefilter and returns the
// submatch indexes, or nil. A matcher, when the rule has one, writes them
// in dst if it is large enough.
func (c *Compiled) Run(dst []int, msg []byte) []int { return c.run(dst, msg, decide) }

// RunLine is Run for a message that holds no newline (a line of a file):
// the matcher need not look for one.
func (c *Compiled) RunLine(dst []int, msg []byte) []int { return c.run(dst, msg, decideLine) }

func (c *Compiled) run(dst []int, msg []byte, decide func(f func(b []byte, m []int) verdict, b []byte, m []int) verdict) []int {
	if c.fast != nil {
		if cap(dst) < c.groups {
			dst = make([]int, c.groups)
		}
		dst = dst[:c.groups]
		switch decide(c.fast, msg, dst) {
		case matched:
			return dst
		case noMatch:
			return nil
		}
	}
	return c.Re.FindSubmatchIndex(msg)
}

// Prefilter reports whether msg passes the cheap checks (prefix, literal)
// that every message the pattern matches passes.
func (c *Compiled) Prefilter(msg []byte) bool {
	return (c.Prefix == nil || hasPrefix(msg, c.Prefix)) && (c.Literal == nil || contains(msg, c.Literal))
}

// anchoredPrefix returns the literal text a pattern starting with ^ demands
// at the start of the message.
func anchoredPrefix(pattern string) (string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText {
		return "", false
	}
	var b strings.Builder
	for _, s := range re.Sub[1:] {
		if s.Op != syntax.OpLiteral || s.Flags&syntax.FoldCase != 0 {
			break
		}
		b.WriteString(string(s.Rune))
	}
	return b.String(), true
}

// fieldName is the field a group fills: its name without an _N suffix.
func fieldName(group string) string {
	if i := strings.LastIndexByte(group, '_'); i > 0 && i < len(group)-1 {
		if strings.Trim(group[i+1:], "0123456789") == "" {
			return group[:i]
		}
	}
	return group
}

// longestLiteral returns the longest literal a match of pattern must
// contain (one that is not inside an optional part).
func longestLiteral(pattern string) []byte {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	var best string
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	for _, s := range subs {
		if s.Op == syntax.OpLiteral && s.Flags&syntax.FoldCase == 0 && len(string(s.Rune)) > len(best) {
			best = string(s.Rune)
		}
	}
	if best == "" {
		return nil
	}
	return []byte(best)
}
