package threat

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AppendJSON appends f as one JSON object (no newline), the format of
// 'hv threats scan --json': line, rule, severity, tags always; the rest
// when known. It is written by hand because scans emit findings by the
// hundred thousand. Strings escape every control character, DEL and the
// C1 range, so printing the output on a terminal is harmless.
func (f *Finding) AppendJSON(b []byte) []byte { return (*JSONEncoder)(nil).Append(b, f) }

// JSONEncoder writes findings as AppendJSON does, faster for a stream of
// them: what every finding of a rule shares (rule, severity, tags, kind,
// title) is escaped once and then copied, and so are the fields that
// repeat from one finding to the next (time, service, MITRE technique,
// source). The zero value is ready; a nil one remembers nothing.
type JSONEncoder struct {
	heads   map[string][]jsonHead // by rule: its matches, its thresholds...
	time    time.Time
	timeB   []byte
	repeats [nRepeats]jsonRepeat
}

// jsonHead is the encoded head of the findings that carry these values.
type jsonHead struct {
	title string
	sev   Severity
	kind  Kind
	tags  []string
	b     []byte
}

// headsMax bounds the heads kept per rule, should a caller vary them.
const headsMax = 8

// jsonRepeat is a field's last value and its encoding.
type jsonRepeat struct {
	v string
	b []byte
}

const (
	repService = iota
	repMITRE
	repSource
	nRepeats
)

// Append appends f as AppendJSON does.
func (e *JSONEncoder) Append(b []byte, f *Finding) []byte {
	b = append(b, `{"line":`...)
	b = strconv.AppendInt(b, int64(f.Line), 10)
	b = e.appendHead(b, f)
	if !f.Time.IsZero() {
		b = e.appendTime(b, f.Time)
	}
	b = appendNonEmpty(b, "ip", f.IP)
	b = appendNonEmpty(b, "user", f.User)
	b = appendNonEmpty(b, "vm", f.VM)
	b = e.appendRepeated(b, repService, "service", f.Service)
	b = e.appendRepeated(b, repMITRE, "mitre", f.MITRE)
	b = appendNonEmpty(b, "intel", f.Intel)
	b = e.appendRepeated(b, repSource, "source", f.Source)
	if f.Kind == KindThreshold {
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, int64(f.Count), 10)
	}
	b = appendField(b, "evidence", f.Evidence)
	return append(b, '}')
}

// appendHead appends the fields a rule decides.
func (e *JSONEncoder) appendHead(b []byte, f *Finding) []byte {
	if e == nil {
		return f.appendHead(b)
	}
	hs := e.heads[f.Rule]
	for _, h := range hs {
		if h.kind == f.Kind && h.sev == f.Severity && h.title == f.Title && slices.Equal(h.tags, f.Tags) {
			return append(b, h.b...)
		}
	}
	if len(hs) == headsMax {
		return f.appendHead(b)
	}
	if e.heads == nil {
		e.heads = map[string][]jsonHead{}
	}
	h := jsonHead{f.Title, f.Severity, f.Kind, slices.Clone(f.Tags), f.appendHead(nil)}
	e.heads[f.Rule] = append(hs, h)
	return append(b, h.b...)
}

func (f *Finding) appendHead(b []byte) []byte {
	b = appendField(b, "rule", f.Rule)
	b = appendField(b, "severity", f.Severity.String())
	b = append(b, `,"tags":[`...)
	for i, t := range f.Tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, t)
	}
	b = append(b, ']')
	b = appendField(b, "kind", string(f.Kind))
	return appendField(b, "title", f.Title)
}

// appendTime appends the time field; lines of one second share it.
func (e *JSONEncoder) appendTime(b []byte, t time.Time) []byte {
	if e == nil {
		return appendTime(b, t)
	}
	if e.timeB == nil || t != e.time { // ==, not Equal: the same instant in another zone reads differently
		e.time, e.timeB = t, appendTime(e.timeB[:0], t)
	}
	return append(b, e.timeB...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, `,"time":"`...)
	b = t.AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

func (e *JSONEncoder) appendRepeated(b []byte, i int, k, v string) []byte {
	if e == nil || v == "" {
		return appendNonEmpty(b, k, v)
	}
	r := &e.repeats[i]
	if r.b == nil || r.v != v {
		// A copy: v may point into a line that is read over next
		// (engine.Options.Transient), and would then seem to repeat.
		r.v, r.b = strings.Clone(v), appendField(r.b[:0], k, v)
	}
	return append(b, r.b...)
}

func appendNonEmpty(b []byte, k, v string) []byte {
	if v == "" {
		return b
	}
	return appendField(b, k, v)
}

func appendField(b []byte, k, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	return AppendJSONString(b, v)
}

const hexDigits = "0123456789abcdef"

// plain8 reports whether all 8 bytes of s are plain, testing them at once:
// none below 0x20, none at or above 0x7f, no quote, no backslash.
func plain8(s string) bool {
	v := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	less := func(x uint64, n uint64) uint64 { return (x - ones*n) & ^x & highs } // some byte < n (n <= 128)
	zero := func(x uint64) uint64 { return (x - ones) & ^x & highs }             // some byte == 0
	return v&highs == 0 && less(v, 0x20) == 0 && zero(v^(ones*0x7f)) == 0 &&
		zero(v^(ones*'"')) == 0 && zero(v^(ones*'\\')) == 0
}

// plain holds the bytes a JSON string carries as they are: printable
// ASCII but for the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD; controls, DEL and C1 are written as \u escapes.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		for i+8 <= len(s) && plain8(s[i:i+8]) {
			i += 8
		}
		for i < len(s) && plain[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029 {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
