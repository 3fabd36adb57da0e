package vm

// History keeps the latest statistics of every VM and a window of recent
// rates, fed by one bulk stats reading per tick. The VM list shows the
// latest rates; the detail screen draws the window as sparklines, including
// what happened before it was opened.
type History struct {
	size   int
	last   map[string]Sample
	series map[string]*ring
}

// NewHistory keeps the last size rate readings of each VM.
func NewHistory(size int) *History {
	return &History{size: max(size, 1), last: map[string]Sample{}, series: map[string]*ring{}}
}

// Add folds in one reading of all VMs. A VM missing from it (undefined)
// is forgotten; one that stopped loses its rates until it runs again.
func (h *History) Add(samples []Sample) {
	seen := make(map[string]bool, len(samples))
	for _, s := range samples {
		seen[s.UUID] = true
		prev, had := h.last[s.UUID]
		h.last[s.UUID] = s
		r := h.series[s.UUID]
		if r == nil {
			r = &ring{buf: make([]Rates, h.size)}
			h.series[s.UUID] = r
		}
		if !s.State.Active() {
			r.push(Rates{})
			continue
		}
		if had && prev.State.Active() {
			r.push(ComputeRates(prev, s))
		} else {
			r.push(Rates{Has: s.Has & HasMemory, MemoryKiB: s.MemoryKiB})
		}
	}
	for id := range h.last {
		if !seen[id] {
			delete(h.last, id)
			delete(h.series, id)
		}
	}
}

// Latest returns the newest rates of a VM, if any.
func (h *History) Latest(uuid string) (Rates, bool) {
	r := h.series[uuid]
	if r == nil || r.n == 0 {
		return Rates{}, false
	}
	return r.at(r.n - 1), true
}

// Series returns the window of rates of a VM, oldest first.
func (h *History) Series(uuid string) []Rates {
	r := h.series[uuid]
	if r == nil {
		return nil
	}
	out := make([]Rates, r.n)
	for i := range out {
		out[i] = r.at(i)
	}
	return out
}

// Reported is the union of what the last reading carried for any VM.
func (h *History) Reported() Fields {
	var f Fields
	for _, s := range h.last {
		f |= s.Has
	}
	return f
}

// ring is a fixed window of rates; the oldest falls out.
type ring struct {
	buf   []Rates
	start int
	n     int
}

func (r *ring) push(x Rates) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = x
		r.n++
		return
	}
	r.buf[r.start] = x
	r.start = (r.start + 1) % len(r.buf)
}

func (r *ring) at(i int) Rates { return r.buf[(r.start+i)%len(r.buf)] }

// Sample returns the newest raw reading of a VM, if any.
func (h *History) Sample(uuid string) (Sample, bool) {
	s, ok := h.last[uuid]
	return s, ok
}
