package termsafe

import (
	"bytes"
	"testing"
)

func TestFilterKeepsDrawingDropsTheRest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello\r\nworld", "hello\r\nworld"},
		{"\x1b[31mred\x1b[0m \x1b[2J\x1b[H", "\x1b[31mred\x1b[0m \x1b[2J\x1b[H"},
		{"a\x1b]0;title\x07b", "ab"},
		{"a\x1b]52;c;ZXZpbA==\x1b\\b", "ab"},
		{"\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"a\x1bP+q544e\x1b\\b", "ab"},
		{"a\x1b_apc\x1b\\b\x1b^pm\x07c", "abc"},
		{"été 数据", "été 数据"},
		{"\x1b7save\x1b8", "\x1b7save\x1b8"},
		{"\x1b(Bcharset", "\x1b(Bcharset"},
		{"bell\x07", "bell\x07"},
		{"so\x0e\x0fsi", "sosi"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		f := NewFilter(&out)
		f.Write([]byte(tt.in))
		if out.String() != tt.want {
			t.Errorf("Filter(%q) = %q, want %q", tt.in, out.String(), tt.want)
		}
	}
}

func TestFilterStateSpansWrites(t *testing.T) {
	var out bytes.Buffer
	f := NewFilter(&out)
	for _, chunk := range []string{"a\x1b]0;ti", "tle\x1b", "\\b\x1b[3", "2mc"} {
		f.Write([]byte(chunk))
	}
	if out.String() != "ab\x1b[32mc" {
		t.Errorf("got %q", out.String())
	}
}

func FuzzFilter(f *testing.F) {
	for _, s := range []string{"\x1b]0;x\x07", "\x1bPq\x1b\\", "\x1b[1;2H", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var out bytes.Buffer
		NewFilter(&out).Write([]byte(s))
		if bytes.Contains(out.Bytes(), []byte("\x1b]")) || bytes.Contains(out.Bytes(), []byte("\x1bP")) ||
			bytes.Contains(out.Bytes(), []byte("\x1b_")) || bytes.Contains(out.Bytes(), []byte("\x1b^")) {
			t.Fatalf("Filter(%q) = %q lets a string sequence through", s, out.Bytes())
		}
	})
}
