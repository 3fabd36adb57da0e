// Package engine runs detection rules over records: the literal
// pre-filters, the patterns, field extraction and validation, connection
// tracking by pid, thresholds and blocklist look-ups. It is single-threaded
// by design (one engine per stream keeps connection state coherent) and
// allocates only for lines that match.
package engine

import (
	"bufio"
	"bytes"
	"hash/maphash"
	"io"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/logline"
	"github.com/hyper-nixos/hv/security/threat/rules"
)

// Intel answers whether an address is on a blocklist, and which.
type Intel interface {
	IP(netip.Addr) (list string, ok bool)
}

// Emit receives findings. The finding's Tags slice is shared with the rule:
// do not modify it. See Options.Transient for what it may keep.
type Emit func(f threat.Finding)

// Engine matches records against a rule set.
type Engine struct {
	rules  *rules.Set
	intel  Intel
	parser *logline.Parser
	conns  *conns
	thr    *thresholds
	memo   *memo

	m     []int // submatch indexes of the last matcher run
	addrs addrText

	sink    Emit // the caller's emit during the current call
	deliver Emit // e.finish to sink; bound once, so the hot path allocates nothing

	transient bool

	// Stats
	Lines, Unparsed, Matched int
}

// Options tune an engine.
type Options struct {
	Intel Intel
	// Year dates syslog lines that carry no year; the current year if 0.
	Year int
	Loc  *time.Location
	// Transient promises that emit keeps nothing of a finding past its
	// call but its IP and what its rule gave (Rule, Title, Tags, MITRE...).
	// The text a finding takes from its line (Evidence, User, VM, Service,
	// Fields) then points into the line instead of being copied: a scan
	// that prints its findings allocates next to nothing for them.
	Transient bool
}

// New returns an engine over set.
func New(set *rules.Set, opt Options) *Engine {
	if opt.Year == 0 {
		opt.Year = time.Now().Year()
	}
	e := &Engine{
		rules:  set,
		intel:  opt.Intel,
		parser: logline.NewParser(opt.Year, opt.Loc),
		conns:  newConns(),
		thr:    newThresholds(),
		memo:   newMemo(),

		transient: opt.Transient,
	}
	e.deliver = func(f threat.Finding) { e.finish(nil, f, e.sink) }
	return e
}

// SetIntel replaces the blocklists (after a reload).
func (e *Engine) SetIntel(in Intel) { e.intel = in }

// Line matches one log line: syslog in any form logline reads, or an
// entry of 'journalctl -o json'. source and n (1-based) locate it in
// findings.
func (e *Engine) Line(b []byte, source string, n int, emit Emit) {
	e.Lines++
	l := line{source: source, n: n, count: 1}
	if len(b) > 0 && b[0] == '{' {
		if j, err := logline.ParseJournal(b); err == nil {
			l.Line = logline.Line{Time: j.Time, Host: []byte(j.Host), Program: []byte(j.Program), PID: j.PID, Message: []byte(j.Message)}
			e.match(&l, emit)
			return
		}
	}
	l.oneLine = true
	if !e.parser.Parse(b, &l.Line) {
		e.Unparsed++
		l.Line = logline.Line{Message: b}
	}
	e.match(&l, emit)
}

// Record matches a record that arrived already split, from the journal or
// libvirt.
func (e *Engine) Record(r threat.Record, emit Emit) {
	e.Lines++
	l := line{source: r.Source, n: r.Line, count: 1}
	l.Line = logline.Line{Time: r.Time, Host: []byte(r.Host), Program: []byte(r.Program), PID: r.PID, Message: []byte(r.Message)}
	e.match(&l, emit)
}

// Scan reads r line by line until EOF. Lines longer than the buffer are
// matched on their first MiB.
func (e *Engine) Scan(r io.Reader, source string, emit Emit) error {
	br := bufio.NewReaderSize(r, 1<<20)
	n := 0
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			n++
			e.Line(trimEOL(line), source, n, emit)
		}
		for err == bufio.ErrBufferFull { // skip the rest of an overlong line
			_, err = br.ReadSlice('\n')
		}
		if err == io.EOF {
			e.Flush(emit)
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// trimEOL drops a line's trailing newline and carriage returns.
func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// line is one message being matched.
type line struct {
	logline.Line
	source  string
	n       int
	count   int    // > 1 for "message repeated N times"
	oneLine bool   // holds no newline: a line of a file
	hash    uint64 // of Message, for the memo; 0 until needed
}

// match runs the rules on one message; l.oneLine says it holds no newline
// (a journal message may), which spares the matchers looking for one.
func (e *Engine) match(l *line, emit Emit) {
	e.sink = emit
	if inner, k := repeated(l.Message); k > 0 {
		l.Message, l.count = inner, k
	}
	for _, r := range e.rules.For(l.Program).Candidates(l.Message) {
		if !r.Prefilter(l.Message) {
			continue
		}
		if r.TrackOnly {
			e.track(r, l)
			continue
		}
		m := e.pattern(r, l)
		if m == nil {
			continue
		}
		e.Matched++
		e.found(r, m, l, emit)
		return
	}
	e.conns.tick(l.Time, e.deliver)
}

// repeated unwraps rsyslog's "message repeated N times: [ MSG]", which
// stands for N lines of MSG.
func repeated(msg []byte) ([]byte, int) {
	const pre = "message repeated "
	if len(msg) < len(pre)+12 || string(msg[:len(pre)]) != pre || msg[len(msg)-1] != ']' {
		return nil, 0
	}
	rest := msg[len(pre):]
	i := bytes.IndexByte(rest, ' ')
	if i <= 0 || i > 9 {
		return nil, 0
	}
	n := 0
	for _, c := range rest[:i] {
		if c < '0' || c > '9' {
			return nil, 0
		}
		n = n*10 + int(c-'0')
	}
	rest = rest[i:]
	if !bytes.HasPrefix(rest, []byte(" times: [")) || n < 1 {
		return nil, 0
	}
	inner := rest[len(" times: [") : len(rest)-1]
	if len(inner) > 0 && inner[0] == ' ' {
		inner = inner[1:]
	}
	return inner, n
}

// pattern runs r's pattern on l's message, which passed r's pre-filter:
// its matcher when it has one, else the regular expression through the
// memo.
func (e *Engine) pattern(r *rules.Compiled, l *line) []int {
	msg := l.Message
	if r.Matcher != "" {
		run := r.Run
		if l.oneLine {
			run = r.RunLine
		}
		m := run(e.m, msg)
		if m != nil {
			e.m = m
		}
		return m
	}
	return e.memo.match(r, e.hash(l), msg)
}

// hash is l's message's hash for the memo, computed on first use.
func (e *Engine) hash(l *line) uint64 {
	if l.hash == 0 {
		l.hash = maphash.Bytes(e.memo.seed, l.Message) | 1
	}
	return l.hash
}

// address is the address a match shows, and whether the line's
// attacker-chosen text leaves it ambiguous (then it is not used): the
// rule's address context found at more than one place. The search runs
// through the memo: an attacker's tries repeat the same crafted line.
func (e *Engine) address(r *rules.Compiled, m []int, l *line) (netip.Addr, bool) {
	g := r.IPIn(m)
	if g < 0 {
		return netip.Addr{}, false
	}
	msg := l.Message
	if r.Context != nil && (r.ContextLit == nil || bytes.Count(msg, r.ContextLit) > 1) && e.memo.ambiguous(r, e.hash(l), msg) {
		return netip.Addr{}, true
	}
	return parseAddr(msg[m[2*g]:m[2*g+1]]), false
}

// track runs a track-only rule: it matches only when its connection has
// something to learn or to end.
func (e *Engine) track(r *rules.Compiled, l *line) {
	if l.PID <= 0 {
		return
	}
	k := e.conns.key(l.Host, l.Program, l.PID)
	cur := e.conns.get(k, l.Time, false, e.deliver)
	if r.Conn == rules.ConnClose && cur == nil || r.Conn != rules.ConnClose && cur != nil && cur.addr.IsValid() && len(cur.pending) == 0 {
		return // nothing to learn, nothing to end
	}
	m := e.pattern(r, l)
	if m == nil {
		return
	}
	if addr, _ := e.address(r, m, l); addr.IsValid() {
		e.conns.learn(e.conns.get(k, l.Time, true, e.deliver), addr, e.deliver)
	}
	if r.Conn == rules.ConnClose {
		e.conns.close(k, e.deliver)
	}
}

func (e *Engine) found(r *rules.Compiled, m []int, l *line, emit Emit) {
	addr, ambiguous := e.address(r, m, l)
	var cur *conn
	var k connKey
	if r.Conn != rules.ConnNone && l.PID > 0 {
		k = e.conns.key(l.Host, l.Program, l.PID)
		cur = e.conns.get(k, l.Time, true, e.deliver)
		switch {
		case addr.IsValid():
			e.conns.learn(cur, addr, e.deliver)
		case cur.addr.IsValid() && (!ambiguous || shows(string(l.Message), cur.addr)):
			addr = cur.addr
		}
		if r.Probe && cur.noted { // not a probe: the end of a connection already reported
			if r.Conn == rules.ConnClose {
				e.conns.close(k, e.deliver)
			}
			return
		}
		cur.noted = true
	}
	evidence := e.text(l.Message) // the fields below are its substrings: one allocation, or none
	f := threat.Finding{
		Time: l.Time, Rule: r.ID, Title: r.Title, Severity: r.Severity, Kind: threat.KindMatch,
		MITRE: r.MITRE, Tags: r.Tags, Service: r.Service, Count: l.count,
		Evidence: evidence, Source: l.source, Line: l.n, State: threat.Open,
	}
	if addr.IsValid() {
		f.IP = e.addrs.text(addr)
	}
	for i, name := range r.Names {
		if name == "" || name == "ip" || m[2*i] < 0 {
			continue
		}
		v := evidence[m[2*i]:m[2*i+1]]
		switch name {
		case "user":
			f.User = v
		case "vm":
			f.VM = v
		case "service":
			f.Service = v
		default:
			if f.Fields == nil {
				f.Fields = map[string]string{}
			}
			f.Fields[name] = v
		}
	}
	switch {
	case cur != nil && !addr.IsValid() && !cur.addr.IsValid():
		if e.transient { // it outlives the line
			f = own(f)
		}
		e.conns.hold(cur, f, ambiguous, e.deliver)
	default:
		e.finish(r, f, emit)
	}
	if cur != nil && r.Conn == rules.ConnClose {
		e.conns.close(k, e.deliver)
	}
}

// text is a finding's copy of b, or b itself when findings are transient.
func (e *Engine) text(b []byte) string {
	if e.transient {
		return unsafe.String(unsafe.SliceData(b), len(b))
	}
	return string(b)
}

// own copies the text f took from its line.
func own(f threat.Finding) threat.Finding {
	f.Evidence, f.User, f.VM, f.Service = strings.Clone(f.Evidence), strings.Clone(f.User), strings.Clone(f.VM), strings.Clone(f.Service)
	if f.Fields != nil {
		fields := make(map[string]string, len(f.Fields))
		for k, v := range f.Fields {
			fields[k] = strings.Clone(v)
		}
		f.Fields = fields
	}
	return f
}

// finish looks the finding up in the blocklists, emits it, and counts it
// towards its rule's threshold. r is the finding's rule, looked up when
// nil.
func (e *Engine) finish(r *rules.Compiled, f threat.Finding, emit Emit) {
	e.checkIntel(&f)
	emit(f)
	if r == nil {
		r, _ = e.rules.Rule(f.Rule)
	}
	if r == nil || r.Threshold == nil {
		return
	}
	th := r.Threshold
	if key := fieldOf(&f, th.By); key != "" {
		if count, fire := e.thr.hit(r.Index, key, f.Time, max(f.Count, 1), th.Count, th.Within); fire {
			c := f
			c.Kind, c.Severity, c.Title, c.Count = threat.KindThreshold, max(th.Severity, f.Severity), th.Title, count
			emit(c)
		}
	}
}

// Flush releases findings still waiting for their connection's address;
// call it at the end of a scan.
func (e *Engine) Flush(emit Emit) {
	e.sink = emit
	e.conns.flush(e.deliver)
}

func (e *Engine) checkIntel(f *threat.Finding) {
	if e.intel == nil {
		return
	}
	if addr, err := netip.ParseAddr(f.IP); err == nil {
		if list, ok := e.intel.IP(addr); ok {
			f.Intel = list
		}
	}
	if f.Intel != "" {
		f.Severity = max(f.Severity, threat.High)
		f.Tags = append(append([]string(nil), f.Tags...), "blocklisted")
	}
}

// fieldOf returns the value of a named field of f.
func fieldOf(f *threat.Finding, name string) string {
	switch name {
	case "ip":
		return f.IP
	case "user":
		return f.User
	case "vm":
		return f.VM
	case "service":
		return f.Service
	}
	return f.Fields[name]
}

// parseAddr parses an extracted address; anything that is not one yields
// the invalid Addr. Dotted IPv4, by far the most common, is parsed without
// allocating.
func parseAddr(b []byte) netip.Addr {
	if len(b) == 0 {
		return netip.Addr{}
	}
	var ip [4]byte
	part, n, digits := 0, 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if digits > 0 && n == 0 { // no leading zeros
				return slowAddr(b)
			}
			n = n*10 + int(c-'0')
			digits++
			if n > 255 {
				return slowAddr(b) // IPv6 starts with digits too
			}
		case c == '.' && digits > 0 && part < 3:
			ip[part] = byte(n)
			part, n, digits = part+1, 0, 0
		default:
			return slowAddr(b)
		}
	}
	if part != 3 || digits == 0 {
		return slowAddr(b)
	}
	ip[3] = byte(n)
	return netip.AddrFrom4(ip)
}

// addrText remembers the text of recent addresses: attackers repeat
// themselves, and reusing one string per address saves formatting and an
// allocation for most findings. Direct-mapped by the address's last bytes.
type addrText [256]struct {
	a netip.Addr
	s string
}

func (c *addrText) text(a netip.Addr) string {
	b := a.As16()
	e := &c[b[15]^b[14]^b[13]]
	if e.a != a {
		e.a, e.s = a, a.String()
	}
	return e.s
}

// slowAddr parses what parseAddr does not: IPv6, IPv4-mapped IPv6 (the
// IPv4 address), and addresses with a zone ("fe80::1%eth0"), which is
// dropped: blocking and counting are by address.
func slowAddr(b []byte) netip.Addr {
	a, err := netip.ParseAddr(string(b))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}
