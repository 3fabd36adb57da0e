package intel

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLookups(t *testing.T) {
	dir := t.TempDir()
	sum := strings.Repeat("ab", 32)
	p := write(t, dir, "spamhaus-drop.txt", "# comment\n203.0.113.0/24 ; SBL1\n198.51.100.7\n2001:db8::/32\n"+strings.ToUpper(sum)+"\n")
	l, err := LoadFiles(p)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{"203.0.113.77": true, "198.51.100.7": true, "198.51.100.8": false,
		"::ffff:203.0.113.1": true, "2001:db8::5": true, "2001:db9::5": false} {
		name, ok := l.IP(netip.MustParseAddr(addr))
		if ok != want || ok && name != "spamhaus-drop.txt" {
			t.Errorf("IP(%s) = %q, %v; want listed=%v", addr, name, ok, want)
		}
	}
	if _, ok := l.Hash(sum); !ok {
		t.Error("hash not found (case must not matter)")
	}
	f := write(t, dir, "evil.bin", "evil")
	write(t, dir, "hashes.txt", "")
	l2, _ := LoadFiles(p)
	if s, _, ok, err := l2.File(f); err != nil || ok || len(s) != 64 {
		t.Errorf("File = %q %v %v", s, ok, err)
	}
}

func TestBadLineNamesFileAndLine(t *testing.T) {
	p := write(t, t.TempDir(), "bad.txt", "1.2.3.4\nnot-an-ip\n")
	_, err := LoadFiles(p)
	if err == nil || !strings.Contains(err.Error(), "bad.txt:2") {
		t.Errorf("got %v", err)
	}
}

func TestReloadKeepsOldListsOnError(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "l.txt", "192.0.2.1\n")
	s, err := NewStore(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.IP(netip.MustParseAddr("192.0.2.1")); !ok {
		t.Fatal("not loaded")
	}
	write(t, dir, "l.txt", "192.0.2.2\n")
	os.Chtimes(p, time.Now().Add(time.Minute), time.Now().Add(time.Minute))
	if changed, err := s.ReloadIfChanged(); !changed || err != nil {
		t.Fatalf("reload: %v %v", changed, err)
	}
	if _, ok := s.IP(netip.MustParseAddr("192.0.2.2")); !ok {
		t.Error("the new list is not in force")
	}
	write(t, dir, "l.txt", "garbage\n")
	os.Chtimes(p, time.Now().Add(2*time.Minute), time.Now().Add(2*time.Minute))
	if _, err := s.ReloadIfChanged(); err == nil {
		t.Error("a bad list should be reported")
	}
	if _, ok := s.IP(netip.MustParseAddr("192.0.2.2")); !ok {
		t.Error("a failed reload must keep the previous lists")
	}
}
