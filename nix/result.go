package nix

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Statuses of an apply.
const (
	ApplyApplied = "applied" // checked, installed and rebuilt
	ApplyInvalid = "invalid" // the staged file breaks a rule; nothing changed
	ApplyRefused = "refused" // a change only root may make; nothing changed
	ApplyFailed  = "failed"  // the rebuild failed; the previous host file is back
	ApplyNothing = "nothing" // no staged file
)

// ApplyResult is what hyper-nixos-apply.service leaves in Paths.Result for
// hv to show. Times are RFC 3339 strings.
type ApplyResult struct {
	Status       string   `json:"status"`
	Message      string   `json:"message"`
	Started      string   `json:"started"`
	Finished     string   `json:"finished"`
	StagedSHA256 string   `json:"staged_sha256,omitempty"`
	Problems     []string `json:"problems,omitempty"`
	Output       []string `json:"output,omitempty"` // the last lines of the rebuild
}

// OK reports whether the apply went through.
func (r *ApplyResult) OK() bool { return r.Status == ApplyApplied }

// ReadApplyResult reads the last result; (nil, nil) when there is none yet.
func ReadApplyResult(path string) (*ApplyResult, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the last apply result: %w", err)
	}
	var r ApplyResult
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("the last apply result %s is not valid JSON: %w", path, err)
	}
	return &r, nil
}

// WriteApplyResult writes r atomically, readable by everyone: operators
// read it without privileges.
func WriteApplyResult(path string, r *ApplyResult) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic("the apply result", path, append(data, '\n'), 0o644)
}
