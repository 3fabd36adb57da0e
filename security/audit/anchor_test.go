package audit

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestAnchorPath(t *testing.T) {
	for path, want := range map[string]string{
		SystemPath: "/var/lib/hyper-nixos/audit.anchor",
		"/var/log/hyper-nixos/../hyper-nixos/audit.log": "/var/lib/hyper-nixos/audit.anchor",
		"/home/ann/.local/state/hv/audit.log":           "/home/ann/.local/state/hv.anchor/audit.log",
		"/srv/trail/hv.log":                             "/srv/trail.anchor/hv.log",
	} {
		if got := AnchorPath(path); got != want {
			t.Errorf("AnchorPath(%s) = %s, want %s", path, got, want)
		}
	}
}

// TestAppendAnchorsInAFile: after every append the anchor file, outside
// the log's directory, names the last entry.
func TestAppendAnchorsInAFile(t *testing.T) {
	l := write(t, 3)
	entries, _ := l.Read()
	data, err := os.ReadFile(l.AnchorFile)
	if err != nil {
		t.Fatal(err)
	}
	var a Anchor
	if err := json.Unmarshal(data, &a); err != nil || a.Seq != 3 || a.Hash != entries[2].Hash || a.Time != entries[2].Time {
		t.Errorf("anchor %s (%v), want entry 3 %+v", data, err, entries[2])
	}
	if filepath.Dir(l.AnchorFile) == filepath.Dir(l.Path) {
		t.Errorf("the anchor %s is in the log's directory", l.AnchorFile)
	}
	if info, _ := os.Stat(l.AnchorFile); info.Mode().Perm() != 0o644 {
		t.Errorf("anchor mode %v", info.Mode())
	}
}

// listen is a fake journald: the datagrams sent to its socket.
func listen(t *testing.T, l *Log) <-chan []byte {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "journal.socket")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	l.journal.socket = sock
	got := make(chan []byte, 16)
	go func() {
		for {
			buf := make([]byte, 64<<10)
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			got <- buf[:n]
		}
	}()
	return got
}

// parseNative decodes journald's native protocol, both framings.
func parseNative(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			t.Fatalf("a field without its newline: %q", b)
		}
		line := b[:nl]
		if k, v, ok := bytes.Cut(line, []byte("=")); ok {
			out[string(k)] = string(v)
			b = b[nl+1:]
			continue
		}
		n := binary.LittleEndian.Uint64(b[nl+1 : nl+9])
		out[string(line)] = string(b[nl+9 : nl+9+int(n)])
		if b[nl+9+int(n)] != '\n' {
			t.Fatalf("a binary field not ended by a newline: %q", b)
		}
		b = b[nl+10+int(n):]
	}
	return out
}

// TestAppendAnchorsInTheJournal: each append sends journald one record in
// its native protocol, with the fields Verify reads back.
func TestAppendAnchorsInTheJournal(t *testing.T) {
	l := openHere(t)
	got := listen(t, l)
	e, err := l.Append(Entry{User: "alice", Action: "vm.start", Target: "web", Result: OK})
	if err != nil {
		t.Fatal(err)
	}
	f := parseNative(t, <-got)
	want := map[string]string{"SYSLOG_IDENTIFIER": "hv-audit", "HV_AUDIT_LOG": l.Path, "HV_AUDIT_SEQ": "1",
		"HV_AUDIT_HASH": e.Hash, "HV_AUDIT_TIME": e.Time, "PRIORITY": "6"}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s=%q, want %q", k, f[k], v)
		}
	}
	if !strings.Contains(f["MESSAGE"], "entry 1") {
		t.Errorf("MESSAGE=%q", f["MESSAGE"])
	}
}

// TestJournalFramesValuesWithNewlines: a value with a newline (a log path
// may hold one) goes in the binary framing, not as a forged second field.
func TestJournalFramesValuesWithNewlines(t *testing.T) {
	l := openHere(t)
	got := listen(t, l)
	if err := l.journal.send([][2]string{{"HV_AUDIT_LOG", "/tmp/x\nHV_AUDIT_SEQ=99"}, {"HV_AUDIT_SEQ", "1"}}); err != nil {
		t.Fatal(err)
	}
	f := parseNative(t, <-got)
	if f["HV_AUDIT_LOG"] != "/tmp/x\nHV_AUDIT_SEQ=99" || f["HV_AUDIT_SEQ"] != "1" || len(f) != 2 {
		t.Errorf("fields %q", f)
	}
}

func TestNoJournaldIsNoError(t *testing.T) {
	l := write(t, 1) // openHere: the socket does not exist
	if _, err := os.Stat(l.AnchorFile); err != nil {
		t.Errorf("without journald, the file anchor still: %v", err)
	}
}

// fakeJournalctl puts a journalctl on PATH that records its arguments and
// prints record (one JSON object per line, as journalctl -o json does).
func fakeJournalctl(t *testing.T, l *Log, record string) (args func() []string) {
	t.Helper()
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" >%s/args\ncat %s/record\n", dir, dir)
	os.WriteFile(filepath.Join(dir, "record"), []byte(record), 0o644)
	if err := os.WriteFile(filepath.Join(dir, "journalctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	l.journal.command = "journalctl"
	return func() []string {
		b, _ := os.ReadFile(filepath.Join(dir, "args"))
		return strings.Fields(string(b))
	}
}

func journalRecord(l *Log, e Entry) string {
	b, _ := json.Marshal(map[string]string{"MESSAGE": "x", "SYSLOG_IDENTIFIER": "hv-audit", "HV_AUDIT_LOG": l.Path,
		"HV_AUDIT_SEQ": fmt.Sprint(e.Seq), "HV_AUDIT_HASH": e.Hash, "HV_AUDIT_TIME": e.Time, "_UID": "0"})
	return string(b) + "\n"
}

// TestVerifyReadsTheJournal: Verify asks journalctl for the newest anchor
// of this log from root (or this user), and finds the tail it names gone.
func TestVerifyReadsTheJournal(t *testing.T) {
	l := write(t, 5)
	entries, _ := l.Read()
	args := fakeJournalctl(t, l, journalRecord(l, entries[4]))
	os.Remove(l.AnchorFile) // the journal alone
	rewrite(t, l, lines(t, l)[:4])
	_, err := l.Verify()
	var p *Problem
	if !errors.As(err, &p) || !strings.Contains(p.What, "the log ends at entry 4, but entry 5 was written (anchored at 2026-11-26T12:00:05Z in the journal): entry 5 was removed") {
		t.Errorf("Verify = %v", err)
	}
	a := strings.Join(args(), " ")
	for _, want := range []string{"-o json", "-n 1", "SYSLOG_IDENTIFIER=hv-audit", "HV_AUDIT_LOG=" + l.Path, "_UID=0"} {
		if !strings.Contains(a, want) {
			t.Errorf("journalctl %s: no %s", a, want)
		}
	}
}

func TestVerifyWithADamagedJournalAnchor(t *testing.T) {
	l := write(t, 2)
	fakeJournalctl(t, l, `{"SYSLOG_IDENTIFIER":"hv-audit","HV_AUDIT_SEQ":"two","HV_AUDIT_HASH":"00"}`+"\n")
	if _, err := l.Verify(); err == nil || !strings.Contains(err.Error(), "the journal's anchor is damaged") {
		t.Errorf("Verify = %v", err)
	}
}

// TestVerifyFindsTheTailTampered: what only an anchor can show.
func TestVerifyFindsTheTailTampered(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, l *Log)
		want   string
	}{
		{"the last entry removed", func(t *testing.T, l *Log) { rewrite(t, l, lines(t, l)[:4]) },
			"the log ends at entry 4, but entry 5 was written (anchored at 2026-11-26T12:00:05Z in %s): entry 5 was removed"},
		{"the last entries removed", func(t *testing.T, l *Log) { rewrite(t, l, lines(t, l)[:2]) },
			"the log ends at entry 2, but entry 5 was written (anchored at 2026-11-26T12:00:05Z in %s): entries 3..5 were removed"},
		{"emptied", func(t *testing.T, l *Log) { os.WriteFile(l.Path, nil, 0o640) },
			"the log is empty, but entry 5 was written (anchored at 2026-11-26T12:00:05Z in %s): entries 1..5 were removed"},
		{"deleted", func(t *testing.T, l *Log) { os.Remove(l.Path) },
			"the log is missing, but entry 5 was written (anchored at 2026-11-26T12:00:05Z in %s): it was deleted"},
		{"the tail replaced", func(t *testing.T, l *Log) {
			// Cut after entry 3 and append two others, chained: only the
			// anchor knows entry 5 was another one.
			rewrite(t, l, lines(t, l)[:3])
			forger := Open(l.Path)
			forger.AnchorFile, forger.journal = filepath.Join(t.TempDir(), "elsewhere"), journal{}
			for range 2 {
				forger.Append(Entry{User: "mallory", Action: "vm.start", Target: "x", Result: OK})
			}
		}, "entry 5 is not the one anchored at 2026-11-26T12:00:05Z in %s: it, or entries before it, were replaced and the chain recomputed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := write(t, 5)
			tt.tamper(t, l)
			_, err := l.Verify()
			var p *Problem
			want := fmt.Sprintf(tt.want, l.AnchorFile)
			if !errors.As(err, &p) || p.What != want || p.Line != 0 {
				t.Fatalf("Verify = %v\nwant %q", err, want)
			}
			if !strings.Contains(p.Fix(), "remove "+l.AnchorFile) || !strings.Contains(p.Fix(), "backup") {
				t.Errorf("fix: %q", p.Fix())
			}
			// And nothing is added to the log on top of it.
			if _, err := l.Append(Entry{User: "alice", Action: "vm.start", Result: OK}); err == nil || !strings.Contains(err.Error(), "refusing to add to it") {
				t.Errorf("Append on a tampered log: %v", err)
			}
		})
	}
}

// TestVerifyTakesTheHighestAnchor: a file anchor left behind (a writer
// that may not update it) raises no alarm, and the journal's, further on,
// still finds the tail removed.
func TestVerifyTakesTheHighestAnchor(t *testing.T) {
	l := write(t, 5)
	entries, _ := l.Read()
	behind, _ := json.Marshal(Anchor{Seq: 3, Hash: entries[2].Hash, Time: entries[2].Time})
	os.WriteFile(l.AnchorFile, behind, 0o644)
	if n, err := l.Verify(); err != nil || n != 5 {
		t.Fatalf("an anchor behind the log: Verify = %d, %v", n, err)
	}
	fakeJournalctl(t, l, journalRecord(l, entries[4]))
	rewrite(t, l, lines(t, l)[:4])
	if _, err := l.Verify(); err == nil || !strings.Contains(err.Error(), "in the journal): entry 5 was removed") {
		t.Errorf("Verify = %v", err)
	}
}

// TestVerifyAnEarlierEntryReplaced: an anchor behind the end still holds
// the hash of its entry.
func TestVerifyAnEarlierEntryReplaced(t *testing.T) {
	l := write(t, 3)
	anchor, _ := os.ReadFile(l.AnchorFile) // entry 3
	l.Append(Entry{User: "alice", Action: "vm.stop", Result: OK})
	ls := lines(t, l)
	rewrite(t, l, ls[:2])
	forger := Open(l.Path)
	forger.AnchorFile, forger.journal = filepath.Join(t.TempDir(), "elsewhere"), journal{}
	forger.Append(Entry{User: "mallory", Action: "vm.start", Result: OK})
	forger.Append(Entry{User: "mallory", Action: "vm.start", Result: OK})
	os.WriteFile(l.AnchorFile, anchor, 0o644)
	if _, err := l.Verify(); err == nil || !strings.Contains(err.Error(), "entry 3 is not the one anchored") {
		t.Errorf("Verify = %v", err)
	}
}

// TestVerifyNotAnchored: a log written before anchors (no anchor anywhere)
// is sound if its chain is, and Anchors says none vouches for it.
func TestVerifyNotAnchored(t *testing.T) {
	l := write(t, 3)
	os.Remove(l.AnchorFile)
	if n, err := l.Verify(); err != nil || n != 3 {
		t.Errorf("Verify = %d, %v", n, err)
	}
	if found, unread, err := l.Anchors(); len(found) != 0 || len(unread) != 0 || err != nil {
		t.Errorf("Anchors = %v, %v, %v", found, unread, err)
	}
	if _, err := l.Append(Entry{User: "alice", Action: "vm.start", Result: OK}); err != nil {
		t.Errorf("appending to a log not anchored yet: %v", err)
	}
	if found, _, _ := l.Anchors(); len(found) != 1 || found[0].Seq != 4 {
		t.Errorf("after an append: %+v", found)
	}
}

func TestVerifyADamagedAnchorFile(t *testing.T) {
	l := write(t, 2)
	os.WriteFile(l.AnchorFile, []byte("{}"), 0o644)
	if _, err := l.Verify(); err == nil || !strings.Contains(err.Error(), "the anchor file "+l.AnchorFile+" is damaged") {
		t.Errorf("Verify = %v", err)
	}
	if _, err := l.Append(Entry{}); err == nil {
		t.Error("Append over a damaged anchor succeeded")
	}
}

// TestAppendSaysWhenItCannotAnchor: the entry is written, and the error
// says it is not anchored.
func TestAppendSaysWhenItCannotAnchor(t *testing.T) {
	l := openHere(t)
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	l.AnchorFile = filepath.Join(file, "anchor") // under a file: cannot be made
	e, err := l.Append(Entry{User: "alice", Action: "vm.start", Result: OK})
	if err == nil || !strings.Contains(err.Error(), "entry 1 written, but not anchored") || e.Seq != 1 {
		t.Errorf("Append = %+v, %v", e, err)
	}
}

// TestConcurrentAppendersKeepChainAndAnchor: appenders in parallel (each
// its own open file, as separate processes have) keep one chain, and the
// anchor names its last entry.
func TestConcurrentAppendersKeepChainAndAnchor(t *testing.T) {
	l := openHere(t)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			mine := Open(l.Path)
			mine.journal = l.journal
			for i := range 10 {
				if _, err := mine.Append(Entry{User: fmt.Sprint("u", w), Action: "vm.start", Target: fmt.Sprint(i), Result: OK}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n, err := l.Verify(); err != nil || n != 80 {
		t.Fatalf("Verify = %d, %v", n, err)
	}
	found, _, _ := l.Anchors()
	entries, _ := l.Read()
	if len(found) != 1 || found[0].Seq != 80 || found[0].Hash != entries[79].Hash {
		t.Errorf("anchor %+v, want entry 80", found)
	}
}
