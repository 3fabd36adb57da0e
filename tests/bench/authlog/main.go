// Command authlog writes a deterministic auth.log for the parity and speed
// bench, and the per-address failure counts two detectors should report on
// it: hv, and Debian's fail2ban 1.0.2 with its sshd filter.
//
// The log mixes SSH brute force (invalid users, root, keyboard-interactive,
// public keys), user names that inject a fake "from ADDR port N", scanners,
// legitimate logins, every failure form fail2ban's sshd filter knows, both
// sshd and OpenSSH 9.8+'s sshd-session, and the other programs of a
// virtualisation host (cron, sudo, su, polkit, libvirtd, kernel firewall
// drops, useradd...).
//
// Expected counts come from following each connection, not from any
// regular expression. For fail2ban the follower models its documented
// multi-line behaviour (a failure id per "sshd[pid]", cached addresses,
// pending failures, and the reset of "not a failure" when one connection
// shows two different user names), and two gaps: it ignores sshd-session,
// and it misreads "Failed password for invalid user NAME" when NAME holds
// " from " (it takes "invalid user NAME" for the user, so the connection
// looks like it changed user and its closing lines count as failures) or
// a colon (the line does not match: the failure is missed).
//
// Usage: authlog -n 1000000 -o auth.log -expect expect.tsv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 1_000_000, "lines to write")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("o", "auth.log", "log file to write")
	expect := flag.String("expect", "", "write expected per-address failure counts here (TSV)")
	classic := flag.Bool("classic", false, "only what fail2ban's sshd filter reads right: no sshd-session, no crafted user names")
	flag.Parse()

	f, err := os.Create(*out)
	if err != nil {
		fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	g := newGen(*seed)
	g.classic = *classic
	g.write(w, *n)
	if err := w.Flush(); err != nil {
		fatal(err)
	}
	if err := f.Close(); err != nil {
		fatal(err)
	}
	if *expect != "" {
		if err := g.writeExpect(*expect); err != nil {
			fatal(err)
		}
	}
	fmt.Fprintf(os.Stderr, "authlog: %d lines, %d connections (%d via sshd-session, %d with injected user names), %d hv failures, %d fail2ban failures (%d from its user-change quirk, %d missed)\n",
		*n, g.conns, g.sessionConns, g.injectedConns, sum(g.hv), sum(g.f2b), g.quirk, sum(g.f2bMissed))
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "authlog:", err)
	os.Exit(1)
}

func sum(m map[string]int) int {
	t := 0
	for _, v := range m {
		t += v
	}
	return t
}

// kind is how fail2ban's sshd filter (normal mode) treats a line.
type kind int

const (
	none   kind = iota // no regex matches
	fail               // a failure
	nofail             // matches, but only to learn the address
	gained             // a successful login: clears pending failures
)

type line struct {
	msg    string
	kind   kind
	ip     string // the address the line shows ("" when none)
	user   string // the user fail2ban extracts ("" when none)
	forget bool   // fail2ban forgets the connection after this line
	hvFail bool   // hv counts it as an authentication failure
}

type conn struct {
	prog    string
	pid     int
	ip      string
	lines   []line
	next    int
	session bool
}

type gen struct {
	r       *rand.Rand
	t       time.Time
	nextPID int
	active  []*conn

	attackers []string
	users     []string

	// followers
	f2bCache map[int]*f2bEntry
	hvConn   map[string]*hvEntry // by prog/pid

	hv, hvSshd, f2b, f2bQuirk, f2bMissed      map[string]int
	quirk, conns, sessionConns, injectedConns int

	// classic leaves out what fail2ban cannot read right (OpenSSH 9.8's
	// sshd-session, user names crafted to inject an address), so that its
	// counts and hv's must be identical.
	classic bool
}

type f2bEntry struct {
	ip      string
	users   map[string]bool
	pending bool
}

type hvEntry struct {
	ip      string
	pending int
}

func newGen(seed uint64) *gen {
	g := &gen{
		r:         rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		t:         time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		nextPID:   1000,
		f2bCache:  map[int]*f2bEntry{},
		hvConn:    map[string]*hvEntry{},
		hv:        map[string]int{},
		hvSshd:    map[string]int{},
		f2b:       map[string]int{},
		f2bQuirk:  map[string]int{},
		f2bMissed: map[string]int{},
	}
	seen := map[string]bool{}
	for len(g.attackers) < 6000 {
		var ip string
		if g.r.IntN(20) == 0 {
			ip = fmt.Sprintf("2001:db8:%x::%x", g.r.IntN(0xffff)+1, g.r.IntN(0xffff)+1)
		} else {
			// Public-looking ranges; never 10.66.66.x, the injected fake.
			firsts := []int{45, 61, 80, 91, 103, 112, 141, 159, 185, 194, 203, 218, 222}
			ip = fmt.Sprintf("%d.%d.%d.%d", firsts[g.r.IntN(len(firsts))], g.r.IntN(256), g.r.IntN(256), g.r.IntN(254)+1)
		}
		if !seen[ip] {
			seen[ip] = true
			g.attackers = append(g.attackers, ip)
		}
	}
	g.users = []string{"admin", "test", "user", "oracle", "postgres", "ubuntu", "git", "ftpuser", "guest", "pi",
		"support", "deploy", "jenkins", "hadoop", "minecraft", "nagios", "a b", "ádmin", "x-y_z.1"}
	return g
}

// Injected user names: each tries to make a naive parser read 10.66.66.x
// (or loopback) as the source.
var injected = []string{
	"x from 10.66.66.66 port 22",
	"admin from 10.66.66.67 port 2222 ssh2",
	"root from 127.0.0.1",
	"y from 10.66.66.68",
	"z from ::1 port 22",
	"from 10.66.66.69 port 1",
}

func (g *gen) write(w *bufio.Writer, n int) {
	for i := 0; i < n; i++ {
		g.t = g.t.Add(time.Duration(g.r.IntN(900)) * time.Millisecond)
		stamp := g.t.Format(time.Stamp)
		if g.r.IntN(100) < 30 {
			fmt.Fprintf(w, "%s hv1 %s\n", stamp, g.noise())
			continue
		}
		for len(g.active) < 8 {
			g.active = append(g.active, g.newConn())
		}
		i := g.r.IntN(len(g.active))
		c := g.active[i]
		l := c.lines[c.next]
		c.next++
		if c.next == len(c.lines) {
			g.active = append(g.active[:i], g.active[i+1:]...)
		}
		fmt.Fprintf(w, "%s hv1 %s[%d]: %s\n", stamp, c.prog, c.pid, l.msg)
		g.follow(c, l)
	}
}

// follow updates the expected counts with one sshd line.
func (g *gen) follow(c *conn, l line) {
	// hv: a failure counts for the connection's address; one logged before
	// the address is known waits for it.
	key := fmt.Sprint(c.prog, c.pid)
	e := g.hvConn[key]
	if e == nil {
		e = &hvEntry{}
		g.hvConn[key] = e
	}
	if l.ip != "" {
		e.ip = l.ip
	}
	if l.hvFail {
		e.pending++
	}
	if e.ip != "" && e.pending > 0 {
		g.hv[e.ip] += e.pending
		if !c.session {
			g.hvSshd[e.ip] += e.pending
		}
		e.pending = 0
	}
	if l.forget {
		delete(g.hvConn, key)
	}

	if c.session {
		return // fail2ban 1.0.2 reads only "sshd[pid]"
	}
	if l.kind == none {
		if l.hvFail {
			g.f2bMissed[c.ip]++
		}
		return
	}
	// fail2ban: filter.py's _mergeFailure and findFailure, for one pid.
	nf := l.kind == nofail || l.kind == gained
	ent := g.f2bCache[c.pid]
	var users map[string]bool
	pending := false
	ip := l.ip
	if ent != nil {
		if l.user != "" {
			ent.users[l.user] = true
		}
		users = ent.users
		if l.kind == gained {
			ent.pending = false
		}
		if ip == "" {
			ip = ent.ip
		} else {
			ent.ip = ip
		}
		pending, ent.pending = ent.pending, false
		if l.forget {
			delete(g.f2bCache, c.pid)
		}
	} else if !l.forget {
		ent = &f2bEntry{ip: ip, users: map[string]bool{}}
		if l.user != "" {
			ent.users[l.user] = true
		}
		users = ent.users
		g.f2bCache[c.pid] = ent
	}
	quirk := false
	if pending || len(users) > 1 {
		quirk = nf && !pending
		nf = false
	}
	if nf {
		return
	}
	if ip == "" {
		if ent != nil && !l.forget {
			ent.pending = true
		}
		return
	}
	g.f2b[ip]++
	if quirk {
		g.quirk++
		g.f2bQuirk[ip]++
	}
}

func (g *gen) writeExpect(path string) error {
	ips := map[string]bool{}
	for ip := range g.hv {
		ips[ip] = true
	}
	for ip := range g.f2b {
		ips[ip] = true
	}
	sorted := make([]string, 0, len(ips))
	for ip := range ips {
		sorted = append(sorted, ip)
	}
	sort.Strings(sorted)
	var b strings.Builder
	// hv_sshd: hv's count on sshd[pid] lines only, the ones fail2ban reads.
	// f2b_quirk: closing lines fail2ban counts because a user name with
	// " from " made it think the connection changed user. f2b_missed:
	// failures fail2ban's regex cannot read (a user name with a colon).
	b.WriteString("# ip\thv\thv_sshd\tfail2ban\tf2b_quirk\tf2b_missed\n")
	for _, ip := range sorted {
		fmt.Fprintf(&b, "%s\t%d\t%d\t%d\t%d\t%d\n", ip, g.hv[ip], g.hvSshd[ip], g.f2b[ip], g.f2bQuirk[ip], g.f2bMissed[ip])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
