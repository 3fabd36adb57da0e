package monitor

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/anomaly"
	"github.com/hyper-nixos/hv/security/threat/intel"
	"github.com/hyper-nixos/hv/security/threat/store"
)

// View keeps what a dashboard shows, in memory, bounded.
type View struct {
	mu      sync.Mutex
	start   time.Time
	lines   int
	counts  [threat.Critical + 1]int
	recent  []threat.Finding // newest last, at most recentMax
	byMin   map[int64]int    // findings per minute (unix minute)
	ips     map[string]int
	targets map[string]int
	sparks  []Spark
	actions []store.Action
	errs    []string
	nextID  int64
	nextAct int64
}

// Spark is one VM metric's recent values.
type Spark struct {
	VM       string
	Metric   anomaly.Metric
	Values   []float64
	Alerting bool
}

const (
	recentMax = 500
	keyMax    = 4096 // distinct addresses or targets kept
)

// NewView returns an empty view.
func NewView() *View {
	return &View{start: time.Now(), byMin: map[int64]int{}, ips: map[string]int{}, targets: map[string]int{}}
}

func (v *View) countLine() {
	v.mu.Lock()
	v.lines++
	v.mu.Unlock()
}

func (v *View) noteError(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.errs = append(v.errs, err.Error())
	if len(v.errs) > 5 {
		v.errs = v.errs[1:]
	}
}

func (v *View) add(fs []threat.Finding) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, f := range fs {
		if f.ID == 0 { // memory only: give it an id the dashboard can refer to
			v.nextID++
			f.ID = -v.nextID
		}
		v.counts[f.Severity]++
		v.byMin[f.Time.Unix()/60]++
		if f.Activity() {
			// a login, a sudo command: counted, not a source or a target
		} else {
			if f.IP != "" && (len(v.ips) < keyMax || v.ips[f.IP] > 0) {
				v.ips[f.IP]++
			}
			if t := target(f); t != "" && (len(v.targets) < keyMax || v.targets[t] > 0) {
				v.targets[t]++
			}
		}
		if f.Severity >= threat.Low {
			v.recent = append(v.recent, f)
		}
	}
	if len(v.recent) > recentMax {
		v.recent = slices.Clone(v.recent[len(v.recent)-recentMax:])
	}
}

// target is what a finding is about on this host: a VM, else a user.
func target(f threat.Finding) string {
	switch {
	case f.VM != "":
		return "vm " + f.VM
	case f.User != "":
		return "user " + f.User
	}
	return ""
}

func (v *View) addActions(as []store.Action) {
	for _, a := range as {
		v.addAction(a)
	}
}

// addAction keeps an action, giving one held in memory only an id the
// dashboard can refer to (negative, as for findings).
func (v *View) addAction(a store.Action) store.Action {
	v.mu.Lock()
	defer v.mu.Unlock()
	if a.ID == 0 {
		v.nextAct++
		a.ID = -v.nextAct
	}
	v.actions = append(v.actions, a)
	if len(v.actions) > 100 {
		v.actions = v.actions[len(v.actions)-100:]
	}
	return a
}

func (v *View) action(id int64) (store.Action, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, a := range v.actions {
		if a.ID == id {
			return a, true
		}
	}
	return store.Action{}, false
}

func (v *View) markUndone(id int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := range v.actions {
		if v.actions[i].ID == id {
			v.actions[i].Undone = true
		}
	}
}

func (v *View) setSparks(d *anomaly.Detector) {
	var sp []Spark
	for name := range d.VMs {
		for _, m := range []anomaly.Metric{anomaly.CPU, anomaly.NetTx, anomaly.DiskWrite} {
			if vals := d.Spark(name, m); len(vals) > 0 {
				sp = append(sp, Spark{VM: name, Metric: m, Values: vals, Alerting: d.Alerting(name, m)})
			}
		}
	}
	slices.SortFunc(sp, func(a, b Spark) int { return cmp.Or(cmp.Compare(a.VM, b.VM), cmp.Compare(a.Metric, b.Metric)) })
	v.mu.Lock()
	v.sparks = sp
	v.mu.Unlock()
}

// SetState acknowledges or resolves a finding held in memory.
func (v *View) SetState(id int64, st threat.State) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := range v.recent {
		if v.recent[i].ID == id {
			v.recent[i].State = st
			return true
		}
	}
	return false
}

// Snapshot is a copy of the view at one moment.
type Snapshot struct {
	Since    time.Time
	Lines    int
	Counts   [threat.Critical + 1]int
	Timeline []int // findings per minute, oldest first, ending now
	Sources  []store.Count
	Targets  []store.Count
	Recent   []threat.Finding // newest first
	Sparks   []Spark
	// SparksErr says why there are no sparklines, when it is not that
	// no VM was measured yet.
	SparksErr string
	Actions   []store.Action // newest first
	Errors    []string
	// Feeds are the downloaded blocklists, with their age.
	Feeds []intel.FeedStatus
}

// Snapshot copies the view; the timeline has buckets minutes up to now.
func (v *View) Snapshot(now time.Time, buckets int) Snapshot {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := Snapshot{Since: v.start, Lines: v.lines, Counts: v.counts, Sparks: v.sparks, Errors: slices.Clone(v.errs)}
	s.Timeline = make([]int, buckets)
	end := now.Unix() / 60
	for i := range s.Timeline {
		s.Timeline[i] = v.byMin[end-int64(buckets-1-i)]
	}
	s.Sources, s.Targets = top(v.ips, 10), top(v.targets, 10)
	for i := len(v.recent) - 1; i >= 0; i-- {
		s.Recent = append(s.Recent, v.recent[i])
	}
	// Newest first; sources are not in step with each other.
	slices.SortStableFunc(s.Recent, func(a, b threat.Finding) int { return b.Time.Compare(a.Time) })
	for i := len(v.actions) - 1; i >= 0; i-- {
		s.Actions = append(s.Actions, v.actions[i])
	}
	return s
}

func top(m map[string]int, n int) []store.Count {
	out := make([]store.Count, 0, len(m))
	for k, c := range m {
		out = append(out, store.Count{Value: k, N: c})
	}
	slices.SortFunc(out, func(a, b store.Count) int { return cmp.Or(b.N-a.N, cmp.Compare(a.Value, b.Value)) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
