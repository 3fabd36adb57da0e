package engine

import (
	"hash/maphash"
	"net/netip"
	"strings"
	"time"

	"github.com/hyper-nixos/hv/security/threat"
)

// conns tracks network connections by the process that logs them (sshd
// forks one per connection, and OpenSSH 9.8+ runs sshd-session). Its
// address is learnt from lines where sshd writes the address at a place
// no attacker-chosen text can move (see rules.Rule.Untrusted); lines that
// carry none, or whose address is ambiguous, borrow it. So text an
// attacker puts in a user name, a key comment or a banner never becomes
// the address that gets counted or blocked.
//
// A finding from a connection whose address is not known yet (sshd logs
// "account is locked" before anything with an address) waits on the
// connection and is released with the address once a later line shows
// it, or without one when the connection ends.
type conns struct {
	m        map[connKey]*conn
	seed     maphash.Seed // for hosts
	seed2    maphash.Seed // for programs
	lastTick time.Time
}

type connKey struct {
	proc uint64 // hash of host and program
	pid  int
}

type conn struct {
	addr    netip.Addr // invalid until a line shows it for certain
	seen    time.Time
	noted   bool // a finding was reported on this connection
	pending []held
}

// held is a finding waiting for its connection's address. An ambiguous
// one takes it only if its line shows that address among the others.
type held struct {
	f         threat.Finding
	ambiguous bool
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

func newConns() *conns {
	return &conns{m: map[connKey]*conn{}, seed: maphash.MakeSeed(), seed2: maphash.MakeSeed()}
}

// key hashes host and program with a seed each: cheaper than streaming
// both through one maphash.Hash, and as unlikely to collide.
func (c *conns) key(host, prog []byte, pid int) connKey {
	return connKey{proc: maphash.Bytes(c.seed, host) ^ maphash.Bytes(c.seed2, prog), pid: pid}
}

// get returns connection k as of time t, creating it when create is set;
// a connection idle for longer than connIdle is another one (the pid was
// reused) and starts afresh.
func (c *conns) get(k connKey, t time.Time, create bool, emit Emit) *conn {
	cur := c.m[k]
	if cur != nil && !t.IsZero() && !cur.seen.IsZero() && t.Sub(cur.seen) > connIdle {
		c.drop(k, cur, emit)
		cur = nil
	}
	if cur == nil {
		if !create {
			return nil
		}
		if len(c.m) >= connMax {
			c.sweep(t, emit, true)
		}
		cur = &conn{}
		c.m[k] = cur
	}
	if !t.IsZero() {
		cur.seen = t
	}
	return cur
}

// learn records the address a line showed for certain, and releases what
// waited for it.
func (c *conns) learn(cur *conn, addr netip.Addr, emit Emit) {
	cur.addr = addr
	if len(cur.pending) > 0 {
		c.release(cur, emit)
	}
}

// hold keeps f until its connection's address is known.
func (c *conns) hold(cur *conn, f threat.Finding, ambiguous bool, emit Emit) {
	if len(cur.pending) >= pendingMax {
		emit(f)
		return
	}
	cur.pending = append(cur.pending, held{f, ambiguous})
}

func (c *conns) release(cur *conn, emit Emit) {
	for _, h := range cur.pending {
		if cur.addr.IsValid() && (!h.ambiguous || shows(h.f.Evidence, cur.addr)) {
			h.f.IP = cur.addr.String()
		}
		emit(h.f)
	}
	cur.pending = nil
}

// shows reports whether a message holds addr's text: an ambiguous line
// takes its connection's address only if it is one of those it shows.
func shows(msg string, addr netip.Addr) bool { return strings.Contains(msg, addr.String()) }

// close forgets connection k after releasing what it held.
func (c *conns) close(k connKey, emit Emit) {
	if cur := c.m[k]; cur != nil {
		c.drop(k, cur, emit)
	}
}

func (c *conns) drop(k connKey, cur *conn, emit Emit) {
	c.release(cur, emit)
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
