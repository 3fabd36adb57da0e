package source

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/hyper-nixos/hv/security/threat"
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
// and its cursor. MESSAGE is a string, or an array of bytes when it is not
// valid UTF-8; both are kept byte for byte.
func ParseJournalEntry(b []byte) (threat.Record, string, error) {
	var e struct {
		Cursor   string          `json:"__CURSOR"`
		Realtime string          `json:"__REALTIME_TIMESTAMP"`
		Host     string          `json:"_HOSTNAME"`
		Ident    json.RawMessage `json:"SYSLOG_IDENTIFIER"`
		Comm     string          `json:"_COMM"`
		PID      string          `json:"_PID"`
		SyslogPI string          `json:"SYSLOG_PID"`
		Message  json.RawMessage `json:"MESSAGE"`
		Unit     string          `json:"_SYSTEMD_UNIT"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return threat.Record{}, "", fmt.Errorf("journal entry: %w", err)
	}
	msg, err := field(e.Message)
	if err != nil {
		return threat.Record{}, "", err
	}
	ident, _ := field(e.Ident)
	if ident == "" {
		ident = e.Comm
	}
	r := threat.Record{Host: e.Host, Program: ident, Message: msg, Source: "journal"}
	if us, err := strconv.ParseInt(e.Realtime, 10, 64); err == nil {
		r.Time = time.UnixMicro(us)
	}
	pid := e.SyslogPI
	if pid == "" {
		pid = e.PID
	}
	r.PID, _ = strconv.Atoi(pid)
	return r, e.Cursor, nil
}

func field(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var bs []byte
	var ints []int
	if err := json.Unmarshal(raw, &ints); err != nil {
		return "", fmt.Errorf("journal field: %w", err)
	}
	for _, i := range ints {
		bs = append(bs, byte(i))
	}
	return string(bs), nil
}
