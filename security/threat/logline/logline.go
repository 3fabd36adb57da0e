// Package logline splits a syslog line into its header (time, host,
// program, pid) and message, without allocating. It reads the traditional
// BSD format ("Nov 26 07:00:01 host sshd[812]: ...") that Debian's rsyslog
// writes and the RFC 3339 one ("2026-11-26T07:00:01.123456+00:00 host ...")
// of newer rsyslog configurations. Everything after the program's colon is
// the message, which the header never borrows from: a message cannot fake
// its own program or pid.
package logline

import (
	"bytes"
	"time"
)

// Line is a parsed syslog line. Its byte slices point into the input.
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
	// Loc is the zone of traditional timestamps.
	Loc *time.Location

	// Consecutive lines often share their second: the last one is reused.
	lastStamp [15]byte
	lastTime  time.Time
}

// NewParser returns a parser that dates year-less lines in year.
func NewParser(year int, loc *time.Location) *Parser {
	if loc == nil {
		loc = time.Local
	}
	return &Parser{Year: year, Loc: loc}
}

// Parse splits b. It reports false for a line that is not syslog-shaped;
// callers may still match such a line as a bare message.
func (p *Parser) Parse(b []byte) (Line, bool) {
	var l Line
	rest, ok := p.timestamp(b, &l)
	if !ok {
		return l, false
	}
	// host
	i := bytes.IndexByte(rest, ' ')
	if i <= 0 {
		return l, false
	}
	l.Host, rest = rest[:i], rest[i+1:]
	// program[pid]: message   or   program: message
	end := bytes.IndexByte(rest, ':')
	if end <= 0 {
		return l, false
	}
	tag := rest[:end]
	if bytes.IndexByte(tag, ' ') >= 0 {
		return l, false
	}
	if lb := bytes.IndexByte(tag, '['); lb > 0 && tag[len(tag)-1] == ']' {
		pid, ok := atoi(tag[lb+1 : len(tag)-1])
		if !ok {
			return l, false
		}
		l.PID = pid
		tag = tag[:lb]
	}
	l.Program = tag
	msg := rest[end+1:]
	if len(msg) > 0 && msg[0] == ' ' {
		msg = msg[1:]
	}
	l.Message = msg
	return l, true
}

func (p *Parser) timestamp(b []byte, l *Line) ([]byte, bool) {
	if len(b) >= 16 && b[3] == ' ' && b[6] == ' ' && b[9] == ':' && b[12] == ':' && b[15] == ' ' {
		if string(b[:15]) == string(p.lastStamp[:]) && !p.lastTime.IsZero() {
			l.Time = p.lastTime
			return b[16:], true
		}
		mon := month(b[:3])
		day, ok1 := atoi(trimSpace(b[4:6]))
		hh, ok2 := atoi(b[7:9])
		mm, ok3 := atoi(b[10:12])
		ss, ok4 := atoi(b[13:15])
		if mon == 0 || !ok1 || !ok2 || !ok3 || !ok4 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 {
			return nil, false
		}
		l.Time = time.Date(p.Year, mon, day, hh, mm, ss, 0, p.Loc)
		copy(p.lastStamp[:], b[:15])
		p.lastTime = l.Time
		return b[16:], true
	}
	// RFC 3339: up to the first space.
	if len(b) >= 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' {
		i := bytes.IndexByte(b, ' ')
		if i < 0 {
			return nil, false
		}
		t, err := time.Parse(time.RFC3339Nano, string(b[:i]))
		if err != nil {
			return nil, false
		}
		l.Time = t
		return b[i+1:], true
	}
	return nil, false
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
