package response

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Auditor records every state-changing action. hv's audit trail (a
// hash-chained log) is not built yet; when it is, it implements this and
// replaces FileAuditor.
type Auditor interface {
	Record(ctx context.Context, e AuditEntry) error
}

// AuditEntry is one audited action.
type AuditEntry struct {
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"` // the user, or "hv-monitor"
	Action   string    `json:"action"`
	Target   string    `json:"target"`
	Playbook string    `json:"playbook,omitempty"`
	Finding  int64     `json:"finding,omitempty"`
	Mode     string    `json:"mode"` // monitor, enforce, undo, manual
	Result   string    `json:"result"`
}

// FileAuditor appends entries as JSON lines to a file, synced before
// Record returns, so an action is never taken without its record.
type FileAuditor struct {
	Path string
	mu   sync.Mutex
}

func (a *FileAuditor) Record(_ context.Context, e AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(a.Path), 0o750); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	f, err := os.OpenFile(a.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return f.Sync()
}
