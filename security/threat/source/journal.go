package source

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/logline"
)

// Journal follows the systemd journal through journalctl, which does the
// access checks: a user sees what systemd-journal or adm membership
// allows. Each item carries the entry's cursor; keep the last one
// processed and pass it back as Cursor after a restart.
type Journal struct {
	Cursor string
	// Command is journalctl by default; tests use a stand-in.
	Command []string
}

// Run streams entries until ctx ends or journalctl exits.
func (j *Journal) Run(ctx context.Context, out chan<- Item) error {
	argv := j.Command
	if len(argv) == 0 {
		argv = []string{"journalctl"}
	}
	args := append(argv[1:], "--follow", "--output=json", "--no-pager", "--quiet")
	if j.Cursor != "" {
		args = append(args, "--after-cursor="+j.Cursor)
	} else {
		args = append(args, "--lines=0") // first start: from now on
	}
	cmd := exec.CommandContext(ctx, argv[0], args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	err = j.read(ctx, stdout, out)
	werr := cmd.Wait()
	if ctx.Err() != nil {
		return nil
	}
	if err == nil && werr != nil {
		err = fmt.Errorf("journalctl: %v: %s", werr, strings.TrimSpace(stderr.String()))
	}
	return err
}

func (j *Journal) read(ctx context.Context, r io.Reader, out chan<- Item) error {
	br := bufio.NewReaderSize(r, 1<<16)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			rec, cursor, perr := ParseJournalEntry(line)
			if perr == nil {
				select {
				case out <- Item{Record: &rec, Source: "journal", Position: cursor}:
					j.Cursor = cursor
				case <-ctx.Done():
					return nil
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// ParseJournalEntry turns one line of 'journalctl -o json' into a record
// and its cursor.
func ParseJournalEntry(b []byte) (threat.Record, string, error) {
	e, err := logline.ParseJournal(b)
	if err != nil {
		return threat.Record{}, "", err
	}
	return threat.Record{Time: e.Time, Host: e.Host, Program: e.Program, PID: e.PID, Message: e.Message, Source: "journal"}, e.Cursor, nil
}
