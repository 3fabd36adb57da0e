package termsafe

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"web-01", "web-01"},
		{"données-été", "données-été"},
		{"数据库", "数据库"},
		{"evil\x1b[2J\x1b[31mred", `evil\x1b[2J\x1b[31mred`},
		{"title\x1b]0;pwned\x07", `title\x1b]0;pwned\x07`},
		{"osc8\x1b]8;;http://x\x1b\\link", `osc8\x1b]8;;http://x\x1b\link`},
		{"c1\u009b31m", `c1\u009b31m`},
		{"line\nbreak\rreturn\ttab", `line\x0abreak\x0dreturn\x09tab`},
		{"del\x7f", `del\x7f`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"rtl\u202egnp.exe", `rtl\u202egnp.exe`},
		{"zero\u200bwidth", `zero\u200bwidth`},
	}
	for _, tt := range tests {
		got := String(tt.in)
		if got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, r := range got {
			if r < 0x20 || r >= 0x7f && r < 0xa0 {
				t.Errorf("String(%q) still holds control %U", tt.in, r)
			}
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"web", "\x1b]0;x\x07", "\u009b", "\xff", "a\u202eb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := String(s)
		if strings.ContainsAny(got, "\x1b\x07\x00\r\n") {
			t.Fatalf("String(%q) = %q keeps a control character", s, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
				t.Fatalf("String(%q) = %q keeps %U", s, got, r)
			}
		}
	})
}
