package anomaly

import (
	"bytes"
	"testing"
	"time"
)

// The detector on a small labelled set: it must find most injected
// anomalies and raise few false alarms. BenchmarkDetection runs the full
// evaluation and prints every figure.
func TestDetectsInjectedAnomalies(t *testing.T) {
	points, labels := Synthesize(SynthConfig{VMs: 6, Days: 4, Step: time.Minute, Seed: 3})
	ev := Evaluate(DefaultConfig, points, labels, 6, 4)
	t.Log(ev)
	if ev.Recall() < 0.8 || ev.Precision() < 0.8 || ev.FalseAlarmsPerVMDay() > 0.2 {
		t.Errorf("detection too weak:\n%s", ev)
	}
}

func BenchmarkDetection(b *testing.B) {
	const vms, days = 20, 14
	points, labels := Synthesize(SynthConfig{VMs: vms, Days: days, Step: time.Minute, Seed: 1})
	var ev Evaluation
	for i := 0; i < b.N; i++ {
		ev = Evaluate(DefaultConfig, points, labels, vms, days)
	}
	med, _ := ev.Delay()
	b.ReportMetric(ev.Precision(), "precision")
	b.ReportMetric(ev.Recall(), "recall")
	b.ReportMetric(med.Minutes(), "delay-min")
	b.ReportMetric(ev.FalseAlarmsPerVMDay(), "false/VM-day")
	b.Logf("%d VMs × %d days at one sample a minute:\n%s", vms, days, ev)
}

// A restart in the middle (save, load into a new detector) changes
// nothing: same alerts as an uninterrupted run.
func TestStateSurvivesRestart(t *testing.T) {
	points, _ := Synthesize(SynthConfig{VMs: 2, Days: 2, Step: time.Minute, Seed: 9})
	run := func(restartAt int) []Event {
		d := New(DefaultConfig)
		var out []Event
		for i, p := range points {
			if i == restartAt {
				var buf bytes.Buffer
				if err := d.Save(&buf); err != nil {
					t.Fatal(err)
				}
				d = New(DefaultConfig)
				if err := d.Load(&buf); err != nil {
					t.Fatal(err)
				}
			}
			out = append(out, d.Observe(p.VM, p.Sample)...)
		}
		return out
	}
	a, b := run(-1), run(len(points)*2/3)
	if len(a) != len(b) {
		t.Fatalf("%d events without restart, %d with", len(a), len(b))
	}
	for i := range a {
		if a[i].Kind != b[i].Kind || !a[i].At.Equal(b[i].At) || a[i].VM != b[i].VM {
			t.Fatalf("event %d differs: %+v vs %+v", i, a[i], b[i])
		}
	}
}

func TestBaselineFrozenWhileAlerting(t *testing.T) {
	d := New(Config{Threshold: 4, CUSUMDrift: 1, CUSUMLimit: 12, K: 3, N: 5, Window: 30, Learning: time.Hour, Days: 7, RelFloor: 0.05,
		Floor: [NumMetrics]float64{CPU: 3}})
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	obs := func(v float64) []Event {
		at = at.Add(time.Minute)
		s := Sample{At: at}
		s.Values[CPU], s.Has[CPU] = v, true
		return d.Observe("vm", s)
	}
	for i := 0; i < 120; i++ {
		obs(10 + float64(i%3))
	}
	started := false
	for i := 0; i < 600; i++ { // ten hours pinned
		for _, e := range obs(99) {
			if e.Kind == AlertStart {
				started = true
			}
			if e.Kind == AlertEnd {
				t.Fatalf("the alert ended after %d minutes: the plateau taught itself normal", i)
			}
		}
	}
	if !started || !d.Alerting("vm", CPU) {
		t.Fatal("a CPU plateau should alert and keep alerting")
	}
	ended := false
	for i := 0; i < 10; i++ {
		for _, e := range obs(11) {
			ended = ended || e.Kind == AlertEnd
		}
	}
	if !ended {
		t.Error("back to normal, the alert should end")
	}
}

func TestLoadRefusesOtherVersions(t *testing.T) {
	d := New(DefaultConfig)
	if err := d.Load(bytes.NewBufferString(`{"version":99,"vms":{}}`)); err == nil {
		t.Error("state of another version must be refused")
	}
	if err := d.Load(bytes.NewBufferString(`{"version":1,"vms":{"x":{"Metrics":[{"Profile":[[1]]}]}}}`)); err == nil {
		t.Error("a malformed profile must be refused")
	}
}
