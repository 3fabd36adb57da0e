package polkit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
)

// Subject is the process a decision is about, as polkit's "unix-process"
// subject names it. The start time tells the process apart from a later
// one given the same PID: polkitd refuses a subject whose PID now belongs
// to another process.
type Subject struct {
	PID       uint32
	StartTime uint64 // in clock ticks since boot: field 22 of /proc/PID/stat
	// UID is whom polkit decides for. polkitd takes it as given from a root
	// caller, so it must come from the kernel (SO_PEERCRED), never from the
	// request.
	UID uint32
}

// ProcessSubject is the subject for a peer's pid and uid, as SO_PEERCRED
// reports them. Call it as soon as the peer connects: the start time read
// then pins the PID to that process.
func ProcessSubject(pid int32, uid uint32) (Subject, error) {
	if pid <= 0 {
		return Subject{}, fmt.Errorf("polkit: no process %d: the peer's credentials carry no pid", pid)
	}
	start, err := startTime(fmt.Sprintf("/proc/%d/stat", pid))
	if errors.Is(err, fs.ErrNotExist) {
		return Subject{}, fmt.Errorf("polkit: process %d has exited", pid)
	}
	if err != nil {
		return Subject{}, fmt.Errorf("polkit: process %d: %w", pid, err)
	}
	return Subject{PID: uint32(pid), StartTime: start, UID: uid}, nil
}

// startTime reads field 22 of a /proc/PID/stat file. The second field, the
// command name in parentheses, may itself contain spaces and parentheses:
// the fields after it start after the last ')'.
func startTime(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s has no command name in parentheses", path)
	}
	fields := bytes.Fields(b[i+1:]) // fields 3 (state) onwards
	const field = 22
	if len(fields) < field-2 {
		return 0, fmt.Errorf("%s has %d fields, want at least %d", path, len(fields)+2, field)
	}
	n, err := strconv.ParseUint(string(fields[field-3]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: start time: %w", path, err)
	}
	return n, nil
}
