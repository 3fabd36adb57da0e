package engine

import (
	"math"
	"strings"
	"time"
)

// thresholds counts matches per rule and key in a sliding window.
type thresholds struct {
	m []map[string]*window // by the rule's index in its set, then key
	n int                  // windows held
}

// window holds the times of the last Count matches, oldest first in a ring,
// in nanoseconds (see nanos). Up to windowInline of them live in the window
// itself: a brute-force scan touches a window per finding, and one
// allocation costs one cache miss where two cost two.
type window struct {
	times   []int64
	next    int
	full    bool
	rearmAt int64 // quiet until then after firing: a storm fires once per window
	last    int64
	within  time.Duration
	inline  [windowInline]int64
}

const windowInline = 6

const thrMax = 1 << 17

func newThresholds() *thresholds { return &thresholds{} }

// nanos is t in nanoseconds since 1970, clamped to 1824-2116 so that the
// difference of any two fits an int64; a missing time is the earliest,
// minNanos.
func nanos(t time.Time) int64 {
	s := t.Unix()
	if s < -nanosLim || s > nanosLim {
		return max(min(s, nanosLim), -nanosLim) * 1e9
	}
	return s*1e9 + int64(t.Nanosecond())
}

const (
	nanosLim = math.MaxInt64 / 2 / int64(time.Second) // in seconds
	minNanos = -nanosLim * int64(time.Second)
)

// hit records n matches at t and reports whether the threshold fires now,
// with how many matches the window holds.
func (th *thresholds) hit(rule int, key string, t time.Time, n, count int, within time.Duration) (int, bool) {
	ns := nanos(t)
	if n == 1 {
		return th.hit1(rule, key, ns, count, within)
	}
	held, fire := 0, false
	for range min(n, count) {
		if c, f := th.hit1(rule, key, ns, count, within); f {
			held, fire = c, true
		} else if !fire {
			held = c
		}
	}
	return held, fire
}

func (th *thresholds) hit1(rule int, key string, t int64, count int, within time.Duration) (int, bool) {
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
		w = &window{within: within, last: minNanos, rearmAt: minNanos}
		if count <= windowInline {
			w.times = w.inline[:count]
		} else {
			w.times = make([]int64, count)
		}
		m[strings.Clone(key)] = w // a transient finding's text is not its own
		th.n++
	}
	if t < w.last {
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
	if t-oldest > int64(within) || t < w.rearmAt {
		return 0, false
	}
	w.rearmAt = t + int64(within)
	return count, true
}

func (th *thresholds) sweep(t int64) {
	for _, m := range th.m {
		for k, w := range m {
			if t-w.last > int64(w.within) {
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
