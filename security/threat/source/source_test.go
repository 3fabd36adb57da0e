package source

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/demo"
)

func TestParseJournalEntry(t *testing.T) {
	line := `{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1795676401000000","_HOSTNAME":"hv1","SYSLOG_IDENTIFIER":"sshd-session","_PID":"812","MESSAGE":"Failed password for root from 203.0.113.5 port 22 ssh2"}`
	r, cur, err := ParseJournalEntry([]byte(line))
	if err != nil || cur != "s=1;i=2" || r.Program != "sshd-session" || r.PID != 812 || r.Host != "hv1" ||
		!strings.HasPrefix(r.Message, "Failed password") || r.Time.Unix() != 1795676401 {
		t.Fatalf("got %+v %q %v", r, cur, err)
	}
	// Non-UTF-8 messages arrive as byte arrays, escapes included.
	line = `{"__CURSOR":"c","SYSLOG_IDENTIFIER":"sshd","_PID":"1","MESSAGE":[73,110,118,27,91,50,74,255]}`
	r, _, err = ParseJournalEntry([]byte(line))
	if err != nil || r.Message != "Inv\x1b[2J\xff" {
		t.Fatalf("got %q %v", r.Message, err)
	}
	if _, _, err := ParseJournalEntry([]byte(`{"MESSAGE":{}}`)); err == nil {
		t.Error("a malformed entry must be an error")
	}
}

// The journal source resumes after the saved cursor: a stand-in
// journalctl prints what it was asked, so the test sees the arguments.
func TestJournalPassesCursor(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "journalctl")
	os.WriteFile(script, []byte("#!/bin/sh\nfor a; do case $a in --after-cursor=*) c=${a#--after-cursor=};; esac; done\n"+
		`printf '{"__CURSOR":"next","SYSLOG_IDENTIFIER":"sshd","_PID":"5","MESSAGE":"after %s"}\n' "$c"`+"\n"), 0o755)
	j := &Journal{Cursor: "s=saved", Command: []string{script}}
	out := make(chan Item, 4)
	if err := j.Run(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	it := <-out
	if it.Record.Message != "after s=saved" || it.Position != "next" || j.Cursor != "next" {
		t.Errorf("got %+v cursor %q", it.Record, j.Cursor)
	}
}

func TestFileFollowsRotationAndTruncation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	os.WriteFile(path, []byte("old line before start\n"), 0o600)
	f := &File{Path: path, Poll: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan Item, 16)
	go f.Run(ctx, out)
	next := func() string {
		t.Helper()
		select {
		case it := <-out:
			return string(it.Line)
		case <-time.After(3 * time.Second):
			t.Fatal("no line")
			return ""
		}
	}
	appendTo := func(p, s string) {
		h, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
		h.WriteString(s)
		h.Close()
	}
	time.Sleep(50 * time.Millisecond)
	appendTo(path, "one\ntw")
	if got := next(); got != "one" {
		t.Fatalf("got %q: a followed file starts at its end", got)
	}
	appendTo(path, "o\n")
	if got := next(); got != "two" {
		t.Fatalf("a line written in two parts: got %q", got)
	}
	// Rotation: the last line of the old file is still read, then the new file.
	appendTo(path, "three\n")
	os.Rename(path, path+".1")
	appendTo(path+".1", "four\n")
	appendTo(path, "five\n")
	for _, want := range []string{"three", "four", "five"} {
		if got := next(); got != want {
			t.Fatalf("after rotation got %q, want %q", got, want)
		}
	}
	// Truncation: read again from the start.
	os.WriteFile(path, []byte("six\n"), 0o600)
	if got := next(); got != "six" {
		t.Fatalf("after truncation got %q", got)
	}
}

func TestFileResumesFromPosition(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l")
	os.WriteFile(path, []byte("a\nb\n"), 0o600)
	f := &File{Path: path, Poll: 10 * time.Millisecond, FromStart: true}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Item, 8)
	go f.Run(ctx, out)
	first := <-out
	cancel()
	os.WriteFile(path, []byte("a\nb\nc\n"), 0o600) // same inode, grown
	f2 := &File{Path: path, Position: first.Position, Poll: 10 * time.Millisecond}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	out2 := make(chan Item, 8)
	go f2.Run(ctx2, out2)
	if got := string((<-out2).Line); got != "b" {
		t.Errorf("resumed at %q, want the line after the saved position", got)
	}
}

func TestEventRecordPutsTheNameLast(t *testing.T) {
	r := EventRecord(vm.Event{Kind: vm.EventCrashed, Name: "x detail=fake vm=other", Detail: "guest panicked"})
	if r.Program != EventProgram || r.Message != "crashed detail=guest panicked vm=x detail=fake vm=other" {
		t.Errorf("got %q", r.Message)
	}
}

// A VM defined after the metrics source started is watched from its
// first sample.
func TestMetricsWatchNewVMs(t *testing.T) {
	ctx := context.Background()
	hv, err := demo.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hv.Close()
	m := &Metrics{HV: hv}
	if _, err := m.Sample(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := hv.Define(ctx, vm.Spec{Name: "hv-new-vm", VCPUs: 1, MemoryMiB: 64})
	if err != nil {
		t.Fatal(err)
	}
	if err := hv.Start(ctx, v.UUID); err != nil {
		t.Fatal(err)
	}
	seen := func() bool {
		pts, err := m.Sample(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pts {
			if p.VM == "hv-new-vm" {
				return true
			}
		}
		return false
	}
	seen() // the first reading of the new VM: no rate yet
	if !seen() {
		t.Error("a VM defined after the first sample is never watched")
	}
}
