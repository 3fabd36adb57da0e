package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Benign regime changes, built here rather than by Synthesize: a VM whose
// load steps up for good, and one that gains a nightly job. The detector
// may raise one alarm when the change starts, must adapt within a day
// (no alarm afterwards), and must still catch a miner that starts later.

// regime is a VM's metrics over days, one sample a minute: a daily CPU
// cycle and outbound traffic with noise, changed by change from its
// start, with a miner (CPU pinned and a trickle out) for three hours from
// minerAt.
func regime(days int, seed uint64, change func(t time.Time, cpu, tx, wr *float64), minerAt time.Time) []Point {
	r := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	var out []Point
	for i := 0; i < days*24*60; i++ {
		t := start.Add(time.Duration(i) * time.Minute)
		h := float64(t.Hour()) + float64(t.Minute())/60
		day := 0.5 - 0.5*math.Cos(2*math.Pi*(h-4)/24)
		cpu := 10 + 30*day
		tx := (300 + 3000*day) * 1024
		wr := 600.0 * 1024
		change(t, &cpu, &tx, &wr)
		if !minerAt.IsZero() && !t.Before(minerAt) && t.Before(minerAt.Add(3*time.Hour)) {
			cpu, tx = 95, tx+40*1024
		}
		var s Sample
		s.At = t
		vals := map[Metric]float64{CPU: cpu, NetTx: tx, DiskWrite: wr, PktsTx: tx/900 + 5}
		for m, v := range vals {
			s.Values[m], s.Has[m] = math.Max(0, v*(1+0.06*r.NormFloat64())), true
		}
		s.Values[CPU] = math.Min(s.Values[CPU], 100)
		out = append(out, Point{VM: "vm", Sample: s})
	}
	return out
}

// alarms runs a fresh detector and returns when alerts started, and
// whether any metric was still alerting at check.
func alarms(pts []Point, check time.Time) ([]Event, bool) {
	d := New(DefaultConfig)
	var out []Event
	alerting := false
	for _, p := range pts {
		for _, e := range d.Observe(p.VM, p.Sample) {
			if e.Kind == AlertStart || e.Kind == Miner {
				out = append(out, e)
			}
		}
		if p.At.Equal(check) {
			for m := Metric(0); m < NumMetrics; m++ {
				alerting = alerting || d.Alerting(p.VM, m)
			}
		}
	}
	return out, alerting
}

func TestAdaptsToBenignRegimeChanges(t *testing.T) {
	changeAt := time.Date(2026, 10, 10, 12, 0, 0, 0, time.UTC) // day 6, after learning and a profile
	minerAt := time.Date(2026, 10, 13, 10, 0, 0, 0, time.UTC)  // day 9
	cases := []struct {
		name   string
		change func(t time.Time, cpu, tx, wr *float64)
	}{
		{"a permanent load step of +60%", func(t time.Time, cpu, tx, wr *float64) {
			if !t.Before(changeAt) {
				*cpu *= 1.6
				*tx *= 1.6
			}
		}},
		{"a new nightly job (02:00-02:45, CPU 90%, 60 MiB/s written)", func(t time.Time, cpu, tx, wr *float64) {
			if !t.Before(changeAt) && t.Hour() == 2 && t.Minute() < 45 {
				*cpu, *wr = 90, 60<<20
			}
		}},
		{"a new daily backup upload (23:00-23:30, 20 MiB/s out)", func(t time.Time, cpu, tx, wr *float64) {
			if !t.Before(changeAt) && t.Hour() == 23 && t.Minute() < 30 {
				*tx += 20 << 20
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var after, total int
			for seed := uint64(1); seed <= 5; seed++ {
				var caught bool
				evs, still := alarms(regime(12, seed, c.change, minerAt), changeAt.Add(25*time.Hour))
				if still {
					t.Errorf("seed %d: still alerting 25 hours after a benign change", seed)
				}
				for _, e := range evs {
					switch {
					case e.At.Before(changeAt):
						t.Errorf("seed %d: an alarm before anything changed: %s %s at %v", seed, e.Kind, e.Metric, e.At)
					case !e.At.Before(minerAt) && e.At.Before(minerAt.Add(3*time.Hour)):
						caught = true
					case e.At.After(changeAt.Add(24 * time.Hour)):
						after++
						t.Logf("seed %d: alarm %s %s at %v, more than a day after the change", seed, e.Kind, e.Metric, e.At)
					default:
						total++
					}
				}
				if !caught {
					t.Errorf("seed %d: the miner after the change went unseen", seed)
				}
			}
			t.Logf("%s: %d alarms within the first day (5 runs), %d later", c.name, total, after)
			if after > 0 {
				t.Errorf("%d alarms more than a day after a benign change: it did not adapt", after)
			}
		})
	}
}
