package rules

import (
	"regexp/syntax"
	"unicode"
)

// byteSet is a set of bytes.
type byteSet [4]uint64

func (s *byteSet) add(b byte)      { s[b>>6] |= 1 << (b & 63) }
func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }
func (s *byteSet) union(o byteSet) { s[0] |= o[0]; s[1] |= o[1]; s[2] |= o[2]; s[3] |= o[3] }
func allBytes() byteSet            { return byteSet{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)} }
func (s *byteSet) addRune(r rune)  { s.union(runeFirstBytes(r)) }
func (s *byteSet) addRange(lo, hi rune) {
	if hi-lo > 256 || hi >= 0x80 {
		for r := lo; r <= hi && r < 0x80; r++ {
			s.add(byte(r))
		}
		if hi >= 0x80 { // any multi-byte lead byte
			for b := 0xc2; b <= 0xf4; b++ {
				s.add(byte(b))
			}
		}
		return
	}
	for r := lo; r <= hi; r++ {
		s.add(byte(r))
	}
}

func runeFirstBytes(r rune) byteSet {
	var s byteSet
	if r < 0x80 {
		s.add(byte(r))
		return s
	}
	var buf [4]byte
	n := encodeRune(buf[:], r)
	if n > 0 {
		s.add(buf[0])
	}
	return s
}

func encodeRune(p []byte, r rune) int {
	s := string(r)
	return copy(p, s)
}

// firstBytes returns the bytes a message matching an anchored pattern can
// start with (ok false when the pattern is not anchored at the start, or
// an empty message could match). Rules are indexed by it, so a line is
// tried only against the rules that could match its first byte.
func firstBytes(pattern string) (byteSet, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return byteSet{}, false
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText {
		return byteSet{}, false
	}
	set, nullable := first(&syntax.Regexp{Op: syntax.OpConcat, Sub: re.Sub[1:]})
	return set, !nullable
}

// first returns the possible first bytes of re and whether re can match
// the empty string.
func first(re *syntax.Regexp) (byteSet, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return byteSet{}, true
		}
		var s byteSet
		r := re.Rune[0]
		s.addRune(r)
		if re.Flags&syntax.FoldCase != 0 {
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				s.addRune(f)
			}
		}
		return s, false
	case syntax.OpCharClass:
		var s byteSet
		for i := 0; i+1 < len(re.Rune); i += 2 {
			s.addRange(re.Rune[i], re.Rune[i+1])
		}
		return s, false
	case syntax.OpCapture, syntax.OpPlus:
		return first(re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		s, _ := first(re.Sub[0])
		return s, true
	case syntax.OpRepeat:
		s, n := first(re.Sub[0])
		return s, n || re.Min == 0
	case syntax.OpConcat:
		var s byteSet
		for _, sub := range re.Sub {
			fs, nullable := first(sub)
			s.union(fs)
			if !nullable {
				return s, false
			}
		}
		return s, true
	case syntax.OpAlternate:
		var s byteSet
		null := false
		for _, sub := range re.Sub {
			fs, n := first(sub)
			s.union(fs)
			null = null || n
		}
		return s, null
	case syntax.OpEmptyMatch:
		return byteSet{}, true
	}
	return allBytes(), true // anything else: assume any byte, possibly empty
}
