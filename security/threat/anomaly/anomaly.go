// Package anomaly learns each VM's normal behaviour, metric by metric, and
// says when it leaves it.
//
// For every VM and metric it keeps two baselines. A daily profile holds,
// for each quarter hour of the day, the mean of that quarter hour on each
// of the last seven days; its expectation is their median, so a one-off
// event never becomes normal while a nightly backup does within a day or
// two. A short window of recent residuals (value minus profile) gives a
// robust scale (median absolute deviation). A sample is anomalous when its
// robust z-score 0.6745·(r − median)/MAD passes a threshold, or when a
// CUSUM of z-scores shows a slow climb (an exfiltration ramp). An alert
// starts after k anomalous samples out of the last n and ends after n
// normal ones; while it lasts, the short-term baseline is frozen so the
// anomaly cannot teach itself normal. A CPU plateau with new outbound
// traffic on the same VM is reported once more, as a likely miner.
//
// The first day of a VM is learning: no alerts. State saves and loads as
// JSON so a restart neither forgets nor re-learns.
package anomaly

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Metric is one measured quantity of a VM.
type Metric int

const (
	CPU       Metric = iota // percent of the VM's vCPUs
	Memory                  // KiB in use
	DiskRead                // bytes/s
	DiskWrite               // bytes/s
	NetRx                   // bytes/s
	NetTx                   // bytes/s
	PktsRx                  // packets/s
	PktsTx                  // packets/s
	NumMetrics
)

var metricNames = [NumMetrics]string{"cpu", "memory", "disk-read", "disk-write", "net-rx", "net-tx", "packets-rx", "packets-tx"}

func (m Metric) String() string {
	if m < 0 || m >= NumMetrics {
		return "unknown"
	}
	return metricNames[m]
}

// Format renders a value of the metric for people.
func (m Metric) Format(v float64) string {
	switch m {
	case CPU:
		return fmt.Sprintf("%.0f%%", v)
	case Memory:
		return fmt.Sprintf("%.0f MiB", v/1024)
	case PktsRx, PktsTx:
		return fmt.Sprintf("%.0f pkt/s", v)
	}
	switch {
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MiB/s", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.0f KiB/s", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B/s", v)
}

// Sample is one reading of a VM's metrics; Has says which are present.
type Sample struct {
	At     time.Time
	Values [NumMetrics]float64
	Has    [NumMetrics]bool
}

// Config tunes detection. The zero value is not useful: start from
// DefaultConfig.
type Config struct {
	Threshold  float64       // robust z-score that marks a sample anomalous
	CUSUMDrift float64       // z-score slack per sample of the CUSUM
	CUSUMLimit float64       // CUSUM value that marks a slow climb
	K, N       int           // alert after K anomalous of the last N samples
	Window     int           // residual samples behind the robust scale
	Learning   time.Duration // no alerts before a VM has been seen this long
	Days       int           // days the daily profile remembers
	// Floor is the smallest scale per metric, so a flat metric does not
	// alert on a change nobody would notice.
	Floor [NumMetrics]float64
	// RelFloor is the smallest scale as a share of the expected value.
	RelFloor float64
}

// DefaultConfig suits one sample a minute.
var DefaultConfig = Config{
	Threshold: 4, CUSUMDrift: 1.5, CUSUMLimit: 20, K: 3, N: 5, Window: 60,
	Learning: 24 * time.Hour, Days: 7, RelFloor: 0.05,
	Floor: [NumMetrics]float64{CPU: 5, Memory: 128 * 1024, DiskRead: 512 << 10, DiskWrite: 512 << 10,
		NetRx: 128 << 10, NetTx: 128 << 10, PktsRx: 100, PktsTx: 100},
}

const bucket = 15 * time.Minute
const buckets = int(24 * time.Hour / bucket)

// Kind is what an Event reports.
type Kind string

const (
	AlertStart Kind = "start" // a metric left its baseline
	AlertEnd   Kind = "end"   // and came back
	Miner      Kind = "miner" // CPU plateau with new outbound traffic
)

// Event is a change of alert state.
type Event struct {
	VM       string
	Metric   Metric
	Kind     Kind
	At       time.Time
	Value    float64
	Expected float64
	Z        float64
}

// Detector holds the baselines of every VM.
type Detector struct {
	cfg Config
	VMs map[string]*VMState
}

// New returns a detector.
func New(cfg Config) *Detector { return &Detector{cfg: cfg, VMs: map[string]*VMState{}} }

// VMState is one VM's baselines; exported for saving.
type VMState struct {
	First   time.Time
	Metrics [NumMetrics]*Series
	Miner   bool // a miner event was raised for the current CPU alert
}

// Series is one metric's baselines and alert state.
type Series struct {
	// Daily profile: Days × buckets means; Day is the day index of row 0.
	Profile  [][]float64 // [day][bucket] means, unknown (-1) where no data
	Peak     [][]float64 // [day][bucket] maxima: the daily envelope
	Floor    float64     // smallest scale of this metric
	Sum      float64     // current bucket's running sum, count and maximum
	Count    int
	Max      float64
	CurDay   int64 // days since epoch of the current bucket
	CurSlot  int
	Resid    []float64 // recent residuals (frozen while alerting)
	Base     []float64 // recent normal values: the level before a daily profile exists
	CUSUM    float64
	Recent   []bool // last N anomalous flags
	Alerting bool
	Last     []float64 // recent values, for sparklines
	LastZ    float64
	Expected float64
}

const sparkLen = 120

// Observe folds one sample of vm into its baselines and returns the
// alert changes it causes.
func (d *Detector) Observe(vm string, s Sample) []Event {
	st := d.VMs[vm]
	if st == nil {
		st = &VMState{First: s.At}
		d.VMs[vm] = st
	}
	learning := s.At.Sub(st.First) < d.cfg.Learning
	var out []Event
	for m := Metric(0); m < NumMetrics; m++ {
		if !s.Has[m] {
			continue
		}
		if st.Metrics[m] == nil {
			st.Metrics[m] = newSeries(d.cfg, m)
		}
		if ev, ok := st.Metrics[m].observe(d.cfg, s.At, s.Values[m], learning); ok {
			ev.VM, ev.Metric = vm, m
			out = append(out, ev)
		}
	}
	// The miner pattern: CPU alerting while outbound traffic rises.
	cpu, tx, ptx := st.Metrics[CPU], st.Metrics[NetTx], st.Metrics[PktsTx]
	if cpu != nil && cpu.Alerting {
		rising := tx.newTraffic(8*1024) || ptx.newTraffic(20)
		if rising && !st.Miner {
			st.Miner = true
			out = append(out, Event{VM: vm, Metric: CPU, Kind: Miner, At: s.At, Value: cpu.last(), Expected: cpu.Expected, Z: cpu.LastZ})
		}
	} else {
		st.Miner = false
	}
	return out
}

// newTraffic reports whether a traffic metric rose to at least 1.5 times
// what is usual now, and by at least least: a pool connection is a
// trickle, far under any alert threshold, but new.
func (s *Series) newTraffic(least float64) bool {
	if s == nil || len(s.Last) == 0 {
		return false
	}
	v := s.last()
	return s.Alerting || v > 1.5*s.Expected && v-s.Expected > least
}

func newSeries(cfg Config, m Metric) *Series {
	p, q := make([][]float64, cfg.Days), make([][]float64, cfg.Days)
	for i := range p {
		p[i], q[i] = unknownRow(), unknownRow()
	}
	return &Series{Profile: p, Peak: q, CurDay: -1, Floor: cfg.Floor[m]}
}

// unknown marks a quarter hour with no data (metrics are never negative;
// NaN would not survive JSON).
const unknown = -1

func unknownRow() []float64 {
	r := make([]float64, buckets)
	for i := range r {
		r[i] = unknown
	}
	return r
}

func (s *Series) last() float64 {
	if len(s.Last) == 0 {
		return 0
	}
	return s.Last[len(s.Last)-1]
}

func (s *Series) observe(cfg Config, t time.Time, v float64, learning bool) (Event, bool) {
	day := t.UTC().Unix() / 86400
	slot := int(t.UTC().Sub(t.UTC().Truncate(24*time.Hour)) / bucket)
	s.roll(day, slot)

	expected, spread, seasonal := s.expect(slot)
	if !seasonal {
		expected, _ = medMAD(s.Base)
	}
	r := v - expected
	med, mad := medMAD(s.Resid)
	scale := max(1.4826*mad, spread, cfg.RelFloor*math.Abs(expected), s.Floor, 1e-9)
	z := (r - med) / scale
	// Within what this time of day usually peaks at (a backup, a nightly
	// job), a high value is normal.
	if seasonal && z > 0 && v <= s.envelope(slot)*(1+cfg.RelFloor)+s.Floor {
		z = min(z, 1)
	}
	s.LastZ, s.Expected = z, expected

	s.Last = append(s.Last, v)
	if len(s.Last) > sparkLen {
		s.Last = s.Last[len(s.Last)-sparkLen:]
	}
	s.Sum += v
	s.Count++
	s.Max = max(s.Max, v)

	if learning {
		s.learn(cfg, v, r, z)
		return Event{}, false
	}
	// One wild sample must not fill the CUSUM: it is for slow climbs.
	s.CUSUM = min(max(0, s.CUSUM+min(z, cfg.Threshold)-cfg.CUSUMDrift), 2*cfg.CUSUMLimit)
	if z <= 0 { // back at or under the baseline: the climb is over
		s.CUSUM = 0
	}
	anomalous := z > cfg.Threshold || s.CUSUM > cfg.CUSUMLimit
	s.Recent = append(s.Recent, anomalous)
	if len(s.Recent) > cfg.N {
		s.Recent = s.Recent[1:]
	}
	n := 0
	for _, a := range s.Recent {
		if a {
			n++
		}
	}
	switch {
	case !s.Alerting && n >= cfg.K:
		s.Alerting = true
		return Event{Kind: AlertStart, At: t, Value: v, Expected: expected, Z: z}, true
	case s.Alerting && n == 0:
		s.Alerting, s.CUSUM = false, 0
		return Event{Kind: AlertEnd, At: t, Value: v, Expected: expected, Z: z}, true
	}
	if !s.Alerting && !anomalous {
		s.learn(cfg, v, r, z)
	}
	return Event{}, false
}

// learn adds a residual to the short-term window: only normal samples
// teach it, and nothing does while alerting.
func (s *Series) learn(cfg Config, v, r, z float64) {
	if z > cfg.Threshold {
		return
	}
	s.Resid = push(s.Resid, r, cfg.Window)
	s.Base = push(s.Base, v, cfg.Window)
}

func push(xs []float64, v float64, n int) []float64 {
	xs = append(xs, v)
	if len(xs) > n {
		xs = xs[len(xs)-n:]
	}
	return xs
}

// roll closes the current quarter hour when time moves on.
func (s *Series) roll(day int64, slot int) {
	if s.CurDay == day && s.CurSlot == slot {
		return
	}
	if s.CurDay >= 0 && s.Count > 0 {
		mean := s.Sum / float64(s.Count)
		shift := int(day - s.CurDay)
		for i := 0; i < min(shift, len(s.Profile)); i++ { // a new day: rotate the rows
			copy(s.Profile[1:], s.Profile[:len(s.Profile)-1])
			copy(s.Peak[1:], s.Peak[:len(s.Peak)-1])
			s.Profile[0], s.Peak[0] = unknownRow(), unknownRow()
		}
		if row := max(shift, 0); row < len(s.Profile) {
			s.Profile[row][s.CurSlot], s.Peak[row][s.CurSlot] = mean, s.Max
		}
	}
	s.CurDay, s.CurSlot, s.Sum, s.Count, s.Max = day, slot, 0, 0, 0
}

// expect returns the median over past days of this quarter hour, the
// spread of those days, and whether any past day is known. Today's row is
// excluded: it is still being written.
func (s *Series) expect(slot int) (float64, float64, bool) {
	var vals [16]float64
	n := 0
	for d := 1; d < len(s.Profile) && n < len(vals); d++ {
		if v := s.Profile[d][slot]; v != unknown {
			vals[n] = v
			n++
		}
	}
	if n == 0 {
		return 0, 0, false
	}
	med, mad := medMAD(vals[:n])
	return med, 1.4826 * mad, true
}

// envelope is how high this quarter hour (or its neighbours: jobs do not
// start on the minute) usually goes: the median over past days of its
// highest value, or yesterday's highest if higher. Yesterday's makes the
// detector adapt within a day: a new nightly job, or a load that stepped
// up for good, alarms once and is normal the next day at that time.
func (s *Series) envelope(slot int) float64 {
	top := func(d int) float64 {
		t := float64(unknown)
		for _, k := range [3]int{slot - 1, slot, slot + 1} {
			t = max(t, s.Peak[d][(k+buckets)%buckets])
		}
		return t
	}
	var vals [16]float64
	n := 0
	for d := 1; d < len(s.Peak) && n < len(vals); d++ {
		if t := top(d); t != unknown {
			vals[n] = t
			n++
		}
	}
	if n == 0 {
		return 0
	}
	med, _ := medMAD(vals[:n])
	return max(med, top(1))
}

// medMAD returns the median and the median absolute deviation.
func medMAD(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	var buf [sparkLen]float64
	tmp := append(buf[:0], xs...)
	slices.Sort(tmp)
	med := median(tmp)
	for i, x := range tmp {
		tmp[i] = math.Abs(x - med)
	}
	slices.Sort(tmp)
	return med, median(tmp)
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// Spark returns the recent values of a VM's metric, oldest first.
func (d *Detector) Spark(vm string, m Metric) []float64 {
	if st := d.VMs[vm]; st != nil && st.Metrics[m] != nil {
		return slices.Clone(st.Metrics[m].Last)
	}
	return nil
}

// Alerting reports whether a VM's metric is in alert now.
func (d *Detector) Alerting(vm string, m Metric) bool {
	st := d.VMs[vm]
	return st != nil && st.Metrics[m] != nil && st.Metrics[m].Alerting
}
