package audit

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
)

// Problem is where the trail is broken.
type Problem struct {
	Line int    // 1-based line of the file; 0 when found by an anchor
	Seq  uint64 // the entry's sequence number, when readable
	What string
	Hint string // what to do, when there is more to say than "look"
}

func (p *Problem) Error() string {
	if p.Line == 0 {
		return "audit log broken: " + p.What
	}
	return fmt.Sprintf("audit log broken at line %d: %s", p.Line, p.What)
}

// Fix is what to do about it.
func (p *Problem) Fix() string { return p.Hint }

// Verify checks the whole chain, then the log against its anchors, and
// returns the number of entries checked, or the first problem: an edited
// entry (its hash no longer matches), a removed one (a gap in the numbers
// or a broken link), entries moved (numbers out of order); then the last
// entries removed, the log emptied or deleted, or its tail replaced (an
// anchor names an entry the log no longer has, or one with another hash).
//
// Every anchor found is checked, the highest first: each is the proof that
// the log once held its entry, and one that is behind (the journal rotated
// away, a writer without the right to update the file) vouches for less
// but never raises a false alarm. So a tamperer must forge all of them:
// the journal's, which only root or the log's own user can write, and the
// file, which only root can write for the system log.
func (l *Log) Verify() (int, error) {
	entries, err := l.Read()
	if err != nil {
		var p *Problem
		if errors.As(err, &p) {
			return len(entries), err
		}
		return 0, err
	}
	if n, err := chain(entries); err != nil {
		return n, err
	}
	anchors, _, err := l.Anchors()
	var p *Problem
	if errors.As(err, &p) {
		return len(entries), l.broken(p)
	}
	_, statErr := os.Stat(l.Path)
	present := !errors.Is(statErr, fs.ErrNotExist)
	var last Entry
	if len(entries) > 0 {
		last = entries[len(entries)-1]
	}
	// The chain is intact, so entry n is at index n-1.
	hashAt := func(seq uint64) string { return entries[seq-1].Hash }
	// The highest first; on a tie the file, read first, speaks.
	slices.SortStableFunc(anchors, func(a, b Anchor) int { return cmp.Compare(b.Seq, a.Seq) })
	for _, a := range anchors {
		if p := a.against(present, last, hashAt); p != nil {
			return len(entries), l.broken(p)
		}
	}
	return len(entries), nil
}

// chain checks the entries' hashes, numbers and links.
func chain(entries []Entry) (int, error) {
	lineOf := make(map[uint64]int, len(entries))
	for i, e := range entries {
		if _, dup := lineOf[e.Seq]; !dup {
			lineOf[e.Seq] = i + 1
		}
	}
	var prev Entry
	for i, e := range entries {
		line := i + 1
		switch {
		case e.Hash != e.hash():
			return i, &Problem{Line: line, Seq: e.Seq, What: fmt.Sprintf("entry %d was edited (its hash does not match its content)", e.Seq)}
		case i == 0 && (e.Seq != 1 || e.Prev != ""):
			return i, &Problem{Line: line, Seq: e.Seq, What: fmt.Sprintf("the log starts at entry %d: the entries before it were removed", e.Seq)}
		case i > 0 && e.Seq <= prev.Seq:
			return i, &Problem{Line: line, Seq: e.Seq, What: fmt.Sprintf("entry %d comes after entry %d: entries were moved", e.Seq, prev.Seq)}
		case i > 0 && e.Seq != prev.Seq+1:
			if at, ok := lineOf[prev.Seq+1]; ok {
				return i, &Problem{Line: line, Seq: e.Seq, What: fmt.Sprintf("entry %d follows entry %d, but entry %d is at line %d: entries were moved", e.Seq, prev.Seq, prev.Seq+1, at)}
			}
			return i, &Problem{Line: line, Seq: e.Seq, What: fmt.Sprintf("entries %d to %d are missing: removed", prev.Seq+1, e.Seq-1)}
		case i > 0 && e.Prev != prev.Hash:
			return i, &Problem{Line: line, Seq: e.Seq, What: fmt.Sprintf("entry %d does not follow entry %d: the entry before it was replaced", e.Seq, prev.Seq)}
		}
		prev = e
	}
	return len(entries), nil
}
