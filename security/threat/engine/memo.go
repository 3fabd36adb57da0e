package engine

import (
	"hash/maphash"

	"github.com/hyper-nixos/hv/security/threat/rules"
)

// memo remembers recent regular-expression results by rule and exact
// message (rules with a matcher skip it: the matcher is cheaper). Attack
// tools repeat themselves: every try of one SSH connection logs the same
// "Failed password for root from ADDR port N ssh2", and PAM adds the same
// detail line each time. A pattern's result depends on the message alone,
// so a repeat skips the regular expression. The same goes for the search
// of a rule's address context on a line an attacker crafted to hold two.
// Direct-mapped: a collision just evicts.
type memo struct {
	seed    maphash.Seed
	entries [memoSize]memoEntry
}

const memoSize = 1 << 12

type memoEntry struct {
	key  uint64 // of the message, the rule and which answer (see entry)
	rule *rules.Compiled
	msg  string
	m    []int // nil: no match; for the address context, non-nil: ambiguous
}

func newMemo() *memo { return &memo{seed: maphash.MakeSeed()} }

// match returns r's submatch indexes on msg, which passed r's pre-filter,
// from memory when it can. h is the message's hash, computed once per
// line by the caller.
func (c *memo) match(r *rules.Compiled, h uint64, msg []byte) []int {
	e, hit := c.entry(r, false, h, msg)
	if !hit {
		e.m = r.Run(nil, msg)
	}
	return e.m
}

// ambiguous reports whether r's address context matches msg at more than
// one place, from memory when it can.
func (c *memo) ambiguous(r *rules.Compiled, h uint64, msg []byte) bool {
	e, hit := c.entry(r, true, h, msg)
	if !hit {
		if loc := r.Context.FindIndex(msg); loc != nil && r.Context.Match(msg[loc[1]:]) {
			e.m = loc
		}
	}
	return e.m != nil
}

// entry is the slot of r's result on msg, and whether it holds it; if not,
// it is claimed for it, with no result yet.
func (c *memo) entry(r *rules.Compiled, context bool, h uint64, msg []byte) (*memoEntry, bool) {
	rid := uint64(r.Index+1) << 1
	if context {
		rid |= 1
	}
	key := h ^ rid*0x9e3779b97f4a7c15
	e := &c.entries[key&(memoSize-1)]
	if e.key == key && e.rule == r && e.msg == string(msg) {
		return e, true
	}
	*e = memoEntry{key: key, rule: r, msg: string(msg)}
	return e, false
}
