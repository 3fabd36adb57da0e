package vm

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Filter selects VMs by a query such as "web state:running -autostart:yes".
// Bare words match the name (substring, or a glob when they contain * or ?);
// qualifiers are state:, autostart:, persistent:, name: and host: (the host
// a VM is on, when hv spans several); a leading "-" or
// "!" negates a term. All terms must match.
type Filter struct {
	terms []filterTerm
}

type filterTerm struct {
	negate bool
	match  func(VM) bool
}

// FilterHelp is one line that explains the query language.
const FilterHelp = "words match names (web*, db); state:running|paused|off, autostart:yes|no, persistent:yes|no, host:NAME; -term negates"

// ParseFilter parses a query. An empty query matches everything. Terms it
// cannot parse are reported in the error and left out of the filter, so a
// live filter keeps applying the good terms while one is being typed.
func ParseFilter(q string) (Filter, error) {
	var f Filter
	var errs []error
	for _, word := range strings.Fields(q) {
		t := filterTerm{}
		if strings.HasPrefix(word, "-") || strings.HasPrefix(word, "!") {
			t.negate = true
			word = word[1:]
		}
		if word == "" {
			continue
		}
		key, value, qualified := strings.Cut(word, ":")
		if !qualified {
			key, value = "name", word
		}
		m, err := qualifier(strings.ToLower(key), value)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t.match = m
		f.terms = append(f.terms, t)
	}
	return f, errors.Join(errs...)
}

func qualifier(key, value string) (func(VM) bool, error) {
	switch key {
	case "name":
		return nameMatcher(value), nil
	case "host":
		return hostMatcher(value), nil
	case "state":
		want, ok := ParseState(value)
		if !ok {
			return nil, fmt.Errorf("unknown state %q: use running, paused, off, crashed or shutting-down", value)
		}
		return func(v VM) bool { return v.State == want }, nil
	case "autostart", "persistent":
		want, ok := parseYesNo(value)
		if !ok {
			return nil, fmt.Errorf("%s: wants yes or no, not %q", key, value)
		}
		if key == "autostart" {
			return func(v VM) bool { return v.Autostart == want }, nil
		}
		return func(v VM) bool { return v.Persistent == want }, nil
	}
	return nil, fmt.Errorf("unknown qualifier %q: use state:, autostart:, persistent:, host: or name:", key+":")
}

func nameMatcher(pattern string) func(VM) bool {
	pattern = strings.ToLower(pattern)
	if strings.ContainsAny(pattern, "*?[") {
		if _, err := path.Match(pattern, ""); err == nil {
			return func(v VM) bool {
				ok, _ := path.Match(pattern, strings.ToLower(v.Name))
				return ok
			}
		}
	}
	return func(v VM) bool { return strings.Contains(strings.ToLower(v.Name), pattern) }
}

// hostMatcher matches the whole host name (host:b is not host web-b), or
// a glob (host:web-*).
func hostMatcher(pattern string) func(VM) bool {
	pattern = strings.ToLower(pattern)
	return func(v VM) bool {
		ok, err := path.Match(pattern, strings.ToLower(v.Host))
		return err == nil && ok
	}
}

func parseYesNo(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes", "y", "on", "true", "1":
		return true, true
	case "no", "n", "off", "false", "0":
		return false, true
	}
	return false, false
}

// Empty reports whether the filter matches everything.
func (f Filter) Empty() bool { return len(f.terms) == 0 }

// Match reports whether v satisfies every term.
func (f Filter) Match(v VM) bool {
	for _, t := range f.terms {
		if t.match(v) == t.negate {
			return false
		}
	}
	return true
}
