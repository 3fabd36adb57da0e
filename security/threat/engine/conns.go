package engine

import (
	"hash/maphash"
	"net/netip"
	"time"

	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/rules"
)

// conns tracks network connections by the process that logs them (sshd
// forks one per connection, and OpenSSH 9.8+ runs sshd-session). The
// address a connection came from is learnt once; lines that carry none
// borrow it, and a line whose address disagrees with an authoritative one
// cannot override it. So text an attacker puts in a user name never
// becomes the address that gets counted or blocked.
//
// A finding from a connection whose address is not known yet (sshd logs
// "account is locked" before anything with an address) waits on the
// connection and is released with the address once a later line shows it,
// or without one when the connection ends.
type conns struct {
	m        map[connKey]*conn
	seed     maphash.Seed
	lastTick time.Time
}

type connKey struct {
	proc uint64 // hash of host and program
	pid  int
}

type conn struct {
	addr          netip.Addr
	authoritative bool
	seen          time.Time
	pending       []threat.Finding
}

// connIdle is how long a connection nobody logs about is kept: longer than
// sshd's LoginGraceTime, so a slow attacker is still tracked.
const connIdle = 2 * time.Hour

// connMax bounds memory under a flood of connections; past it the idle and
// then the oldest are swept. pendingMax bounds what one connection holds.
const (
	connMax    = 1 << 16
	pendingMax = 16
)

func newConns() *conns { return &conns{m: map[connKey]*conn{}, seed: maphash.MakeSeed()} }

func (c *conns) key(host, prog []byte, pid int) connKey {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.Write(host)
	h.WriteByte(0)
	h.Write(prog)
	return connKey{proc: h.Sum64(), pid: pid}
}

// use applies a rule's connection mode to a line from pid that shows addr
// (invalid when the line has none). It returns the address to report and
// the connection, which is nil once closed.
func (c *conns) use(k connKey, addr netip.Addr, mode rules.ConnMode, t time.Time, emit Emit) (netip.Addr, *conn) {
	cur := c.m[k]
	if cur != nil && !t.IsZero() && !cur.seen.IsZero() && t.Sub(cur.seen) > connIdle {
		c.drop(k, cur, emit) // the pid was reused
		cur = nil
	}
	if cur == nil {
		if mode == rules.ConnClose {
			return addr, nil
		}
		if len(c.m) >= connMax {
			c.sweep(t, emit, true)
		}
		cur = &conn{addr: addr, authoritative: mode == rules.ConnOpen && addr.IsValid(), seen: t}
		c.m[k] = cur
		return addr, cur
	}
	cur.seen = t
	switch {
	case !cur.addr.IsValid():
		cur.addr, cur.authoritative = addr, mode == rules.ConnOpen && addr.IsValid()
	case mode == rules.ConnOpen && addr.IsValid() && !cur.authoritative:
		cur.addr, cur.authoritative = addr, true
	case !addr.IsValid() || cur.authoritative:
		addr = cur.addr
	}
	if addr.IsValid() && len(cur.pending) > 0 {
		c.release(cur, addr, emit)
	}
	if mode == rules.ConnClose {
		c.drop(k, cur, emit)
		return addr, nil
	}
	return addr, cur
}

// settled reports whether a line of a track-only rule in mode could
// change nothing on connection k, so its pattern need not run.
func (c *conns) settled(k connKey, mode rules.ConnMode) bool {
	cur := c.m[k]
	if mode == rules.ConnClose {
		return cur == nil
	}
	return cur != nil && cur.addr.IsValid() && len(cur.pending) == 0 && (cur.authoritative || mode != rules.ConnOpen)
}

// hold keeps f until its connection's address is known.
func (c *conns) hold(cur *conn, f threat.Finding, emit Emit) {
	if len(cur.pending) >= pendingMax {
		emit(f)
		return
	}
	cur.pending = append(cur.pending, f)
}

func (c *conns) release(cur *conn, addr netip.Addr, emit Emit) {
	for _, f := range cur.pending {
		if addr.IsValid() {
			f.IP = addr.String()
		}
		emit(f)
	}
	cur.pending = nil
}

func (c *conns) drop(k connKey, cur *conn, emit Emit) {
	c.release(cur, cur.addr, emit)
	delete(c.m, k)
}

// tick sweeps idle connections now and then, by log time.
func (c *conns) tick(t time.Time, emit Emit) {
	if t.IsZero() || t.Sub(c.lastTick) < 10*time.Minute {
		return
	}
	c.lastTick = t
	c.sweep(t, emit, false)
}

func (c *conns) sweep(t time.Time, emit Emit, full bool) {
	for k, v := range c.m {
		if full || t.Sub(v.seen) > connIdle {
			c.drop(k, v, emit)
		}
	}
}

// flush releases everything held, at the end of a scan.
func (c *conns) flush(emit Emit) {
	for k, v := range c.m {
		c.drop(k, v, emit)
	}
}
