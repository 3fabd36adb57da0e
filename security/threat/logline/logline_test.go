package logline

import (
	"bytes"
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
		// Formats met on real hosts and in public logs.
		{"Feb 7 16:01:07 linux-m899 sshd[5106]: User root from 192.0.2.54 not allowed", true,
			"linux-m899", "sshd", "User root from 192.0.2.54 not allowed", 5106, time.Date(2026, 2, 7, 16, 1, 7, 0, time.UTC)},
		{"Nov 23 21:50:19 sshd[8148]: Disconnecting: Too many authentication failures [preauth]", true,
			"", "sshd", "Disconnecting: Too many authentication failures [preauth]", 8148, time.Date(2026, 11, 23, 21, 50, 19, 0, time.UTC)},
		{"Mar  3 00:17:22 [sshd]: User root from 192.0.2.49 not allowed", true,
			"", "sshd", "User root from 192.0.2.49 not allowed", 0, time.Date(2026, 3, 3, 0, 17, 22, 0, time.UTC)},
		{"<38>Nov 26 07:00:01 web sshd[812]: x", true, "web", "sshd", "x", 812, time.Date(2026, 11, 26, 7, 0, 1, 0, time.UTC)},
		{"Mar 29 05:59:23 dusky sshd[20878]: [ID 800047 auth.info] Failed keyboard-interactive for james from 192.0.2.30 port 54520 ssh2", true,
			"dusky", "sshd", "Failed keyboard-interactive for james from 192.0.2.30 port 54520 ssh2", 20878, time.Date(2026, 3, 29, 5, 59, 23, 0, time.UTC)},
		{"Jun 20 02:18:39 vps auth.info sshd[13482]: Invalid user admin from 192.0.2.2", true,
			"vps", "sshd", "Invalid user admin from 192.0.2.2", 13482, time.Date(2026, 6, 20, 2, 18, 39, 0, time.UTC)},
		{"2015-05-27T04:31:27.46667 auth.info: Invalid user admin from 192.0.2.1", true,
			"", "", "Invalid user admin from 192.0.2.1", 0, time.Date(2015, 5, 27, 4, 31, 27, 466670000, time.UTC)},
		{"2015-05-27T04:31:28.10040 auth.info: sshd[30993]: Invalid user admin from 192.0.2.1", true,
			"", "sshd", "Invalid user admin from 192.0.2.1", 30993, time.Date(2015, 5, 27, 4, 31, 28, 100400000, time.UTC)},
		{"2018-12-20 10:09:05.180218+0000 localhost sshd[67566]: Invalid user git from 192.0.2.9 port 35968", true,
			"localhost", "sshd", "Invalid user git from 192.0.2.9 port 35968", 67566, time.Date(2018, 12, 20, 10, 9, 5, 180218000, time.UTC)},
		{"2020-05-29T11:28:56.058908+02:00 bastion sshd[20974] error: PAM: Authentication error for illegal user plop from 192.0.2.13", true,
			"bastion", "sshd", "error: PAM: Authentication error for illegal user plop from 192.0.2.13", 20974, time.Date(2020, 5, 29, 9, 28, 56, 58908000, time.UTC)},
		{"<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2", true,
			"hostname.example.com", "sshd", "Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2", 57915, time.Date(2019, 7, 8, 21, 40, 16, 954167000, time.UTC)},
		{`<38>1 2019-07-08T17:40:17.954167-04:00 h sshd 55555 - [timeQuality tzKnown="1" isSynced="0"][xxx@123 test="[br\"]ackets]"] Failed x`, true,
			"h", "sshd", "Failed x", 55555, time.Date(2019, 7, 8, 21, 40, 17, 954167000, time.UTC)},
		{`<38>1 2019-07-08T17:40:17Z h sshd 1 - [x a="unterminated`, false, "", "", "", 0, time.Time{}},
		{"garbage", false, "", "", "", 0, time.Time{}},
		{"Nov 26 07:00:01 h two words: x", true, "", "", "h two words: x", 0, time.Date(2026, 11, 26, 7, 0, 1, 0, time.UTC)},
		{"2018-06-26 13:22:02.108781500 Failed password for woold from 192.0.2.76 port 34718 ssh2", true,
			"", "", "Failed password for woold from 192.0.2.76 port 34718 ssh2", 0, time.Date(2018, 6, 26, 13, 22, 2, 108781500, time.UTC)},
		{"Foo 26 07:00:01 h sshd[1]: x", false, "", "", "", 0, time.Time{}},
		{"Nov 26 07:00:01 h sshd[x]: x", true, "", "", "h sshd[x]: x", 0, time.Date(2026, 11, 26, 7, 0, 1, 0, time.UTC)},
	}
	for _, tt := range tests {
		var l Line
		ok := p.Parse([]byte(tt.in), &l)
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
	var l Line
	ok := p.Parse([]byte("Nov 26 07:00:01 h sshd[5]: Invalid user x sshd[6]: from 10.66.66.66 from 1.2.3.4 port 1"), &l)
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
		var l Line
		ok := p.Parse(b, &l)
		if !ok {
			return
		}
		if len(l.Message) > len(b) || l.PID < 0 || bytes.ContainsAny(l.Program, "[]: ") || bytes.ContainsRune(l.Host, ' ') {
			t.Fatalf("bad parse of %q: %+v", b, l)
		}
	})
}
