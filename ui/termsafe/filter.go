package termsafe

import "io"

// Filter passes a guest's terminal output to w while dropping what could
// act on the real terminal beyond drawing text: OSC (titles, clipboard,
// hyperlinks), DCS, SOS, PM and APC strings, and 8-bit C1 controls. Text,
// ordinary controls (CR, LF, BS, TAB, BEL) and CSI sequences (cursor
// movement, colours, erasing) pass, so full-screen programs still work.
// It keeps its state across writes: a sequence may span chunks.
type Filter struct {
	w     io.Writer
	state filterState
	buf   []byte
}

type filterState int

const (
	ground   filterState = iota
	escape               // after ESC
	csi                  // inside ESC [ ... until a final byte
	str                  // inside an OSC/DCS/SOS/PM/APC string: dropped
	strEsc               // ESC inside a string: maybe ST (ESC \)
	escInter             // ESC followed by intermediates (charset selection)
)

// NewFilter returns a filter writing to w.
func NewFilter(w io.Writer) *Filter { return &Filter{w: w} }

func (f *Filter) Write(p []byte) (int, error) {
	f.buf = f.buf[:0]
	for _, c := range p {
		f.step(c)
	}
	if len(f.buf) > 0 {
		if _, err := f.w.Write(f.buf); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (f *Filter) step(c byte) {
	switch f.state {
	case ground:
		switch {
		case c == 0x1b:
			f.state = escape
		case c < 0x20 && c != '\r' && c != '\n' && c != '\b' && c != '\t' && c != 0x07:
			// other C0 controls (shift in/out, ...) are dropped
		default:
			// bytes 0x80-0x9f inside UTF-8 sequences are continuation
			// bytes, not C1 controls: terminals in UTF-8 mode read them so.
			f.buf = append(f.buf, c)
		}
	case escape:
		switch {
		case c == '[':
			f.buf = append(f.buf, 0x1b, '[')
			f.state = csi
		case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
			f.state = str
		case c >= 0x20 && c <= 0x2f:
			f.buf = append(f.buf, 0x1b, c)
			f.state = escInter
		case c >= 0x30 && c <= 0x7e:
			f.buf = append(f.buf, 0x1b, c) // ESC 7, ESC 8, ESC M, ESC =...
			f.state = ground
		default:
			f.state = ground
		}
	case escInter:
		switch {
		case c == 0x1b:
			f.state = escape
		case c >= 0x20 && c <= 0x2f:
			f.buf = append(f.buf, c)
		case c >= 0x30 && c <= 0x7e:
			f.buf = append(f.buf, c)
			f.state = ground
		default:
			f.state = ground
		}
	case csi:
		switch {
		case c >= 0x20 && c <= 0x3f:
			f.buf = append(f.buf, c)
		case c >= 0x40 && c <= 0x7e:
			f.buf = append(f.buf, c)
			f.state = ground
		default: // a broken sequence: end it harmlessly
			f.buf = append(f.buf, 'm')
			f.state = ground
			if c == 0x1b {
				f.state = escape
			}
		}
	case str:
		switch c {
		case 0x07:
			f.state = ground
		case 0x1b:
			f.state = strEsc
		}
	case strEsc:
		if c == '\\' {
			f.state = ground
		} else {
			f.state = str
		}
	}
}
