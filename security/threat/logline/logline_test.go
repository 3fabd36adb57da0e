package logline

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	p := NewParser(2026, time.UTC)
	tests := []struct {
		in              string
		ok              bool
		host, prog, msg string
		pid             int
		time            time.Time
	}{
		{"Nov 26 07:00:01 web sshd[812]: Failed password for root from 1.2.3.4 port 22 ssh2", true,
			"web", "sshd", "Failed password for root from 1.2.3.4 port 22 ssh2", 812, time.Date(2026, 11, 26, 7, 0, 1, 0, time.UTC)},
		{"Nov  6 23:59:59 h sshd-session[9]: Invalid user x from 1.2.3.4 port 5", true,
			"h", "sshd-session", "Invalid user x from 1.2.3.4 port 5", 9, time.Date(2026, 11, 6, 23, 59, 59, 0, time.UTC)},
		{"2026-11-26T07:00:01.123456+01:00 h kernel: Out of memory: Killed process 1 (qemu)", true,
			"h", "kernel", "Out of memory: Killed process 1 (qemu)", 0, time.Date(2026, 11, 26, 6, 0, 1, 123456000, time.UTC)},
		{"Nov 26 07:00:01 h su: (to root) bob on pts/0", true, "h", "su", "(to root) bob on pts/0", 0, time.Date(2026, 11, 26, 7, 0, 1, 0, time.UTC)},
		{"garbage", false, "", "", "", 0, time.Time{}},
		{"Nov 26 07:00:01 h two words: x", false, "", "", "", 0, time.Time{}},
		{"Foo 26 07:00:01 h sshd[1]: x", false, "", "", "", 0, time.Time{}},
		{"Nov 26 07:00:01 h sshd[x]: x", false, "", "", "", 0, time.Time{}},
	}
	for _, tt := range tests {
		l, ok := p.Parse([]byte(tt.in))
		if ok != tt.ok {
			t.Errorf("Parse(%q) ok=%v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if string(l.Host) != tt.host || string(l.Program) != tt.prog || string(l.Message) != tt.msg || l.PID != tt.pid || !l.Time.Equal(tt.time) {
			t.Errorf("Parse(%q) = host %q prog %q pid %d time %v msg %q", tt.in, l.Host, l.Program, l.PID, l.Time, l.Message)
		}
	}
}

// A message cannot forge the header: the program and pid come from before
// the first colon, whatever the message says.
func TestMessageCannotForgeHeader(t *testing.T) {
	p := NewParser(2026, time.UTC)
	l, ok := p.Parse([]byte("Nov 26 07:00:01 h sshd[5]: Invalid user x sshd[6]: from 10.66.66.66 from 1.2.3.4 port 1"))
	if !ok || l.PID != 5 || string(l.Program) != "sshd" {
		t.Fatalf("got ok=%v pid=%d prog=%q", ok, l.PID, l.Program)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Nov 26 07:00:01 web sshd[812]: Failed password for root from 1.2.3.4 port 22 ssh2",
		"2026-11-26T07:00:01.123456+01:00 h kernel: x",
		"Nov 26 07:00:01 h su: (to root) bob on pts/0",
		"Nov 26 07:00:01 h a[]: x", "", "Nov 26 07:00:01 ",
	} {
		f.Add([]byte(s))
	}
	p := NewParser(2026, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		l, ok := p.Parse(b)
		if !ok {
			return
		}
		if len(l.Program) == 0 || len(l.Host) == 0 || len(l.Message) > len(b) || l.PID < 0 {
			t.Fatalf("bad parse of %q: %+v", b, l)
		}
	})
}
