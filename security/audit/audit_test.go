package audit

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, n int) *Log {
	t.Helper()
	l := openHere(t)
	clock := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	for i := range n {
		if _, err := l.Append(Entry{User: "alice", Where: "qemu:///system", Action: "vm.start", Target: "web-0" + string(rune('1'+i)), Result: OK}); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// openHere opens a log in a temporary directory, anchored in its own file
// only: no journal (anchor_test.go fakes one where it is the subject).
func openHere(t *testing.T) *Log {
	t.Helper()
	dir := t.TempDir()
	l := Open(filepath.Join(dir, "log", "audit.log"))
	l.journal = journal{socket: filepath.Join(dir, "no-journald"), command: filepath.Join(dir, "no-journalctl")}
	return l
}

func lines(t *testing.T, l *Log) []string {
	t.Helper()
	b, err := os.ReadFile(l.Path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

func rewrite(t *testing.T, l *Log, ls []string) {
	t.Helper()
	if err := os.WriteFile(l.Path, []byte(strings.Join(ls, "\n")+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
}

func TestChainIsIntact(t *testing.T) {
	l := write(t, 5)
	n, err := l.Verify()
	if err != nil || n != 5 {
		t.Fatalf("Verify = %d, %v", n, err)
	}
	entries, _ := l.Read()
	if entries[0].Seq != 1 || entries[4].Seq != 5 || entries[4].Prev != entries[3].Hash || entries[0].Time != "2026-11-26T12:00:01Z" {
		t.Errorf("entries: %+v", entries)
	}
}

func TestVerifyFindsEachKindOfTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func([]string) []string
		line   int
		want   string
	}{
		{"edited", func(ls []string) []string {
			ls[2] = strings.Replace(ls[2], `"result":"ok"`, `"result":"failed"`, 1)
			return ls
		}, 3, "entry 3 was edited"},
		{"removed from the middle", func(ls []string) []string { return append(ls[:2:2], ls[3:]...) }, 3, "entries 3 to 3 are missing"},
		{"removed from the start", func(ls []string) []string { return ls[2:] }, 1, "starts at entry 3"},
		{"reordered", func(ls []string) []string { ls[1], ls[2] = ls[2], ls[1]; return ls }, 2, "entry 2 is at line 3: entries were moved"},
		{"moved to the end", func(ls []string) []string { return append(append(ls[:1:1], ls[2:]...), ls[1]) }, 2, "entries were moved"},
		{"replaced with a forged chain link", func(ls []string) []string {
			// An entry recomputed to hash correctly but not chained.
			forged := Entry{Seq: 3, Time: "2026-11-26T12:00:03Z", User: "mallory", Action: "vm.start", Target: "x", Result: OK, Prev: "00"}
			forged.Hash = forged.hash()
			b, _ := json.Marshal(forged)
			ls[2] = string(b)
			return ls
		}, 3, "does not follow entry 2"},
		{"garbage line", func(ls []string) []string { ls[1] = "not json"; return ls }, 2, "not an audit entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := write(t, 5)
			rewrite(t, l, tt.tamper(lines(t, l)))
			_, err := l.Verify()
			var p *Problem
			if !errors.As(err, &p) || p.Line != tt.line || !strings.Contains(p.What, tt.want) {
				t.Errorf("Verify = %v; want a problem at line %d saying %q", err, tt.line, tt.want)
			}
		})
	}
}

func TestAppendChainsAfterExistingEntries(t *testing.T) {
	l := write(t, 2)
	again := Open(l.Path) // another process
	again.journal = l.journal
	e, err := again.Append(Entry{User: "bob", Action: "vm.pause", Target: "db", Result: OK})
	if err != nil || e.Seq != 3 {
		t.Fatalf("Append = %+v, %v", e, err)
	}
	if _, err := again.Verify(); err != nil {
		t.Errorf("Verify after a second writer: %v", err)
	}
}

func TestUnwritablePathSaysSo(t *testing.T) {
	// A directory that is a file: not even root can create the log there.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	_, err := Open(filepath.Join(file, "audit.log")).Append(Entry{})
	if err == nil || !strings.Contains(err.Error(), "audit log") {
		t.Errorf("got %v", err)
	}
}
