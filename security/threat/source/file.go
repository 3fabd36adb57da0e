package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// File follows a log file like 'tail -F': it notices rotation (the path
// now names another file: the rest of the old one is read first) and
// truncation (the file shrank: read again from the start). Position is
// "inode:offset"; pass it back after a restart to resume where the last
// processed line ended.
type File struct {
	Path     string
	Position string
	// FromStart reads an unknown file from its beginning rather than its end.
	FromStart bool
	Poll      time.Duration
}

// Run follows the file until ctx ends.
func (f *File) Run(ctx context.Context, out chan<- Item) error {
	poll := f.Poll
	if poll == 0 {
		poll = 250 * time.Millisecond
	}
	var (
		fh      *os.File
		ino     uint64
		off     int64
		partial []byte
	)
	wantIno, wantOff := parsePosition(f.Position)
	open := func(resume bool) error {
		h, err := os.Open(f.Path)
		if err != nil {
			return err
		}
		st, err := h.Stat()
		if err != nil {
			h.Close()
			return err
		}
		fh, ino, off, partial = h, inode(st), 0, nil
		switch {
		case resume && wantIno == ino && wantOff <= st.Size():
			off = wantOff
		case resume && wantIno == 0 && !f.FromStart:
			off = st.Size()
		}
		_, err = fh.Seek(off, io.SeekStart)
		return err
	}
	defer func() {
		if fh != nil {
			fh.Close()
		}
	}()
	first := true
	for {
		if fh == nil {
			if err := open(first); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			first = false
		}
		if fh != nil {
			n, err := f.drain(ctx, fh, &off, &partial, ino, out)
			if err != nil {
				return err
			}
			if n == 0 {
				// Nothing new: rotated or truncated?
				st, err := os.Stat(f.Path)
				switch {
				case err != nil || inode(st) != ino:
					fh.Close() // the old file was read to its end above
					fh = nil
					continue
				case st.Size() < off:
					off, partial = 0, nil
					fh.Seek(0, io.SeekStart)
					continue
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
	}
}

// drain reads complete lines up to the end of the file and returns how
// many bytes it read.
func (f *File) drain(ctx context.Context, fh *os.File, off *int64, partial *[]byte, ino uint64, out chan<- Item) (int, error) {
	br := bufio.NewReaderSize(fh, 1<<16)
	total := 0
	for {
		line, err := br.ReadBytes('\n')
		total += len(line)
		if len(line) > 0 && line[len(line)-1] == '\n' {
			*off += int64(len(line))
			full := append(*partial, bytes.TrimRight(line, "\r\n")...)
			*partial = nil
			select {
			case out <- Item{Line: full, Source: f.Path, Position: formatPosition(ino, *off)}:
			case <-ctx.Done():
				return total, nil
			}
		} else if len(line) > 0 {
			// A line still being written: keep it until its newline.
			*off += int64(len(line))
			*partial = append(*partial, line...)
			if len(*partial) > 1<<20 {
				*partial = (*partial)[:0] // an endless line: drop it
			}
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func inode(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Ino
	}
	return 0
}

func formatPosition(ino uint64, off int64) string {
	return strconv.FormatUint(ino, 10) + ":" + strconv.FormatInt(off, 10)
}

func parsePosition(p string) (uint64, int64) {
	a, b, ok := strings.Cut(p, ":")
	if !ok {
		return 0, 0
	}
	ino, err1 := strconv.ParseUint(a, 10, 64)
	off, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || off < 0 {
		return 0, 0
	}
	return ino, off
}
