package monitor

import (
	"path/filepath"
	"sync"
	"time"

	"github.com/hyper-nixos/hv/security/threat/intel"
)

// feedWatch follows the downloaded blocklists of a directory: their
// status for the dashboard, re-read once a minute (a list is megabytes),
// and, for detection in this session, the lists themselves, reloaded when
// a download replaced one.
type feedWatch struct {
	dir   string
	lists *intel.Store // nil unless loading

	mu   sync.Mutex
	at   time.Time
	last []intel.FeedStatus
}

func newFeedWatch(dir string, load bool) *feedWatch {
	w := &feedWatch{dir: dir}
	if load {
		files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
		if s, err := intel.NewStore(files...); err == nil && len(files) > 0 {
			w.lists = s
		}
	}
	return w
}

func (w *feedWatch) status() []intel.FeedStatus {
	if w == nil { // the demo has none
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if time.Since(w.at) < time.Minute {
		return w.last
	}
	w.at = time.Now()
	w.last, _ = intel.Status(w.dir)
	if w.lists != nil {
		w.lists.ReloadIfChanged() // a failed reload keeps the lists in force
	}
	return w.last
}
