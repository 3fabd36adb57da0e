package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// journal is the systemd journal as an anchor: every entry's seq and hash
// are sent to journald, which keeps them in its own root-owned files with
// the sender's uid, a field no client can forge.
type journal struct {
	socket  string // journald's native socket; absent: no journal to write to
	command string // journalctl, to read the anchors back
}

var systemJournal = journal{socket: "/run/systemd/journal/socket", command: "journalctl"}

const journalID = "hv-audit" // SYSLOG_IDENTIFIER of the anchors

// send writes one record in journald's native protocol: a datagram of
// KEY=VALUE lines, or for a value holding a newline, KEY, a newline, the
// value's length as 64-bit little endian, the value and a newline.
func (j journal) send(fields [][2]string) error {
	if _, err := os.Stat(j.socket); err != nil {
		return nil // no journald here (a container, a rescue shell): the anchor file alone
	}
	var buf bytes.Buffer
	for _, f := range fields {
		if !strings.Contains(f[1], "\n") {
			buf.WriteString(f[0] + "=" + f[1] + "\n")
			continue
		}
		buf.WriteString(f[0] + "\n")
		binary.Write(&buf, binary.LittleEndian, uint64(len(f[1])))
		buf.WriteString(f[1] + "\n")
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: j.socket, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetWriteDeadline(time.Now().Add(time.Second)) // a stuck journald must not hold the log's lock
	_, err = conn.Write(buf.Bytes())
	return err
}

// anchor sends e as the newest anchor of the log at path.
func (j journal) anchor(path string, e Entry) error {
	return j.send([][2]string{
		{"MESSAGE", fmt.Sprintf("audit log %s: entry %d, hash %s", path, e.Seq, e.Hash)},
		{"PRIORITY", "6"},
		{"SYSLOG_IDENTIFIER", journalID},
		{"HV_AUDIT_LOG", path},
		{"HV_AUDIT_SEQ", strconv.FormatUint(e.Seq, 10)},
		{"HV_AUDIT_HASH", e.Hash},
		{"HV_AUDIT_TIME", e.Time},
	})
}

// newest reads the last anchor the journal holds for the log at path, sent
// by root or by this user (journald records the sender's uid itself, so
// another user cannot plant one). ok is false when there is none, or no
// journalctl; an error is a journal that could not be read.
func (j journal) newest(path string) (a Anchor, ok bool, err error) {
	bin, err := exec.LookPath(j.command)
	if err != nil {
		return Anchor{}, false, nil
	}
	args := []string{"-q", "--no-pager", "-o", "json", "-n", "1",
		"SYSLOG_IDENTIFIER=" + journalID, "HV_AUDIT_LOG=" + path, "_UID=0"}
	if uid := os.Getuid(); uid != 0 {
		args = append(args, "_UID="+strconv.Itoa(uid)) // same field twice: either
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		return Anchor{}, false, fmt.Errorf("journalctl: %w", err)
	}
	out = bytes.TrimSpace(out)
	if len(out) == 0 {
		return Anchor{}, false, nil
	}
	if i := bytes.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	var rec map[string]any
	if err := json.Unmarshal(out, &rec); err != nil {
		return Anchor{}, false, fmt.Errorf("journalctl printed something that is not a record: %v", err)
	}
	field := func(k string) string { s, _ := rec[k].(string); return s }
	seq, err := strconv.ParseUint(field("HV_AUDIT_SEQ"), 10, 64)
	if err != nil || seq == 0 || field("HV_AUDIT_HASH") == "" {
		return Anchor{}, false, &Problem{What: fmt.Sprintf("the journal's anchor is damaged (HV_AUDIT_SEQ=%q, HV_AUDIT_HASH=%q)", field("HV_AUDIT_SEQ"), field("HV_AUDIT_HASH"))}
	}
	return Anchor{Seq: seq, Hash: field("HV_AUDIT_HASH"), Time: field("HV_AUDIT_TIME"), Source: "the journal"}, true, nil
}
