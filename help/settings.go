package help

import (
	"fmt"
	"path/filepath"
)

// Settings are what the operator chose, kept per user in
// ConfigDir()/settings.toml. Other per-user choices join this struct, so
// that the file has one owner and one strict schema.
type Settings struct {
	Level Level `toml:"level"`
}

// SettingsPath is the operator's settings file.
func SettingsPath() (string, error) {
	dir, err := ConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "settings.toml"), nil
}

// LoadSettings reads the settings at path; a missing file gives the
// defaults. On a *FileError the defaults come back too, for this session.
func LoadSettings(path string) (Settings, error) {
	var s Settings
	if err := readTOML(path, &s); err != nil {
		return Settings{}, err
	}
	if err := s.check(); err != nil {
		return Settings{}, &FileError{Path: path, Err: err}
	}
	return s, nil
}

// SaveSettings writes s to path atomically, refusing to replace a file it
// cannot read.
func SaveSettings(path string, s Settings) error {
	return writeTOML(path, s, func() any { return &Settings{} }, func(v any) error { return v.(*Settings).check() })
}

// check catches what decoding lets through: a level written as a number.
func (s *Settings) check() error {
	if s.Level < Beginner || s.Level > Expert {
		return fmt.Errorf("level %d: use beginner, intermediate or expert", int(s.Level))
	}
	return nil
}
