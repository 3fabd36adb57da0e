package anomaly

import (
	"os"
	"testing"
	"time"
)

// TestListFalseAlarms prints alerts that match no label (HV_ANOMALY_DEBUG=1).
func TestListFalseAlarms(t *testing.T) {
	if os.Getenv("HV_ANOMALY_DEBUG") == "" {
		t.Skip()
	}
	points, labels := Synthesize(SynthConfig{VMs: 12, Days: 7, Step: time.Minute, Seed: 3})
	d := New(DefaultConfig)
	for _, p := range points {
		for _, e := range d.Observe(p.VM, p.Sample) {
			if e.Kind != AlertStart {
				continue
			}
			ok := false
			for _, l := range labels {
				if l.VM == e.VM && !e.At.Before(l.Start) && e.At.Before(l.End.Add(grace)) {
					ok = true
				}
			}
			if !ok {
				t.Logf("false: %s %s %s v=%s exp=%s z=%.1f", e.VM, e.Metric, e.At.Format("Jan 2 15:04"), e.Metric.Format(e.Value), e.Metric.Format(e.Expected), e.Z)
			}
		}
	}
	for _, l := range labels {
		t.Logf("label %s %s %s-%s", l.VM, l.Kind, l.Start.Format("Jan 2 15:04"), l.End.Format("15:04"))
	}
}
