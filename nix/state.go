package nix

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// State is what hv knows of the host contract at one moment: the host file
// the running system was built from, what operators staged since, and the
// last apply's result. Each part carries its own error, so that a corrupt
// staged file does not hide the applied one.
type State struct {
	Paths      Paths
	Applied    *Host
	AppliedErr error // ErrNoHostFile when this host has no host file
	Staged     *Host
	StagedRaw  []byte // the staged bytes as read, for a compare-and-swap write
	StagedErr  error  // nil when nothing is staged
	Result     *ApplyResult
	ResultErr  error
}

// ReadState reads the three files. It never fails as a whole.
func ReadState(p Paths) *State {
	s := &State{Paths: p}
	s.Applied, _, s.AppliedErr = ReadHost(p.Host)
	var err error
	s.Staged, s.StagedRaw, err = ReadHost(p.Staged)
	switch {
	case errors.Is(err, ErrNoHostFile):
		s.StagedRaw = nil
	case err != nil:
		s.StagedErr = err
	}
	s.Result, s.ResultErr = ReadApplyResult(p.Result)
	return s
}

// HasStaged reports whether operators staged something not applied yet.
func (s *State) HasStaged() bool { return s.Staged != nil }

// Working is the host file changes start from: the staged one if there is
// one, else a copy of the applied one. A staged file hv cannot read is an
// error rather than silently starting over from the applied one.
func (s *State) Working() (*Host, error) {
	switch {
	case s.StagedErr != nil:
		return nil, s.StagedErr
	case s.Staged != nil:
		return s.Staged, nil
	case s.AppliedErr != nil:
		if errors.Is(s.AppliedErr, ErrNoHostFile) {
			return nil, &FileError{What: "the host file " + s.Paths.Host, Problem: "does not exist", Err: ErrNoHostFile,
				Remedy: "this host is not set up with services.hyper-nixos yet: enable the NixOS module with a host file (hv features init PATH), or try hv with --demo"}
		}
		return nil, s.AppliedErr
	}
	copied := *s.Applied
	copied.Features = append([]string(nil), s.Applied.Features...)
	return &copied, nil
}

// Stage writes h as the staged host file, stamped with who and when,
// provided the staged file has not changed since this State read it.
func (s *State) Stage(h *Host, user string, now time.Time) ([]byte, error) {
	stamped, data, err := Stage(s.Paths.Staged, h, s.StagedRaw, user, now)
	if err != nil {
		return nil, err
	}
	s.Staged, s.StagedRaw, s.StagedErr = stamped, data, nil
	return data, nil
}

// Stage writes h, stamped with who and when, as the staged host file at
// path, provided it still holds expected (nil: nothing staged yet).
func Stage(path string, h *Host, expected []byte, user string, now time.Time) (*Host, []byte, error) {
	stamped := *h
	stamped.Meta = Meta{Updated: now.UTC().Format(time.RFC3339), UpdatedBy: user}
	data, err := WriteHost(path, &stamped, expected)
	if err != nil {
		return nil, nil, fmt.Errorf("staging: %w", err)
	}
	return &stamped, data, nil
}

// PrepareDir makes dir hold a host contract of its own, as the demo does:
// its Paths, with initial as the applied host file when there is none yet.
func PrepareDir(dir string, initial []byte) (Paths, error) {
	p := PathsIn(dir)
	if err := os.MkdirAll(filepath.Dir(p.Staged), 0o700); err != nil {
		return p, fmt.Errorf("preparing %s: %w", dir, err)
	}
	if _, err := os.Stat(p.Host); errors.Is(err, fs.ErrNotExist) {
		if err := writeAtomic("the host file", p.Host, initial, 0o644); err != nil {
			return p, err
		}
	}
	return p, nil
}
