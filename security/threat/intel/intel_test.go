package intel

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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

// Plain lists, CIDR ranges, FireHOL netsets and both forms of Spamhaus
// DROP read alike; a list not downloaded yet is empty.
func TestLookups(t *testing.T) {
	dir := t.TempDir()
	drop := write(t, dir, "spamhaus-drop.txt", "; Spamhaus DROP List 2026/11/26\n203.0.113.0/24 ; SBL1\n198.51.100.7\n2001:db8::/32\n")
	netset := write(t, dir, "firehol_level1.netset", "#\n# firehol_level1\n#\n192.0.2.128/25\n")
	jsonDrop := write(t, dir, "drop_v4.json", `{"cidr":"100.64.0.0/10","sblid":"SBL2","rir":"arin"}`+"\n"+`{"type":"metadata","timestamp":1795000000,"size":1}`+"\n")
	l, err := LoadFiles(drop, netset, jsonDrop, filepath.Join(dir, "not-downloaded-yet.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{"203.0.113.77": "spamhaus-drop.txt", "198.51.100.7": "spamhaus-drop.txt", "198.51.100.8": "",
		"::ffff:203.0.113.1": "spamhaus-drop.txt", "2001:db8::5": "spamhaus-drop.txt", "2001:db9::5": "", "192.0.2.200": "firehol_level1.netset",
		"192.0.2.1": "", "100.100.1.1": "drop_v4.json"} {
		name, ok := l.IP(netip.MustParseAddr(addr))
		if ok != (want != "") || name != want {
			t.Errorf("IP(%s) = %q, %v; want %q", addr, name, ok, want)
		}
	}
	if l.Entries["spamhaus-drop.txt"] != 3 || l.Entries["drop_v4.json"] != 1 {
		t.Errorf("entries %v", l.Entries)
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

// Feeds download from a local server the test runs: a good list replaces
// the last one, a failed or garbled download keeps it and says why.
func TestFeedUpdate(t *testing.T) {
	body, status := "203.0.113.0/24\n198.51.100.7\n", http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	defer srv.Close()
	dir := t.TempDir()
	f, err := ParseFeed("firehol_level1=" + srv.URL + "/firehol_level1.netset")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if n, err := Update(ctx, srv.Client(), dir, f); err != nil || n != 2 {
		t.Fatalf("update: %d %v", n, err)
	}
	st, _ := Status(dir)
	if len(st) != 1 || st[0].Name != "firehol_level1" || st[0].Entries != 2 || time.Since(st[0].Updated) > time.Minute || st[0].Err != "" {
		t.Fatalf("status %+v", st)
	}
	for _, bad := range []struct {
		body   string
		status int
		why    string
	}{{"", http.StatusBadGateway, "502"}, {"<html>oops</html>\n", http.StatusOK, "not an IP address"}, {"# nothing\n", http.StatusOK, "holds no address"}} {
		body, status = bad.body, bad.status
		if _, err := Update(ctx, srv.Client(), dir, f); err == nil || !strings.Contains(err.Error(), bad.why) {
			t.Errorf("%q: %v", bad.why, err)
		}
		st, _ := Status(dir)
		if len(st) != 1 || st[0].Entries != 2 || !strings.Contains(st[0].Err, bad.why) {
			t.Errorf("after a failed download the last list stays and the failure shows: %+v", st)
		}
		l, _ := LoadFiles(f.Path(dir))
		if _, ok := l.IP(netip.MustParseAddr("198.51.100.7")); !ok {
			t.Error("the last good list is gone")
		}
	}
	body, status = "192.0.2.1\n", http.StatusOK
	if _, err := Update(ctx, srv.Client(), dir, f); err != nil {
		t.Fatal(err)
	}
	if st, _ := Status(dir); st[0].Err != "" || st[0].Entries != 1 {
		t.Errorf("a good download clears the failure: %+v", st)
	}
	for _, s := range []string{"x", "Bad=https://x", "a=ftp://x", "a b=https://x"} {
		if _, err := ParseFeed(s); err == nil {
			t.Errorf("ParseFeed(%q) accepted", s)
		}
	}
}
