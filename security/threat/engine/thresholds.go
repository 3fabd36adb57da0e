package engine

import "time"

// thresholds counts matches per rule and key in a sliding window.
type thresholds struct {
	m    map[thrKey]*window
	hits int
}

type thrKey struct {
	rule int // the rule's index in its set
	key  string
}

// window holds the times of the last Count matches, oldest first in a ring.
type window struct {
	times   []time.Time
	next    int
	full    bool
	rearmAt time.Time // quiet until then after firing: a storm fires once per window
	last    time.Time
	within  time.Duration
}

const thrMax = 1 << 17

func newThresholds() *thresholds { return &thresholds{m: map[thrKey]*window{}} }

// hit records n matches at t and reports whether the threshold fires now,
// with how many matches the window holds.
func (th *thresholds) hit(rule int, key string, t time.Time, n, count int, within time.Duration) (int, bool) {
	if n == 1 {
		return th.hit1(rule, key, t, count, within)
	}
	held, fire := 0, false
	for range min(n, count) {
		if c, f := th.hit1(rule, key, t, count, within); f {
			held, fire = c, true
		} else if !fire {
			held = c
		}
	}
	return held, fire
}

func (th *thresholds) hit1(rule int, key string, t time.Time, count int, within time.Duration) (int, bool) {
	k := thrKey{rule, key}
	w := th.m[k]
	if w == nil {
		if len(th.m) >= thrMax {
			th.sweep(t)
		}
		w = &window{times: make([]time.Time, count), within: within}
		th.m[k] = w
	}
	if t.Before(w.last) {
		t = w.last // sources may interleave slightly out of order
	}
	w.last = t
	w.times[w.next] = t
	w.next = (w.next + 1) % count
	if w.next == 0 {
		w.full = true
	}
	if !w.full {
		return w.next, false
	}
	oldest := w.times[w.next]
	if t.Sub(oldest) > within || t.Before(w.rearmAt) {
		return 0, false
	}
	w.rearmAt = t.Add(within)
	return count, true
}

func (th *thresholds) sweep(t time.Time) {
	for k, w := range th.m {
		if t.Sub(w.last) > w.within {
			delete(th.m, k)
		}
	}
	if len(th.m) >= thrMax { // all recent: drop half rather than grow
		n := 0
		for k := range th.m {
			if n%2 == 0 {
				delete(th.m, k)
			}
			n++
		}
	}
}
