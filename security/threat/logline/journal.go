package logline

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Entry is one entry of 'journalctl -o json': the fields detection uses.
type Entry struct {
	Time    time.Time
	Host    string
	Program string
	PID     int
	Message string
	Cursor  string
}

// ParseJournal reads one line of 'journalctl -o json'. MESSAGE is a
// string, or an array of bytes when it is not valid UTF-8; both are kept
// byte for byte. The program is SYSLOG_IDENTIFIER, else _COMM; the pid
// SYSLOG_PID, else _PID.
func ParseJournal(b []byte) (Entry, error) {
	var e struct {
		Cursor   string          `json:"__CURSOR"`
		Realtime string          `json:"__REALTIME_TIMESTAMP"`
		Host     string          `json:"_HOSTNAME"`
		Ident    json.RawMessage `json:"SYSLOG_IDENTIFIER"`
		Comm     string          `json:"_COMM"`
		PID      string          `json:"_PID"`
		SyslogPI string          `json:"SYSLOG_PID"`
		Message  json.RawMessage `json:"MESSAGE"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return Entry{}, fmt.Errorf("journal entry: %w", err)
	}
	msg, err := field(e.Message)
	if err != nil {
		return Entry{}, err
	}
	ident, _ := field(e.Ident)
	if ident == "" {
		ident = e.Comm
	}
	out := Entry{Host: e.Host, Program: ident, Message: msg, Cursor: e.Cursor}
	if us, err := strconv.ParseInt(e.Realtime, 10, 64); err == nil {
		out.Time = time.UnixMicro(us)
	}
	pid := e.SyslogPI
	if pid == "" {
		pid = e.PID
	}
	out.PID, _ = strconv.Atoi(pid)
	return out, nil
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
	var ints []int
	if err := json.Unmarshal(raw, &ints); err != nil {
		return "", fmt.Errorf("journal field: %w", err)
	}
	bs := make([]byte, 0, len(ints))
	for _, i := range ints {
		bs = append(bs, byte(i))
	}
	return string(bs), nil
}
