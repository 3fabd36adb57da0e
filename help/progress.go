package help

import (
	"path/filepath"
	"slices"
	"time"
)

// Progress is what the operator has done of the tutorials, kept per user in
// StateDir()/tutorials.toml so it survives restarts.
type Progress struct {
	Active    string                    `toml:"active,omitempty"` // the tutorial being followed
	Tutorials map[string]*TutorialState `toml:"tutorial,omitempty"`
}

// TutorialState is one tutorial's progress. Steps are kept by id, so a
// tutorial that gains a step keeps what was done. Times are RFC 3339
// strings: TOML datetimes would tie the file to one TOML dialect.
type TutorialState struct {
	Done     []string `toml:"done"`
	Started  string   `toml:"started,omitempty"`
	Finished string   `toml:"finished,omitempty"`
}

// ProgressPath is the operator's progress file.
func ProgressPath() (string, error) {
	dir, err := StateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "tutorials.toml"), nil
}

// LoadProgress reads the progress at path; a missing file is no progress.
func LoadProgress(path string) (Progress, error) {
	var p Progress
	if err := readTOML(path, &p); err != nil {
		return Progress{}, err
	}
	return p, nil
}

// SaveProgress writes p atomically, refusing to replace a file it cannot read.
func SaveProgress(path string, p Progress) error {
	return writeTOML(path, p, func() any { return &Progress{} }, func(any) error { return nil })
}

// clone copies p deeply, so a saved copy never changes under the writer.
func (p Progress) clone() Progress {
	out := Progress{Active: p.Active, Tutorials: map[string]*TutorialState{}}
	for id, s := range p.Tutorials {
		c := *s
		c.Done = slices.Clone(s.Done)
		out.Tutorials[id] = &c
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
