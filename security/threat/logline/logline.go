// Package logline splits a syslog line into its header (time, host,
// program, pid) and message, without allocating. It reads what syslog
// daemons write on the hosts hv watches and in the logs people hand it:
//
//   - RFC 3164 ("Nov 26 07:00:01 host sshd[812]: ..."), the day padded or
//     not, with or without a <PRI> and a host;
//   - ISO timestamps ("2026-11-26T07:00:01.123456+01:00 host ..."), also
//     with a space for the T, any number of fractional digits and no zone;
//   - RFC 5424 ("<38>1 2019-07-08T17:40:16.95-04:00 host sshd 57915 - [sd] msg");
//   - socklog/svlogd ("2015-05-27T04:31:27.46667 auth.info: sshd[5]: msg"),
//     whose message may name no program;
//   - Solaris' message ids ("sshd[5]: [ID 800047 auth.info] msg"), dropped.
//
// Everything after the program's colon is the message, which the header
// never borrows from: a message cannot fake its own program or pid.
package logline

import (
	"bytes"
	"time"
)

// Line is a parsed syslog line. Its byte slices point into the input.
// Host and Program are empty when the line names none.
type Line struct {
	Time    time.Time
	Host    []byte
	Program []byte
	PID     int // 0 when the line has none
	Message []byte
}

// Parser parses lines; it remembers the year for formats that omit it.
type Parser struct {
	// Year is used for traditional timestamps, which carry none.
	Year int
	// Loc is the zone of timestamps that carry none.
	Loc *time.Location

	// Consecutive lines often share their second: the last one is reused.
	lastStamp [15]byte
	lastTime  time.Time
	zones     map[int]*time.Location
}

// NewParser returns a parser that dates year-less lines in year.
func NewParser(year int, loc *time.Location) *Parser {
	if loc == nil {
		loc = time.Local
	}
	return &Parser{Year: year, Loc: loc}
}

// Parse splits b into l. It reports false for a line that does not start
// with a timestamp; callers may still match such a line as a bare message.
// A timestamp followed by neither a host nor a program is followed by a
// bare message: Host and Program are empty. l is filled in place: the
// engine parses a million lines a second.
func (p *Parser) Parse(b []byte, l *Line) bool {
	*l = Line{}
	rest := b
	rfc5424 := false
	if len(rest) > 0 && rest[0] == '<' { // <PRI>, and RFC 5424's version
		i := bytes.IndexByte(rest, '>')
		if i < 2 || i > 4 {
			return false
		}
		if _, ok := atoi(rest[1:i]); !ok {
			return false
		}
		rest = rest[i+1:]
		if len(rest) > 2 && rest[0] == '1' && rest[1] == ' ' {
			rest, rfc5424 = rest[2:], true
		}
	}
	rest, ok := p.timestamp(rest, l)
	if !ok {
		return false
	}
	if rfc5424 {
		return parse5424(rest, l)
	}
	// Most lines: "host program[pid]: msg". Then: no host, socklog's
	// "auth.info: " right after the time (maybe no program), and last a
	// bare message, which may be anyone's.
	switch {
	case p.hostProgram(rest, l):
	case p.program(rest, l) && !isFacility(l.Program):
	default:
		l.Host, l.Program, l.PID, l.Message = nil, nil, 0, rest
		if f, ok := facility(rest); ok && f[len(f)-1] == ':' {
			rest = trimSpace(rest[len(f):])
			if !p.program(rest, l) {
				l.Message = rest
			}
		}
		return true
	}
	l.Message = solarisID(l.Message)
	return true
}

// hostProgram reads "host [facility.level ]program...". A host name never
// ends in a colon or a bracket: such a word is a program.
func (p *Parser) hostProgram(b []byte, l *Line) bool {
	i := bytes.IndexByte(b, ' ')
	if i <= 0 || b[i-1] == ':' || b[i-1] == ']' {
		return false
	}
	host, rest := b[:i], trimSpace(b[i+1:])
	if !p.program(rest, l) {
		f, ok := facility(rest) // "host auth.info sshd[5]: ..."
		if !ok || !p.program(trimSpace(rest[len(f):]), l) {
			return false
		}
	}
	l.Host = host
	return true
}

// isFacility reports whether a program name is a syslog facility and
// level ("auth.info"), as socklog writes where the program would be.
func isFacility(prog []byte) bool {
	f, ok := facility(prog)
	return ok && len(f) == len(prog)
}

// program reads "prog[pid]: msg", "prog: msg", "prog[pid] msg" or the
// old "[prog]: msg" and "[prog] msg" into l.
func (p *Parser) program(b []byte, l *Line) bool {
	end := bytes.IndexByte(b, ' ')
	if end <= 0 {
		return false
	}
	tag, msg := b[:end], b[end+1:]
	colon := tag[len(tag)-1] == ':'
	if colon {
		tag = tag[:len(tag)-1]
	}
	pid := 0
	switch lb := bytes.IndexByte(tag, '['); {
	case len(tag) > 2 && lb == 0 && tag[len(tag)-1] == ']': // [sshd]
		tag = tag[1 : len(tag)-1]
	case lb > 0 && tag[len(tag)-1] == ']':
		n, ok := atoi(tag[lb+1 : len(tag)-1])
		if !ok {
			return false
		}
		tag, pid = tag[:lb], n
	case !colon:
		return false // "word msg": a host, or prose
	}
	if len(tag) == 0 {
		return false
	}
	for _, c := range tag {
		if c == '[' || c == ']' || c == ':' {
			return false
		}
	}
	l.Program, l.PID, l.Message = tag, pid, trimSpace(msg)
	return true
}

// parse5424 reads RFC 5424's "HOST APP PROCID MSGID SD MSG" after the time.
func parse5424(b []byte, l *Line) bool {
	var f [4][]byte
	for i := range f {
		j := bytes.IndexByte(b, ' ')
		if j <= 0 {
			return false
		}
		f[i], b = b[:j], b[j+1:]
	}
	if string(f[0]) != "-" {
		l.Host = f[0]
	}
	if string(f[1]) != "-" {
		l.Program = f[1]
	}
	if pid, ok := atoi(f[2]); ok {
		l.PID = pid
	}
	// Structured data: "-" or [id name="value"...]..., values escaping \" \\ \].
	switch {
	case len(b) > 0 && b[0] == '-':
		b = b[1:]
	case len(b) > 0 && b[0] == '[':
		for len(b) > 0 && b[0] == '[' {
			i, quoted := 1, false
			for ; i < len(b); i++ {
				c := b[i]
				if c == '\\' && quoted {
					i++
				} else if c == '"' {
					quoted = !quoted
				} else if c == ']' && !quoted {
					break
				}
			}
			if i >= len(b) {
				return false
			}
			b = b[i+1:]
		}
	default:
		return false
	}
	b = bytes.TrimPrefix(trimSpace(b), []byte("\xef\xbb\xbf")) // a UTF-8 BOM may lead the message
	l.Message = b
	return true
}

// facility returns the "auth.info" or "auth.info:" token at the start of
// b, if that is what it is.
func facility(b []byte) ([]byte, bool) {
	end := bytes.IndexByte(b, ' ')
	if end < 0 {
		end = len(b)
	}
	tok := b[:end]
	dot := bytes.IndexByte(tok, '.')
	if dot <= 0 || dot == len(tok)-1 {
		return nil, false
	}
	for i, c := range tok {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == ':' && i == len(tok)-1) {
			return nil, false
		}
	}
	return tok, true
}

// solarisID drops the "[ID 800047 auth.info] " Solaris puts before messages.
func solarisID(m []byte) []byte {
	if len(m) < 8 || string(m[:4]) != "[ID " {
		return m
	}
	i := bytes.IndexByte(m, ']')
	if i < 0 || i+1 >= len(m) || m[i+1] != ' ' {
		return m
	}
	return m[i+2:]
}

func (p *Parser) timestamp(b []byte, l *Line) ([]byte, bool) {
	if len(b) >= 16 && b[3] == ' ' && b[6] == ' ' && b[9] == ':' && b[12] == ':' && b[15] == ' ' {
		if string(b[:15]) == string(p.lastStamp[:]) && !p.lastTime.IsZero() {
			l.Time = p.lastTime
			return b[16:], true
		}
		t, ok := p.bsd(b[:3], trimSpace(b[4:6]), b[7:15])
		if !ok {
			return nil, false
		}
		l.Time = t
		copy(p.lastStamp[:], b[:15])
		p.lastTime = t
		return b[16:], true
	}
	// "Feb 7 16:01:07": an unpadded day.
	if len(b) >= 15 && b[3] == ' ' && b[5] == ' ' && b[8] == ':' && b[11] == ':' && b[14] == ' ' {
		t, ok := p.bsd(b[:3], b[4:5], b[6:14])
		l.Time = t
		return b[15:], ok
	}
	if len(b) >= 20 && b[4] == '-' && b[7] == '-' && (b[10] == 'T' || b[10] == ' ') {
		return p.iso(b, l)
	}
	return nil, false
}

// bsd reads month, day and "hh:mm:ss".
func (p *Parser) bsd(mon, day, hms []byte) (time.Time, bool) {
	m := month(mon)
	d, ok1 := atoi(day)
	hh, ok2 := atoi(hms[0:2])
	mm, ok3 := atoi(hms[3:5])
	ss, ok4 := atoi(hms[6:8])
	if m == 0 || !ok1 || !ok2 || !ok3 || !ok4 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, false
	}
	return time.Date(p.Year, m, d, hh, mm, ss, 0, p.Loc), true
}

// iso reads "2006-01-02T15:04:05", a space allowed for the T, then any
// fraction, then Z, ±hh:mm, ±hhmm or no zone, then a space.
func (p *Parser) iso(b []byte, l *Line) ([]byte, bool) {
	if len(b) < 20 || b[13] != ':' || b[16] != ':' {
		return nil, false
	}
	var n [6]int
	for i, span := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
		v, ok := atoi(b[span[0]:span[1]])
		if !ok {
			return nil, false
		}
		n[i] = v
	}
	i, nsec := 19, 0
	if i < len(b) && (b[i] == '.' || b[i] == ',') {
		i++
		scale := 100000000
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			nsec += int(b[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return nil, false
		}
	}
	loc := p.Loc
	switch {
	case i < len(b) && b[i] == 'Z':
		loc, i = time.UTC, i+1
	case i+5 <= len(b) && (b[i] == '+' || b[i] == '-'):
		sign, z := b[i], b[i+1:]
		hh, ok1 := atoi(z[0:2])
		var mm int
		var ok2 bool
		if len(z) >= 5 && z[2] == ':' { // +hh:mm
			mm, ok2 = atoi(z[3:5])
			i += 6
		} else { // +hhmm
			mm, ok2 = atoi(z[2:4])
			i += 5
		}
		if !ok1 || !ok2 || hh > 14 || mm > 59 {
			return nil, false
		}
		off := (hh*60 + mm) * 60
		if sign == '-' {
			off = -off
		}
		loc = p.zone(off)
	}
	if i >= len(b) || b[i] != ' ' {
		return nil, false
	}
	if n[1] < 1 || n[1] > 12 || n[2] < 1 || n[2] > 31 || n[3] > 23 || n[4] > 59 || n[5] > 60 {
		return nil, false
	}
	l.Time = time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], nsec, loc)
	return b[i+1:], true
}

// zone returns a fixed zone, cached by offset: a log has one or two.
func (p *Parser) zone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if z, ok := p.zones[off]; ok {
		return z
	}
	z := time.FixedZone("", off)
	if p.zones == nil {
		p.zones = map[int]*time.Location{}
	}
	if len(p.zones) < 64 {
		p.zones[off] = z
	}
	return z
}

func month(b []byte) time.Month {
	switch string(b) {
	case "Jan":
		return time.January
	case "Feb":
		return time.February
	case "Mar":
		return time.March
	case "Apr":
		return time.April
	case "May":
		return time.May
	case "Jun":
		return time.June
	case "Jul":
		return time.July
	case "Aug":
		return time.August
	case "Sep":
		return time.September
	case "Oct":
		return time.October
	case "Nov":
		return time.November
	case "Dec":
		return time.December
	}
	return 0
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	return b
}

// atoi parses a short run of ASCII digits.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
