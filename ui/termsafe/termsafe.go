// Package termsafe makes untrusted text (VM names, log lines, user names
// that attackers choose) harmless to print on a terminal.
package termsafe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String returns s with every byte or rune that a terminal could act on
// spelled out as a visible escape: C0 and C1 controls (ESC, BEL, CSI, OSC
// introducers...), DEL, invalid UTF-8, and the bidirectional and invisible
// format characters used to disguise text. Printable text, including
// non-Latin scripts, passes unchanged. The result never contains a control
// character, so no ANSI or OSC sequence survives.
func String(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0, unsafeFormat(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// clean is the fast path: plain printable ASCII needs no work.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return cleanUnicode(s[i:])
		}
	}
	return true
}

func cleanUnicode(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || r < 0x20 || r >= 0x7f && r < 0xa0 || unsafeFormat(r) {
			return false
		}
		i += size
	}
	return true
}

// unsafeFormat reports invisible or direction-changing characters (Unicode
// category Cf, such as U+202E RIGHT-TO-LEFT OVERRIDE), plus line and
// paragraph separators, which could make text read differently than it is.
func unsafeFormat(r rune) bool {
	return r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r)
}
