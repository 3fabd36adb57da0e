// Package audit is the audit trail: an append-only, hash-chained log of
// every state-changing action (who, what, target, result, time). Each entry
// carries the hash of the one before, so Verify finds an entry edited,
// removed or moved, and says where; and each is anchored outside the file
// (the journal, an anchor file), so Verify also finds the last entries
// removed, the log emptied or deleted.
package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Entry is one audited action. Times are RFC 3339 strings: the log is read
// by tools that should not need to agree on a binary time format.
type Entry struct {
	Seq    uint64 `json:"seq"`
	Time   string `json:"time"`
	User   string `json:"user"`
	Where  string `json:"where"`  // the connection: a URI or the demo host
	Action string `json:"action"` // e.g. vm.start, vm.snapshot.revert
	Target string `json:"target"` // what it acted on, e.g. a VM's name
	Result string `json:"result"` // ok, failed, refused, cancelled; for an answer: confirmed, declined, wrong name
	Error  string `json:"error,omitempty"`
	Note   string `json:"note,omitempty"` // e.g. how an answer was given: "--yes"
	Prev   string `json:"prev"`           // hash of the previous entry ("" for the first)
	Hash   string `json:"hash"`           // hash of this entry without this field
}

// Results.
const (
	OK      = "ok"
	Failed  = "failed"
	Refused = "refused"
	// Cancelled: the operator stopped it before the end (a copy: nothing kept).
	Cancelled = "cancelled"
	// The answers to a dangerous question (TUI and CLI alike).
	Confirmed = "confirmed"
	Declined  = "declined"
	WrongName = "wrong name"
)

// Time is when e happened.
func (e Entry) When() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, e.Time)
	return t
}

// hash is the SHA-256 of the entry with Hash empty, as hex.
func (e Entry) hash() string {
	e.Hash = ""
	b, _ := json.Marshal(e)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Log is an audit log file.
type Log struct {
	Path       string
	AnchorFile string // the anchor kept outside the log (AnchorPath)
	abs        string // Path made absolute: the journal's key
	journal    journal
	now        func() time.Time
}

// SystemPath is where the NixOS module keeps the trail: a directory the
// operators group may append to, with the file marked append-only.
const SystemPath = "/var/log/hyper-nixos/audit.log"

// Open returns the log at path (created on first append), anchored in the
// system journal and in AnchorPath(path).
func Open(path string) *Log {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return &Log{Path: path, AnchorFile: AnchorPath(abs), abs: abs, journal: systemJournal, now: time.Now}
}

// Append adds an entry, chaining it to the last one, and anchors it. The
// file is opened for appending only and locked, so concurrent hv processes
// keep the chain and the anchor follows it. A log behind its anchor (its
// last entries removed, emptied, replaced) is not added to: the entry
// would hide what happened.
func (l *Log) Append(e Entry) (Entry, error) {
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o750); err != nil {
		return Entry{}, fmt.Errorf("audit log: %w", err)
	}
	f, err := os.OpenFile(l.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return Entry{}, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return Entry{}, fmt.Errorf("audit log: lock: %w", err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	last, err := l.last()
	if err != nil {
		return Entry{}, err
	}
	a, ok, err := l.fileAnchor()
	var p *Problem
	if ok {
		p = a.against(true, last, nil)
	}
	if p != nil || errors.As(err, &p) {
		return Entry{}, fmt.Errorf("audit log %s: %w; refusing to add to it", l.Path, l.broken(p))
	}
	e.Seq, e.Prev = last.Seq+1, last.Hash
	if e.Time == "" {
		e.Time = l.now().UTC().Format(time.RFC3339Nano)
	}
	e.Hash = e.hash()
	line, _ := json.Marshal(e)
	if _, err := f.Write(append(line, '\n')); err != nil {
		return Entry{}, fmt.Errorf("audit log: %w", err)
	}
	if err := f.Sync(); err != nil {
		return e, fmt.Errorf("audit log: %w", err)
	}
	return e, l.anchor(e)
}

// last reads the final entry, from the file's tail only.
func (l *Log) last() (Entry, error) {
	f, err := os.Open(l.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return Entry{}, nil
	}
	if err != nil {
		return Entry{}, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Entry{}, err
	}
	const tail = 64 << 10
	off := max(info.Size()-tail, 0)
	buf := make([]byte, info.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
		return Entry{}, err
	}
	buf = bytes.TrimRight(buf, "\n")
	if len(buf) == 0 {
		return Entry{}, nil
	}
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		buf = buf[i+1:]
	}
	var e Entry
	if err := json.Unmarshal(buf, &e); err != nil {
		return Entry{}, fmt.Errorf("audit log %s: its last line is damaged (%v): run 'hv audit verify'", l.Path, err)
	}
	return e, nil
}

// Read returns every entry, oldest first. A line that is not an entry is
// an error naming its line number.
func (l *Log) Read() ([]Entry, error) {
	f, err := os.Open(l.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return out, &Problem{Line: n, Seq: 0, What: "line " + fmt.Sprint(n) + " is not an audit entry"}
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// PathEnv overrides where the trail is kept.
const PathEnv = "HV_AUDIT_LOG"

// DefaultPath picks the trail: $HV_AUDIT_LOG, else the system log when its
// directory exists (the NixOS module creates it), else a file in the
// user's state directory, where it still records what this user did.
func DefaultPath(stateDir string) string {
	if p := os.Getenv(PathEnv); p != "" {
		return p
	}
	if info, err := os.Stat(filepath.Dir(SystemPath)); err == nil && info.IsDir() {
		return SystemPath
	}
	return filepath.Join(stateDir, "audit.log")
}
