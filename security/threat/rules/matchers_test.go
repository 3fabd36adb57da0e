package rules

import (
	"io/fs"
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/content"
)

// Every matcher stands for a pattern of the default rules, and the rules
// that name it use that pattern (loading checks the pattern; this checks
// that no matcher is left unused).
func TestMatchersAreUsed(t *testing.T) {
	set, err := Load(content.ThreatRules())
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, r := range set.Rules() {
		if r.Matcher != "" {
			used[r.Matcher] = true
		}
	}
	for name := range matchers {
		if !used[name] {
			t.Errorf("matcher %q: no default rule uses it", name)
		}
	}
}

func TestMatcherNeedsItsPattern(t *testing.T) {
	rs, err := Parse("t.toml", []byte(`
[[rule]]
id = "x.y"
title = "t"
severity = "low"
pattern = '^Failed \S+ for (?P<user>.*?) from (?P<ip>\S+)$'
matcher = "ssh-failed"
examples = ["Failed password for root from 203.0.113.5"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(rs); err == nil || !strings.Contains(err.Error(), "stands for the pattern") {
		t.Errorf("a matcher with another pattern was accepted: %v", err)
	}
	rs[0].Matcher, rs[0].Pattern = "no-such", matchers["ssh-failed"].pattern
	if _, err := Compile(rs); err == nil || !strings.Contains(err.Error(), "no such matcher") {
		t.Errorf("an unknown matcher was accepted: %v", err)
	}
}

// agree compares a matcher with its pattern on msg. It returns whether the
// matcher decided.
func agree(t testing.TB, name string, re *regexp.Regexp, msg string) bool {
	t.Helper()
	m := make([]int, 2*(re.NumSubexp()+1))
	want := re.FindStringSubmatchIndex(msg)
	switch decide(matchers[name].match, []byte(msg), m) {
	case undecided:
		return false
	case noMatch:
		if want != nil {
			t.Fatalf("%s: %q: matcher says no match, pattern matches %v (groups %q)", name, msg, want, groups(msg, want))
		}
	case matched:
		if !slices.Equal(m, want) {
			t.Fatalf("%s: %q: matcher %v (groups %q), pattern %v (groups %q)", name, msg, m, groups(msg, m), want, groups(msg, want))
		}
	}
	return true
}

func groups(msg string, m []int) []string {
	var out []string
	for i := 0; i+1 < len(m); i += 2 {
		if m[i] < 0 {
			out = append(out, "<none>")
		} else {
			out = append(out, msg[m[i]:m[i+1]])
		}
	}
	return out
}

// pieces are what random messages are made of: every literal of every
// matcher's pattern, and the text that trips naive parsers (addresses in
// user names, colons, whitespace that is and is not \s, non-ASCII and
// invalid UTF-8, newlines).
func pieces() []string {
	out := []string{
		" ", "  ", "\t", "\n", "\r", "\f", "\v", "x", "a b", "root", "ádmin", "\xff", "\xc3", "é",
		"1.2.3.4", "203.0.113.5", "10.66.66.66", "1.2.3.4567", "1.2.3", "01.2.3.4", "2001:db8::7", "::1",
		"::ffff:1.2.3.4", "fe80::1%eth0", ":", "::", ".", "..", "22", "0", "65535", "ssh2", "ssh", "[preauth]",
		" from ", " from 10.66.66.66 port 22", " port ", " port 22", " on ", " on eth0", " ssh2", " via ",
		"invalid user ", "authenticating user ", "user ", "user=", " user=root", " rhost=", "rhost=", ":11:",
		": ", "11: Bye Bye", "error: ", "fatal: ", "PAM: ", "by", "from", "x from 10.66.66.66 port 22",
		": Too many authentication failures", " [preauth]", "(sshd:auth):", "authentication failure;",
	}
	for _, mt := range matchers {
		re, err := syntax.Parse(mt.pattern, syntax.Perl)
		if err != nil {
			panic(err)
		}
		var walk func(*syntax.Regexp)
		walk = func(re *syntax.Regexp) {
			if re.Op == syntax.OpLiteral {
				out = append(out, string(re.Rune))
			}
			for _, s := range re.Sub {
				walk(s)
			}
		}
		walk(re)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// starts are how random messages begin: the matchers' examples cut short
// at each space, and each pattern's leading words.
func starts(t testing.TB) map[string][]string {
	set, err := Load(content.ThreatRules())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range set.Rules() {
		if r.Matcher == "" {
			continue
		}
		if p, _ := anchoredPrefix(r.Re.String()); p != "" {
			out[r.Matcher] = append(out[r.Matcher], p)
		}
	}
	for name, examples := range matcherExamples(t) {
		for _, ex := range examples {
			for i := range len(ex) {
				if ex[i] == ' ' {
					out[name] = append(out[name], ex[:i+1])
				}
			}
		}
	}
	return out
}

// matcherExamples are the examples of the rules using each matcher.
func matcherExamples(t testing.TB) map[string][]string {
	var all []Rule
	fsys := content.ThreatRules()
	names, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := Parse(n, data)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rs...)
	}
	out := map[string][]string{}
	for _, r := range all {
		if r.Matcher != "" {
			out[r.Matcher] = append(out[r.Matcher], r.Examples...)
			out[r.Matcher] = append(out[r.Matcher], r.NotExamples...)
		}
	}
	return out
}

// The matchers give the indexes their patterns give, on random messages
// built from the patterns' own words and hostile text, and on the rules'
// examples with random pieces inserted, replaced or cut.
func TestMatchersAgreeWithPatterns(t *testing.T) {
	n := 60000
	if testing.Short() {
		n = 5000
	}
	ps := pieces()
	st := starts(t)
	exs := matcherExamples(t)
	r := rand.New(rand.NewPCG(6, 6))
	names := make([]string, 0, len(matchers))
	for name := range matchers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		re := regexp.MustCompile(matchers[name].pattern)
		matchedN, decided, total := 0, 0, 0
		try := func(msg string) {
			total++
			if agree(t, name, re, msg) {
				decided++
			}
			if re.MatchString(msg) {
				matchedN++
			}
		}
		for _, ex := range exs[name] {
			try(ex)
		}
		for range n {
			var b strings.Builder
			switch k := r.IntN(10); {
			case k < 4: // a start, then pieces
				s := st[name]
				b.WriteString(s[r.IntN(len(s))])
				for range r.IntN(8) {
					b.WriteString(ps[r.IntN(len(ps))])
				}
			case k < 9: // an example, mutated
				ex := exs[name][r.IntN(len(exs[name]))]
				for range r.IntN(3) {
					i, j := r.IntN(len(ex)+1), r.IntN(len(ex)+1)
					if i > j {
						i, j = j, i
					}
					switch r.IntN(3) {
					case 0:
						ex = ex[:i] + ps[r.IntN(len(ps))] + ex[i:]
					case 1:
						ex = ex[:i] + ps[r.IntN(len(ps))] + ex[j:]
					case 2:
						ex = ex[:i] + ex[j:]
					}
				}
				b.WriteString(ex)
			default: // pieces alone
				for range 1 + r.IntN(12) {
					b.WriteString(ps[r.IntN(len(ps))])
				}
			}
			try(b.String())
		}
		t.Logf("%-22s %6d messages, %5d match, %6d decided by the matcher", name, total, matchedN, decided)
		if matchedN < total/40 {
			t.Errorf("%s: only %d of %d random messages match: the test does not reach the matcher", name, matchedN, total)
		}
	}
}

// FuzzMatchers holds every matcher to its pattern on fuzzed messages, alone
// and after one of the pattern's beginnings (chosen by start).
func FuzzMatchers(f *testing.F) {
	for _, exs := range matcherExamples(f) {
		for _, ex := range exs {
			f.Add(uint(0), ex)
		}
	}
	for _, s := range []string{
		"x from 10.66.66.66 port 22 from 203.0.113.5 port 5555 ssh2",
		"a b from 2001:db8::1 port 1 on eth0 ssh2",
		"203.0.113.5 port 4444:11: Bye Bye [preauth]",
		"2001:db8::1:11: x",
		"x 1.2.3.4 port 1 [preauth]  ",
		"x rhost=1.2.3.4  user=root rhost=5.6.7.8",
	} {
		for i := range uint(8) {
			f.Add(i, s)
		}
	}
	st := starts(f)
	res := map[string]*regexp.Regexp{}
	for name, mt := range matchers {
		res[name] = regexp.MustCompile(mt.pattern)
	}
	f.Fuzz(func(t *testing.T, start uint, msg string) {
		for name, re := range res {
			agree(t, name, re, msg)
			agree(t, name, re, st[name][start%uint(len(st[name]))]+msg)
		}
	})
}
