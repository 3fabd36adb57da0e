package help

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
	"github.com/pelletier/go-toml/v2"
)

// ConfigDir is where hv keeps what the operator chose:
// $XDG_CONFIG_HOME/hv, else ~/.config/hv.
func ConfigDir() (string, error) { return xdgDir("XDG_CONFIG_HOME", ".config") }

// StateDir is where hv keeps what it learnt while running (tutorial
// progress): $XDG_STATE_HOME/hv, else ~/.local/state/hv.
func StateDir() (string, error) { return xdgDir("XDG_STATE_HOME", filepath.Join(".local", "state")) }

func xdgDir(env, fallback string) (string, error) {
	if dir := os.Getenv(env); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "hv"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no $%s and no home directory: %w", env, err)
	}
	return filepath.Join(home, fallback, "hv"), nil
}

// FileError is a file of hv's that exists but cannot be used. hv reports
// it and never writes over it: the operator may want what is in it.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s is not valid (%v): hv will not overwrite it; fix or remove it", e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// readTOML decodes path into v strictly. A missing file leaves v as it is
// and is no error.
func readTOML(path string, v any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &FileError{Path: path, Err: err}
	}
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &FileError{Path: path, Err: err}
	}
	return nil
}

// writeTOML replaces path with v atomically (temporary file, fsync,
// rename), unless the file there now cannot be read as fresh (a zero value
// of v's type, made by fresh): a corrupt file is the operator's to fix.
func writeTOML(path string, v any, fresh func() any, valid func(any) error) error {
	cur := fresh()
	if err := readTOML(path, cur); err != nil {
		return err
	}
	if err := valid(cur); err != nil {
		return &FileError{Path: path, Err: err}
	}
	data, err := toml.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return renameio.WriteFile(path, data, 0o600)
}
