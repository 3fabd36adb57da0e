package threat

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unsafe"
)

func TestAppendJSONIsValidAndInert(t *testing.T) {
	f := Finding{Line: 7, Rule: "ssh.failed-auth", Severity: Low, Tags: []string{"ssh", TagAuthFailure}, Kind: KindMatch,
		IP: "203.0.113.5", User: "x\x1b]0;pwned\x07\x1b[31m\u009b2J\"\\\xff", Evidence: "Failed password for \x1b[2J"}
	b := f.AppendJSON(nil)
	for _, r := range string(b) {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cc, r) {
			t.Fatalf("output carries control %U: %q", r, b)
		}
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	if back["line"].(float64) != 7 || back["rule"] != "ssh.failed-auth" || back["severity"] != "low" || back["ip"] != "203.0.113.5" {
		t.Errorf("fields wrong: %v", back)
	}
	if !strings.HasPrefix(back["user"].(string), "x\x1b]0;pwned") {
		t.Errorf("the user should decode back to the original text, got %q", back["user"])
	}
	if _, has := back["vm"]; has {
		t.Error("empty fields are left out")
	}
}

// plain8 agrees with the byte table: every byte value at every position
// of a plain background, and random mixes.
func TestPlain8(t *testing.T) {
	ref := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if !plain[s[i]] {
				return false
			}
		}
		return true
	}
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			if got, want := plain8(string(b)), ref(string(b)); got != want {
				t.Fatalf("%q: %v, want %v", b, got, want)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var b [8]byte
		for i := range b {
			b[i] = byte(r.IntN(256))
			if r.IntN(3) > 0 {
				b[i] = byte(0x20 + r.IntN(0x60))
			}
		}
		if got, want := plain8(string(b[:])), ref(string(b[:])); got != want {
			t.Fatalf("%q: %v, want %v", b, got, want)
		}
	}
}

// The encoder writes what AppendJSON writes, also when findings of one
// rule differ in any of what the rule usually decides (a threshold, a
// blocklisted address, a caller's changes) or in what usually repeats.
func TestJSONEncoderMatchesAppendJSON(t *testing.T) {
	match := Finding{Line: 3, Rule: "ssh.failed-auth", Title: "SSH authentication failed", Severity: High, Kind: KindMatch,
		Tags: []string{"ssh", TagAuthFailure}, IP: "203.0.113.5", Service: "ssh", MITRE: "T1110", Source: "auth.log",
		Time: time.Date(2026, 11, 1, 0, 0, 4, 0, time.UTC), Evidence: "Failed password for root from 203.0.113.5 port 2 ssh2"}
	kind, sev, title, tag, listed, other := match, match, match, match, match, match
	zone, service, mitre, source := match, match, match, match
	zone.Time = match.Time.In(time.FixedZone("", 3600))
	service.Service, mitre.MITRE, source.Source = "cockpit", "", "other.log"
	kind.Kind, kind.Count = KindThreshold, 5
	sev.Severity = Critical
	title.Title = "SSH brute force"
	tag.Tags = []string{"ssh", "scan"}
	listed.Intel, listed.Tags = "firehol", append(slices.Clone(match.Tags), "blocklisted")
	other.Rule, other.Title, other.User, other.Time = "ssh.invalid-user", "Invalid \"user\"\x1b", "nagios", time.Time{}
	all := []Finding{match, kind, sev, title, tag, listed, other, zone, service, mitre, source}
	var e JSONEncoder
	for i, f := range append(all, all...) {
		if got, want := string(e.Append(nil, &f)), string(f.AppendJSON(nil)); got != want {
			t.Fatalf("finding %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// A field taken from a line that is then read over (a transient scan) is
// not mistaken for a repeat of its old value: the encoder keeps its own
// copy of what it encoded.
func TestJSONEncoderKeepsNoTransientText(t *testing.T) {
	line := []byte("sshd")
	var e JSONEncoder
	first := Finding{Rule: "r", Service: unsafe.String(&line[0], len(line))}
	e.Append(nil, &first)
	copy(line, "cron") // the next line, read into the same buffer
	got := string(e.Append(nil, &Finding{Rule: "r", Service: "cron"}))
	if !strings.Contains(got, `"service":"cron"`) {
		t.Errorf("after the line was read over: %s", got)
	}
}
