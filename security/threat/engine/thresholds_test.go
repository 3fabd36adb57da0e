package engine

import (
	"testing"
	"time"
)

// A threshold fires when count matches fall within its window, once per
// window, in any year a log may claim, and for records without a time.
func TestThresholdWindow(t *testing.T) {
	base := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	at := func(min ...int) []time.Time {
		var ts []time.Time
		for _, m := range min {
			ts = append(ts, base.Add(time.Duration(m)*time.Minute))
		}
		return ts
	}
	same := func(t time.Time, n int) []time.Time {
		ts := make([]time.Time, n)
		for i := range ts {
			ts[i] = t
		}
		return ts
	}
	for _, tt := range []struct {
		name  string
		count int
		times []time.Time
		fires []int // indexes of the hits that fire
	}{
		{"five in ten minutes", 5, at(0, 1, 2, 3, 4, 5, 6), []int{4}},
		{"spread out, then ten minutes exactly", 5, at(0, 3, 6, 9, 12, 15, 16, 17, 18), []int{6}},
		{"fires again after its window", 5, at(0, 1, 2, 3, 4, 11, 12, 13, 14, 15), []int{4, 8}},
		{"out of order counts as the latest", 5, at(0, 1, 2, -30, 3), []int{4}},
		{"a long ring", 8, at(0, 1, 2, 3, 4, 5, 6, 7, 30, 31), []int{7}},
		{"no time", 5, same(time.Time{}, 7), []int{4}},
		{"far future", 5, same(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 7), []int{4}},
		{"year one", 5, same(time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), 7), []int{4}},
		{"no time, then times", 5, append(same(time.Time{}, 4), at(0, 1, 2, 3, 4)...), []int{8}},
		{"far future, then now", 5, append(same(time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC), 4), at(0, 1, 2, 3)...), []int{4}},
	} {
		th := newThresholds()
		var fired []int
		for i, ts := range tt.times {
			if n, fire := th.hit(0, "203.0.113.5", ts, 1, tt.count, 10*time.Minute); fire {
				if n != tt.count {
					t.Errorf("%s: fired holding %d, want %d", tt.name, n, tt.count)
				}
				fired = append(fired, i)
			}
		}
		if len(fired) != len(tt.fires) || len(fired) > 0 && fired[0] != tt.fires[0] || len(fired) > 1 && fired[1] != tt.fires[1] {
			t.Errorf("%s: fired at hits %v, want %v", tt.name, fired, tt.fires)
		}
	}
}
