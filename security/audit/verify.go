package audit

import (
	"errors"
	"fmt"
)

// Problem is where the chain breaks.
type Problem struct {
	Line int    // 1-based line of the file
	Seq  uint64 // the entry's sequence number, when readable
	What string
}

func (p *Problem) Error() string {
	return fmt.Sprintf("audit log broken at line %d: %s", p.Line, p.What)
}

// Verify checks the whole chain and returns the number of entries checked,
// or the first problem: an edited entry (its hash no longer matches), a
// removed one (a gap in the numbers or a broken link), or entries moved
// (numbers out of order).
func (l *Log) Verify() (int, error) {
	entries, err := l.Read()
	if err != nil {
		var p *Problem
		if errors.As(err, &p) {
			return len(entries), err
		}
		return 0, err
	}
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
