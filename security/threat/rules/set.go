package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pelletier/go-toml/v2"
)

func hasPrefix(b, p []byte) bool { return bytes.HasPrefix(b, p) }
func contains(b, l []byte) bool  { return bytes.Contains(b, l) }

// File is the shape of a rule file.
type File struct {
	Rules []Rule `toml:"rule"`
}

// Parse reads one rule file. name is used in errors.
func Parse(name string, data []byte) ([]Rule, error) {
	var f File
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var sm *toml.StrictMissingError
		if errors.As(err, &sm) {
			return nil, fmt.Errorf("%s: %s", name, strings.TrimSpace(sm.String()))
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("%s:%d:%d: %v", name, row, col, de)
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return f.Rules, nil
}

// Set is a compiled rule set, indexed by program.
type Set struct {
	rules []*Compiled
	byID  map[string]*Compiled

	exact   map[string]*Group // rules for one program, with the any-program rules, in file order
	globs   []*Compiled       // rules with a program prefix
	anyProg *Group
	all     *Group // for lines that name no program

	mu    sync.RWMutex
	cache map[string]*Group // program -> rules, for programs matched by globs
}

// Group is the rules that apply to one program, indexed by the first byte
// of the messages they can match.
type Group struct {
	All     []*Compiled
	byFirst [256][]*Compiled
	empty   []*Compiled // rules that may match an empty message
}

func newGroup(rs []*Compiled) *Group {
	g := &Group{All: rs}
	var n [256]int // sized first, one array for all: every set builds a group per program
	total := 0
	for _, c := range rs {
		for b := range n {
			if c.startsWith(byte(b)) {
				n[b]++
				total++
			}
		}
	}
	all := make([]*Compiled, total)
	for b := range n {
		g.byFirst[b], all = all[:0:n[b]], all[n[b]:]
	}
	for _, c := range rs {
		if !c.anchored {
			g.empty = append(g.empty, c)
		}
		for b := range n {
			if c.startsWith(byte(b)) {
				g.byFirst[b] = append(g.byFirst[b], c)
			}
		}
	}
	return g
}

// startsWith reports whether a message starting with b may match c.
func (c *Compiled) startsWith(b byte) bool { return !c.anchored || c.first.has(b) }

// Candidates returns, in order, the rules that could match msg.
func (g *Group) Candidates(msg []byte) []*Compiled {
	if len(msg) == 0 {
		return g.empty
	}
	return g.byFirst[msg[0]]
}

// cacheMax bounds the per-program cache: program names come from logs, and
// attackers can invent as many as they like.
const cacheMax = 1024

// Compile checks rules (examples included) and indexes them. Later rules
// with the id of an earlier one replace it; disabled rules are dropped.
func Compile(all []Rule) (*Set, error) {
	var order []string
	byID := map[string]Rule{}
	for _, r := range all {
		if _, seen := byID[r.ID]; !seen {
			order = append(order, r.ID)
		}
		byID[r.ID] = r
	}
	var errs []error
	var compiled []*Compiled
	for _, id := range order {
		r := byID[id]
		if r.Disabled {
			continue
		}
		c, err := compile(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		compiled = append(compiled, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return index(compiled), nil
}

func index(compiled []*Compiled) *Set {
	s := &Set{rules: compiled, byID: map[string]*Compiled{}, exact: map[string]*Group{}, cache: map[string]*Group{}}
	var anyProg []*Compiled
	for i, c := range compiled {
		s.byID[c.ID] = c
		c.Index = i
		if c.anyProgram() {
			anyProg = append(anyProg, c)
		}
		for _, p := range c.Programs {
			if strings.HasSuffix(p, "*") {
				s.globs = append(s.globs, c)
				break
			}
		}
	}
	for _, c := range compiled {
		for _, p := range c.Programs {
			if p = strings.TrimPrefix(p, "!"); !strings.HasSuffix(p, "*") {
				s.exact[p] = nil
			}
		}
	}
	s.anyProg, s.all = newGroup(anyProg), newGroup(compiled)
	for p := range s.exact {
		s.exact[p] = s.build(p)
	}
	return s
}

// build groups, in file order, the rules that apply to program p.
func (s *Set) build(p string) *Group {
	var out []*Compiled
	for _, c := range s.rules {
		if c.appliesTo(p) {
			out = append(out, c)
		}
	}
	return newGroup(out)
}

// anyProgram reports whether the rule applies to programs it does not name.
func (c *Compiled) anyProgram() bool {
	return len(c.Programs) == 0 || strings.HasPrefix(c.Programs[0], "!")
}

func (c *Compiled) appliesTo(p string) bool {
	if len(c.Programs) == 0 {
		return true
	}
	for _, q := range c.Programs {
		neg := strings.HasPrefix(q, "!")
		q = strings.TrimPrefix(q, "!")
		if q == p || strings.HasSuffix(q, "*") && strings.HasPrefix(p, q[:len(q)-1]) {
			return !neg
		}
	}
	return c.anyProgram()
}

// For returns the rules to try on messages of program p. A line that
// names no program (a bare message, socklog's format) may be anyone's:
// every rule is tried.
func (s *Set) For(p []byte) *Group {
	if len(p) == 0 {
		return s.all
	}
	if rs, ok := s.exact[string(p)]; ok {
		return rs
	}
	if len(s.globs) == 0 {
		return s.anyProg
	}
	s.mu.RLock()
	rs, ok := s.cache[string(p)]
	s.mu.RUnlock()
	if ok {
		return rs
	}
	prog := string(p)
	rs = s.build(prog)
	s.mu.Lock()
	if len(s.cache) < cacheMax {
		s.cache[prog] = rs
	}
	s.mu.Unlock()
	return rs
}

// Rules returns every rule, in order.
func (s *Set) Rules() []*Compiled { return s.rules }

// Len is the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// Select returns the rules carrying tag.
func (s *Set) Select(tag string) *Set {
	var out []*Compiled
	for _, c := range s.rules {
		if c.HasTag(tag) {
			cc := *c // a rule belongs to one set: its Index is its place there
			out = append(out, &cc)
		}
	}
	return index(out)
}

// Rule returns the rule with id.
func (s *Set) Rule(id string) (*Compiled, bool) {
	c, ok := s.byID[id]
	return c, ok
}

// DefaultDropIn is where local rules live on a host.
const DefaultDropIn = "/etc/hv/threat/rules.d"

// Load reads every *.toml of fsys (the embedded defaults) in name order,
// then of each drop-in directory in name order, and compiles them. A
// drop-in directory that does not exist is skipped.
func Load(fsys fs.FS, dropIns ...string) (*Set, error) {
	var all []Rule
	names, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		rs, err := Parse(path.Join("rules", n), data)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
	}
	for _, dir := range dropIns {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading drop-in rules: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".toml") {
				continue
			}
			p := filepath.Join(dir, e.Name())
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("reading drop-in rules: %w", err)
			}
			rs, err := Parse(p, data)
			if err != nil {
				return nil, err
			}
			all = append(all, rs...)
		}
	}
	return Compile(all)
}

// Tags returns every tag used by the set, sorted.
func (s *Set) Tags() []string {
	seen := map[string]bool{}
	for _, c := range s.rules {
		for _, t := range c.Tags {
			seen[t] = true
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
