package anomaly

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNAB scores the detector on real, labelled VM metrics it was not
// tuned on: the AWS CloudWatch series of the Numenta Anomaly Benchmark
// (github.com/numenta/NAB: data/realAWSCloudwatch, data/realKnownCause,
// labels/combined_windows.json), one sample every five minutes. Point
// HV_NAB_DIR at a copy of the repository (it is not part of hv). An
// anomaly window counts as found when an alert starts in it; an alert
// outside every window is a false alarm.
func TestNAB(t *testing.T) {
	dir := os.Getenv("HV_NAB_DIR")
	if dir == "" {
		t.Skip("set HV_NAB_DIR to a copy of github.com/numenta/NAB")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "labels", "combined_windows.json"))
	if err != nil {
		t.Fatal(err)
	}
	var windows map[string][][2]string
	if err := json.Unmarshal(raw, &windows); err != nil {
		t.Fatal(err)
	}
	metricOf := func(name string) (Metric, bool) {
		switch {
		case strings.Contains(name, "cpu"):
			return CPU, true
		case strings.Contains(name, "disk_write"):
			return DiskWrite, true
		case strings.Contains(name, "network_in"), strings.Contains(name, "NetworkIn"):
			return NetRx, true
		}
		return 0, false
	}
	const layout = "2006-01-02 15:04:05"
	var names []string
	for name := range windows {
		if _, ok := metricOf(name); ok && (strings.HasPrefix(name, "realAWSCloudwatch/") || strings.HasPrefix(name, "realKnownCause/")) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var found, labels, falseAlarms int
	var days float64
	for _, name := range names {
		m, _ := metricOf(name)
		f, err := os.Open(filepath.Join(dir, "data", name))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		var wins [][2]time.Time
		for _, w := range windows[name] {
			a, _ := time.Parse(layout, strings.TrimSuffix(w[0], ".000000"))
			b, _ := time.Parse(layout, strings.TrimSuffix(w[1], ".000000"))
			wins = append(wins, [2]time.Time{a, b})
		}
		hit := make([]bool, len(wins))
		d := New(DefaultConfig)
		var first, last time.Time
		fa := 0
		for _, r := range rows[1:] {
			at, err := time.Parse(layout, r[0])
			v, err2 := strconv.ParseFloat(r[1], 64)
			if err != nil || err2 != nil {
				continue
			}
			if first.IsZero() {
				first = at
			}
			last = at
			var s Sample
			s.At, s.Values[m], s.Has[m] = at, v, true
			for _, e := range d.Observe(name, s) {
				if e.Kind != AlertStart {
					continue
				}
				in := false
				for i, w := range wins {
					if !at.Before(w[0]) && !at.After(w[1]) {
						hit[i], in = true, true
					}
				}
				if !in {
					fa++
				}
			}
		}
		n := 0
		for _, h := range hit {
			if h {
				n++
			}
		}
		vmDays := last.Sub(first).Hours()/24 - DefaultConfig.Learning.Hours()/24
		t.Logf("%-58s %s  windows %d/%d found, false alarms %d over %.1f days", name, m, n, len(wins), fa, vmDays)
		found, labels, falseAlarms, days = found+n, labels+len(wins), falseAlarms+fa, days+vmDays
	}
	t.Logf("NAB, %d series: %d/%d anomaly windows found (recall %.2f), %d false alarms (%.2f per VM-day over %.0f VM-days), precision per anomaly %.2f",
		len(names), found, labels, float64(found)/float64(labels), falseAlarms, float64(falseAlarms)/days, days, float64(found)/float64(found+falseAlarms))
}
