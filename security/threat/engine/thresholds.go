package engine

import "time"

// thresholds counts matches per rule and key in a sliding window.
type thresholds struct {
	m []map[string]*window // by the rule's index in its set, then key
	n int                  // windows held
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

func newThresholds() *thresholds { return &thresholds{} }

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
	if rule >= len(th.m) {
		th.m = append(th.m, make([]map[string]*window, rule+1-len(th.m))...)
	}
	m := th.m[rule]
	w := m[key]
	if w == nil {
		if th.n >= thrMax {
			th.sweep(t)
		}
		if m == nil {
			m = map[string]*window{}
			th.m[rule] = m
		}
		w = &window{times: make([]time.Time, count), within: within}
		m[key] = w
		th.n++
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
	for _, m := range th.m {
		for k, w := range m {
			if t.Sub(w.last) > w.within {
				delete(m, k)
				th.n--
			}
		}
	}
	if th.n >= thrMax { // all recent: drop half rather than grow
		i := 0
		for _, m := range th.m {
			for k := range m {
				if i%2 == 0 {
					delete(m, k)
					th.n--
				}
				i++
			}
		}
	}
}
