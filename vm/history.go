package vm

import "time"

// History keeps the latest statistics of every VM and a window of recent
// readings, fed by one bulk stats reading per tick. The VM list shows the
// latest rates; the detail screen draws the window as sparklines, including
// what happened before it was opened. The window holds compact points and
// grows as readings come, so a host of a thousand VMs costs a few MB.
type History struct {
	size   int
	read   bool // a reading came
	last   map[string]Sample
	bases  map[string]*bases
	latest map[string]Rates
	series map[string]*ring
}

// rateFields are the fields whose rates need two readings.
var rateFields = [...]Fields{HasCPU, HasDisk, HasNet}

// bases are, per rate field, the newest reading of a running VM that
// carried the field. libvirt leaves out what a busy VM cannot report at
// once (the block counters, while another client reads them), so each
// field's rate comes from its own last good counters.
type bases [len(rateFields)]Sample

// holdFor is how long a field missing from the readings keeps showing its
// last rate; after that it shows none (the device may be gone).
const holdFor = time.Minute

// Point is one reading of a VM's window: what the sparklines draw.
type Point struct {
	Has       Fields
	CPU       float32 // percent of the VM's vCPUs
	Disk      float32 // bytes/s, read and write
	Net       float32 // bytes/s, received and sent
	MemoryMiB uint32
}

// NewHistory keeps the last size readings of each VM.
func NewHistory(size int) *History {
	return &History{size: max(size, 1), last: map[string]Sample{}, bases: map[string]*bases{}, latest: map[string]Rates{}, series: map[string]*ring{}}
}

// Add folds in one reading of all VMs. A VM missing from it (undefined)
// is forgotten; one that stopped loses its rates until it runs again.
func (h *History) Add(samples []Sample) {
	h.read = true
	seen := make(map[string]bool, len(samples))
	for _, s := range samples {
		seen[s.UUID] = true
		h.last[s.UUID] = s
		var r Rates
		if s.State.Active() {
			b := h.bases[s.UUID]
			if b == nil {
				b = &bases{}
				h.bases[s.UUID] = b
			}
			r = b.rates(h.latest[s.UUID], s)
		} else {
			delete(h.bases, s.UUID)
		}
		h.latest[s.UUID] = r
		window := h.series[s.UUID]
		if window == nil {
			if !s.State.Active() {
				continue // nothing to draw for a VM that never ran here
			}
			window = &ring{size: h.size}
			h.series[s.UUID] = window
		}
		window.push(Point{Has: r.Has, CPU: float32(r.CPU), Disk: float32(r.DiskRead + r.DiskWrite),
			Net: float32(r.NetRx + r.NetTx), MemoryMiB: uint32(r.MemoryKiB >> 10)})
	}
	for id := range h.last {
		if !seen[id] {
			delete(h.last, id)
			delete(h.bases, id)
			delete(h.latest, id)
			delete(h.series, id)
		}
	}
}

// rates derives the rates of running VM reading s, field by field from
// the last good counters of each; a field s lacks keeps its rate from
// prev (the last rates) for up to holdFor.
func (b *bases) rates(prev Rates, s Sample) Rates {
	var r Rates
	if s.Has&HasMemory != 0 {
		r.Has, r.MemoryKiB = HasMemory, s.MemoryKiB
	} else {
		r.take(prev, HasMemory)
	}
	for i, f := range rateFields {
		base := b[i]
		switch {
		case s.Has&f != 0:
			if base.Has&f != 0 {
				base.Has = f
				r.take(ComputeRates(base, s), f)
			}
			b[i] = s
		case base.Has&f != 0 && s.At.Sub(base.At) < holdFor:
			r.take(prev, f)
		}
	}
	return r
}

// Latest returns the newest rates of a VM, if any.
func (h *History) Latest(uuid string) (Rates, bool) {
	r, ok := h.latest[uuid]
	return r, ok
}

// Series returns the window of a VM, oldest first.
func (h *History) Series(uuid string) []Point {
	r := h.series[uuid]
	if r == nil {
		return nil
	}
	out := make([]Point, len(r.buf))
	for i := range out {
		out[i] = r.buf[(r.start+i)%len(r.buf)]
	}
	return out
}

// Read reports whether a reading came yet: before one, a VM without
// figures has none yet, not none at all.
func (h *History) Read() bool { return h.read }

// Reported is the union of what the last reading carried for any VM.
func (h *History) Reported() Fields {
	var f Fields
	for _, s := range h.last {
		f |= s.Has
	}
	return f
}

// Sample returns the newest raw reading of a VM, if any.
func (h *History) Sample(uuid string) (Sample, bool) {
	s, ok := h.last[uuid]
	return s, ok
}

// ring is a window of points that grows to size, then drops the oldest.
type ring struct {
	size  int
	buf   []Point
	start int
}

func (r *ring) push(p Point) {
	if len(r.buf) < r.size {
		r.buf = append(r.buf, p)
		return
	}
	r.buf[r.start] = p
	r.start = (r.start + 1) % len(r.buf)
}
