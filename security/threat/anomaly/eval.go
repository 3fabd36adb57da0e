package anomaly

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Evaluation scores the detector on labelled data.
type Evaluation struct {
	Labels, Detected       int
	Alerts, TruePositive   int
	FalseAlarms            int
	VMDays                 float64
	Delays                 []time.Duration
	ByKind                 map[AnomalyKind][2]int // detected, total
	MinerLabels, MinerSeen int
	MinerFalse             int // miner signals on VMs without a miner
}

// Precision is counted per anomaly: of the anomalies reported and the
// false alarms, the share that were anomalies. Several alerts within one
// anomaly (one per metric, or one that stops and starts) count once; a
// false alarm is an alert that matches no anomaly.
func (e Evaluation) Precision() float64 { return ratio(e.Detected, e.Detected+e.FalseAlarms) }

// Recall is the share of injected anomalies that raised an alert.
func (e Evaluation) Recall() float64 { return ratio(e.Detected, e.Labels) }

// FalseAlarmsPerVMDay counts alerts that matched nothing.
func (e Evaluation) FalseAlarmsPerVMDay() float64 { return float64(e.FalseAlarms) / e.VMDays }

// Delay returns the median and the 90th percentile detection delay.
func (e Evaluation) Delay() (time.Duration, time.Duration) {
	if len(e.Delays) == 0 {
		return 0, 0
	}
	d := slices.Clone(e.Delays)
	slices.Sort(d)
	return d[len(d)/2], d[len(d)*9/10]
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (e Evaluation) String() string {
	med, p90 := e.Delay()
	var b strings.Builder
	fmt.Fprintf(&b, "precision %.3f (per anomaly)  recall %.3f  delay median %v p90 %v  false alarms %.3f per VM-day (%d alerts, %d within anomalies; %d anomalies, %.0f VM-days)\n",
		e.Precision(), e.Recall(), med, p90, e.FalseAlarmsPerVMDay(), e.Alerts, e.TruePositive, e.Labels, e.VMDays)
	for _, k := range []AnomalyKind{Spike, MinerPlateau, ExfilRamp, WriteStorm} {
		v := e.ByKind[k]
		fmt.Fprintf(&b, "  %-13s %d/%d detected\n", k, v[0], v[1])
	}
	fmt.Fprintf(&b, "  miner signal  %d/%d miner plateaus also reported as a likely miner; %d signals elsewhere\n", e.MinerSeen, e.MinerLabels, e.MinerFalse)
	return b.String()
}

// grace lets an alert that starts just after an anomaly ends still count
// for it: a ramp is often caught near its top.
const grace = 15 * time.Minute

// Evaluate runs a fresh detector over points and scores its alerts
// against labels. Days of learning are not counted as VM-days.
func Evaluate(cfg Config, points []Point, labels []Label, vms, days int) Evaluation {
	d := New(cfg)
	ev := Evaluation{Labels: len(labels), ByKind: map[AnomalyKind][2]int{}}
	detected := make([]bool, len(labels))
	minerSeen := make([]bool, len(labels))
	byVM := map[string][]int{}
	for i, l := range labels {
		byVM[l.VM] = append(byVM[l.VM], i)
		if l.Kind == MinerPlateau {
			ev.MinerLabels++
		}
	}
	match := func(e Event) int {
		for _, i := range byVM[e.VM] {
			l := labels[i]
			if !e.At.Before(l.Start) && e.At.Before(l.End.Add(grace)) {
				return i
			}
		}
		return -1
	}
	for _, p := range points {
		for _, e := range d.Observe(p.VM, p.Sample) {
			switch e.Kind {
			case AlertStart:
				ev.Alerts++
				i := match(e)
				if i < 0 {
					ev.FalseAlarms++
					continue
				}
				ev.TruePositive++
				if !detected[i] {
					detected[i] = true
					ev.Detected++
					ev.Delays = append(ev.Delays, e.At.Sub(labels[i].Start))
				}
			case Miner:
				i := match(e)
				if i < 0 || labels[i].Kind != MinerPlateau {
					ev.MinerFalse++
				} else if !minerSeen[i] {
					minerSeen[i] = true
					ev.MinerSeen++
				}
			}
		}
	}
	for i, l := range labels {
		v := ev.ByKind[l.Kind]
		v[1]++
		if detected[i] {
			v[0]++
		}
		ev.ByKind[l.Kind] = v
	}
	learnDays := cfg.Learning.Hours() / 24
	ev.VMDays = float64(vms) * (float64(days) - learnDays)
	return ev
}
