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
// so a repeat skips the regular expression. Direct-mapped: a collision
// just evicts.
type memo struct {
	seed    maphash.Seed
	entries [memoSize]memoEntry
}

const memoSize = 1 << 12

type memoEntry struct {
	key  uint64
	rule *rules.Compiled
	msg  string
	m    []int // nil: no match
}

func newMemo() *memo { return &memo{seed: maphash.MakeSeed()} }

// match returns r's submatch indexes on msg, which passed r's pre-filter,
// from memory when it can. h is the message's hash, computed once per
// line by the caller.
func (c *memo) match(r *rules.Compiled, rid uint64, h uint64, msg []byte) []int {
	key := h ^ rid*0x9e3779b97f4a7c15
	e := &c.entries[key&(memoSize-1)]
	if e.key == key && e.rule == r && e.msg == string(msg) {
		return e.m
	}
	m := r.Run(nil, msg)
	*e = memoEntry{key: key, rule: r, msg: string(msg), m: m}
	return m
}
