package engine

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/rules"
)

func defaults(t testing.TB) *rules.Set {
	t.Helper()
	set, err := rules.Load(content.ThreatRules())
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func scan(t testing.TB, e *Engine, log string) []threat.Finding {
	t.Helper()
	var out []threat.Finding
	if err := e.Scan(strings.NewReader(log), "test", func(f threat.Finding) { out = append(out, f) }); err != nil {
		t.Fatal(err)
	}
	return out
}

func failures(fs []threat.Finding) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		if f.Kind == threat.KindMatch && f.HasTag(threat.TagAuthFailure) {
			m[f.IP]++
		}
	}
	return m
}

// User names that spell out another address never become the source.
func TestInjectedUserNamesNeverYieldAFakeAddress(t *testing.T) {
	e := New(defaults(t), Options{Year: 2026})
	log := `Nov 26 07:00:01 h sshd[100]: Invalid user x from 10.66.66.66 port 22 from 203.0.113.5 port 5555
Nov 26 07:00:02 h sshd[100]: Failed password for invalid user x from 10.66.66.66 port 22 from 203.0.113.5 port 5555 ssh2
Nov 26 07:00:03 h sshd-session[101]: Failed password for invalid user admin from 10.66.66.67 port 2222 ssh2 from 203.0.113.6 port 1 ssh2
Nov 26 07:00:04 h sshd-session[102]: Invalid user z from ::1 port 22 from 2001:db8::7 port 9
Nov 26 07:00:05 h sshd[103]: error: maximum authentication attempts exceeded for invalid user y from 127.0.0.1 from 203.0.113.8 port 4 ssh2 [preauth]
Nov 26 07:00:06 h sshd[100]: Connection closed by invalid user x from 10.66.66.66 port 22 203.0.113.5 port 5555 [preauth]
Nov 26 07:00:07 h sshd[104]: Connection from 203.0.113.9 port 7 on 192.0.2.1 port 22
Nov 26 07:00:08 h sshd[104]: Failed password for invalid user a from 10.66.66.66 port 22 ssh2: b from 203.0.113.9 port 7 ssh2
Nov 26 07:00:09 h sshd[105]: Failed password for invalid user a from 10.66.66.66 port 22 ssh2: b from 203.0.113.10 port 7 ssh2
Nov 26 07:00:10 h sshd[104]: Failed password for invalid user a from 10.66.66.66 port 22 ssh2: b from 203.0.113.9 port 7 ssh2
Nov 26 07:00:11 h sshd[105]: Failed password for invalid user a from 10.66.66.66 port 22 ssh2: b from 203.0.113.10 port 7 ssh2
Nov 26 07:00:12 h sshd-session[101]: Failed password for invalid user admin from 10.66.66.67 port 2222 ssh2 from 203.0.113.6 port 1 ssh2
`
	got := failures(scan(t, e, log))
	// The lines of 104 and 105 show two addresses where sshd writes one,
	// each time: 104's connection says which is the client's; 105's does not,
	// and its failures are reported without an address.
	want := map[string]int{"203.0.113.5": 2, "203.0.113.6": 2, "2001:db8::7": 1, "203.0.113.8": 1, "203.0.113.9": 2, "": 2}
	if len(got) != len(want) {
		t.Fatalf("failures by address = %v, want %v", got, want)
	}
	for ip, n := range want {
		if got[ip] != n {
			t.Errorf("%s: %d failures, want %d (all: %v)", ip, got[ip], n, got)
		}
	}
}

// A connection's address, once learnt from a line sshd writes before any
// user name ("Connection from"), is the one reported for the connection.
func TestAuthoritativeConnectionAddress(t *testing.T) {
	e := New(defaults(t), Options{Year: 2026})
	log := `Nov 26 07:00:00 h sshd[7]: Connection from 203.0.113.9 port 5555 on 192.0.2.1 port 22 rdomain ""
Nov 26 07:00:01 h sshd[7]: User games not allowed because account is locked
Nov 26 07:00:02 h sshd[7]: Disconnecting: Too many authentication failures [preauth]
`
	got := failures(scan(t, e, log))
	if got["203.0.113.9"] != 2 || len(got) != 1 {
		t.Errorf("failures = %v, want both lines on 203.0.113.9", got)
	}
}

// A failure logged before its connection shows an address waits for it.
func TestPendingFailureGetsTheAddressLater(t *testing.T) {
	e := New(defaults(t), Options{Year: 2026})
	log := `Nov 26 07:00:01 h sshd[8]: User games not allowed because account is locked
Nov 26 07:00:02 h sshd[8]: Connection closed by authenticating user games 203.0.113.10 port 4 [preauth]
Nov 26 07:00:03 h sshd[9]: User news not allowed because account is locked
`
	fs := scan(t, e, log)
	got := failures(fs)
	if got["203.0.113.10"] != 1 {
		t.Errorf("failures = %v: the locked account should count for the address shown later", got)
	}
	var released bool
	for _, f := range fs {
		if f.User == "news" && f.IP == "" && f.Line == 3 {
			released = true
		}
	}
	if !released {
		t.Error("a failure whose connection never shows an address is still reported at the end, without one")
	}
}

func TestThresholdFiresOncePerWindow(t *testing.T) {
	e := New(defaults(t), Options{Year: 2026})
	var b strings.Builder
	for i := 0; i < 25; i++ {
		b.WriteString("Nov 26 07:00:0" + string(rune('0'+i%10)) + " h sshd[1]: Did not receive identification string from 203.0.113.11 port 1\n")
	}
	n := 0
	for _, f := range scan(t, e, b.String()) {
		if f.Kind == threat.KindThreshold {
			n++
			if f.Severity != threat.Medium || f.Count != 10 || f.IP != "203.0.113.11" {
				t.Errorf("threshold finding %+v", f)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d threshold findings in one window, want 1", n)
	}
}

type fakeIntel map[string]string

func (f fakeIntel) IP(a netip.Addr) (string, bool) { l, ok := f[a.String()]; return l, ok }

func TestBlocklistRaisesSeverity(t *testing.T) {
	e := New(defaults(t), Options{Year: 2026, Intel: fakeIntel{"203.0.113.12": "drop.txt"}})
	fs := scan(t, e, "Nov 26 07:00:01 h sshd[1]: Failed password for root from 203.0.113.12 port 1 ssh2\n")
	if len(fs) != 1 || fs[0].Intel != "drop.txt" || fs[0].Severity != threat.High || !fs[0].HasTag("blocklisted") {
		t.Fatalf("got %+v", fs)
	}
	if r, _ := e.rules.Rule(fs[0].Rule); r.HasTag("blocklisted") {
		t.Error("tagging a finding must not change the rule's tags")
	}
}

// Every line-shape the rules name appears in the JSON as inert text.
func TestEscapesInLogsStayText(t *testing.T) {
	e := New(defaults(t), Options{Year: 2026})
	fs := scan(t, e, "Nov 26 07:00:01 h sshd[1]: Invalid user \x1b]0;owned\x07\x1b[2J from 203.0.113.13 port 1\n")
	if len(fs) != 1 {
		t.Fatalf("got %d findings", len(fs))
	}
	out := string(fs[0].AppendJSON(nil))
	if strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `\u001b]0;owned\u0007`) {
		t.Errorf("JSON carries raw escapes: %q", out)
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{
		"Nov 26 07:00:01 h sshd[100]: Invalid user x from 10.66.66.66 port 22 from 203.0.113.5 port 5555",
		"Nov 26 07:00:01 h sshd[100]: Failed password for root from 203.0.113.5 port 1 ssh2",
		"Nov 26 07:00:01 h kernel: [1.2] [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.5 DST=192.0.2.1 LEN=1 PROTO=TCP SPT=1 DPT=2",
		"Nov 26 07:00:01 h hv-libvirt: crashed detail=x vm=y",
		"garbage \x00\xff",
	} {
		f.Add([]byte(s))
	}
	set := defaults(f)
	e := New(set, Options{Year: 2026})
	f.Fuzz(func(t *testing.T, b []byte) {
		e.Line(b, "fuzz", 1, func(fd threat.Finding) {
			if fd.IP != "" {
				if _, err := netip.ParseAddr(fd.IP); err != nil {
					t.Fatalf("finding with a bad address %q from %q", fd.IP, b)
				}
			}
			if fd.Rule == "" || fd.Kind == "" {
				t.Fatalf("incomplete finding %+v", fd)
			}
		})
	})
}
