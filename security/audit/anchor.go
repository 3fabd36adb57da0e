package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/renameio/v2"
)

// Anchor is the last entry of the log at some moment, recorded outside it:
// proof that the log once held this entry, so a removed tail, an emptied
// or a deleted log are found. Every Append writes one to the journal (when
// journald runs) and to the anchor file.
type Anchor struct {
	Seq    uint64 `json:"seq"`
	Hash   string `json:"hash"`
	Time   string `json:"time"` // the entry's time
	Source string `json:"-"`    // where it was read: "the journal" or the file's path
}

// SystemAnchorPath is the anchor file of SystemPath: in root's state
// directory, which operators may not write, not next to the log.
const SystemAnchorPath = "/var/lib/hyper-nixos/audit.anchor"

// AnchorPath is where the anchor file of the log at path is kept:
// SystemAnchorPath for the system log; for DIR/NAME elsewhere, DIR.anchor/NAME,
// a directory of its own beside the log's (e.g. ~/.local/state/hv.anchor/audit.log
// for ~/.local/state/hv/audit.log), so that a directory whose files can be
// removed still leaves the anchor.
func AnchorPath(path string) string {
	if filepath.Clean(path) == SystemPath {
		return SystemAnchorPath
	}
	dir := filepath.Dir(filepath.Clean(path))
	return filepath.Join(dir+".anchor", filepath.Base(path))
}

func (a Anchor) String() string {
	at := a.Time
	if t, err := time.Parse(time.RFC3339Nano, a.Time); err == nil {
		at = t.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("anchored at %s in %s", at, a.Source)
}

// anchor records e, just appended, as the log's newest anchor. The journal
// is best effort (the file stands in); the file is written atomically.
// Whoever may append may anchor: the system trail's writer is the hv
// daemon (root), a user's own trail has its anchor beside it.
func (l *Log) anchor(e Entry) error {
	l.journal.anchor(l.abs, e)
	data, _ := json.Marshal(Anchor{Seq: e.Seq, Hash: e.Hash, Time: e.Time})
	err := os.MkdirAll(filepath.Dir(l.AnchorFile), 0o755)
	if err == nil {
		// Readable by all: it tells the number of entries and the last
		// one's time and hash, nothing of what was done; and operators' hv
		// checks it before appending.
		err = renameio.WriteFile(l.AnchorFile, append(data, '\n'), 0o644, renameio.WithTempDir(filepath.Dir(l.AnchorFile)))
	}
	if err != nil {
		return fmt.Errorf("audit log: entry %d written, but not anchored: %w", e.Seq, err)
	}
	return nil
}

// fileAnchor reads the anchor file; ok is false when there is none or it
// may not be read.
func (l *Log) fileAnchor() (a Anchor, ok bool, err error) {
	data, err := os.ReadFile(l.AnchorFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Anchor{}, false, nil
	case err != nil:
		return Anchor{}, false, err
	}
	if err := json.Unmarshal(data, &a); err != nil || a.Seq == 0 || a.Hash == "" {
		return Anchor{}, false, &Problem{What: fmt.Sprintf("the anchor file %s is damaged: it was written by something else than hv", l.AnchorFile),
			Hint: "compare the log with a backup; if it is sound, remove " + l.AnchorFile + ": the next entry anchors it again"}
	}
	a.Source = l.AnchorFile
	return a, true, nil
}

// Anchors reads every anchor of the log: the journal's newest and the
// file's. unread lists the sources that exist but could not be read (no
// right to, a journal that fails): weaker checking, not tampering. A
// damaged anchor is a *Problem.
func (l *Log) Anchors() (found []Anchor, unread []error, err error) {
	for _, read := range []func() (Anchor, bool, error){l.fileAnchor, func() (Anchor, bool, error) { return l.journal.newest(l.abs) }} {
		a, ok, rerr := read()
		var p *Problem
		switch {
		case errors.As(rerr, &p):
			return found, unread, rerr
		case rerr != nil:
			unread = append(unread, rerr)
		case ok:
			found = append(found, a)
		}
	}
	return found, unread, nil
}

// broken completes p, found by an anchor, with what to do.
func (l *Log) broken(p *Problem) *Problem {
	if p.Hint != "" {
		return p
	}
	p.Hint = "restore the log from a backup and find out who changed it (journalctl SYSLOG_IDENTIFIER=" + journalID +
		" lists every anchor); if it was reset on purpose, remove " + l.AnchorFile + ": the next entry anchors the new log"
	return p
}

// against says what a finds wrong with the log: present (whether the file
// exists), with last its last entry (Seq 0: none) and hashAt the hash of
// an earlier entry (nil: not known); nil is nothing wrong. An anchor behind
// the log's end vouches for the entries up to its own.
func (a Anchor) against(present bool, last Entry, hashAt func(seq uint64) string) *Problem {
	written := fmt.Sprintf("entry %d was written (%s)", a.Seq, a)
	p := &Problem{Seq: a.Seq}
	switch {
	case !present:
		p.What = "the log is missing, but " + written + ": it was deleted"
	case last.Seq == 0:
		p.What = "the log is empty, but " + written + ": " + removed(1, a.Seq)
	case a.Seq > last.Seq:
		p.What = fmt.Sprintf("the log ends at entry %d, but %s: %s", last.Seq, written, removed(last.Seq+1, a.Seq))
	case a.Seq == last.Seq && a.Hash != last.Hash, a.Seq < last.Seq && hashAt != nil && hashAt(a.Seq) != a.Hash:
		p.What = fmt.Sprintf("entry %d is not the one %s: it, or entries before it, were replaced and the chain recomputed", a.Seq, a)
	default:
		return nil
	}
	return p
}

func removed(from, to uint64) string {
	if from == to {
		return fmt.Sprintf("entry %d was removed", from)
	}
	return fmt.Sprintf("entries %d..%d were removed", from, to)
}

// Anchoring says which anchors vouch for a sound log of n entries, and
// which could not be read, for people.
func (l *Log) Anchoring(n int) string {
	anchors, unread, _ := l.Anchors()
	var says []string
	for _, a := range anchors {
		says = append(says, fmt.Sprintf("entry %d in %s", a.Seq, a.Source))
	}
	out := "anchored: " + strings.Join(says, ", ")
	switch {
	case len(anchors) == 0 && n == 0:
		out = "nothing to anchor yet"
	case len(anchors) == 0:
		out = "not anchored (written by an hv older than anchors, or by a process that may not write " + l.AnchorFile +
			"): a removed last entry would go unnoticed"
	}
	for _, err := range unread {
		out += "; not read: " + err.Error()
	}
	return out
}
