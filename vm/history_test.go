package vm

import (
	"testing"
	"time"
)

func TestHistoryComputesRatesAndKeepsAWindow(t *testing.T) {
	h := NewHistory(3)
	t0 := time.Unix(0, 0)
	reading := func(i int, state State) []Sample {
		return []Sample{{UUID: "a", State: state, At: t0.Add(time.Duration(i) * time.Second), Has: HasCPU,
			VCPUs: 1, CPUTimeNs: uint64(i) * 5e8}}
	}
	if _, ok := h.Latest("a"); ok {
		t.Fatal("no rates before any reading")
	}
	h.Add(reading(0, StateRunning))
	if r, _ := h.Latest("a"); r.Has&HasCPU != 0 {
		t.Error("one reading cannot give a rate")
	}
	for i := 1; i <= 4; i++ {
		h.Add(reading(i, StateRunning))
	}
	if r, _ := h.Latest("a"); r.Has&HasCPU == 0 || r.CPU != 50 {
		t.Errorf("latest CPU = %+v, want 50%%", r)
	}
	if s := h.Series("a"); len(s) != 3 {
		t.Errorf("the window holds %d readings, want 3", len(s))
	}
	if s := h.Series("a"); s[2].CPU != 50 || s[2].Has&HasCPU == 0 {
		t.Errorf("the newest point = %+v, want 50%% CPU", s[2])
	}
	h.Add(reading(5, StateShutOff))
	if r, _ := h.Latest("a"); r.Has != 0 {
		t.Errorf("a stopped VM has no rates: %+v", r)
	}
	h.Add(nil)
	if h.Series("a") != nil {
		t.Error("a VM missing from a reading (undefined) is forgotten")
	}
}

func TestHistoryKeepsNoWindowForVMsThatNeverRan(t *testing.T) {
	h := NewHistory(150)
	h.Add([]Sample{{UUID: "off", State: StateShutOff}})
	if h.Series("off") != nil {
		t.Error("a VM that never ran here has no window to draw")
	}
	if _, ok := h.Latest("off"); !ok {
		t.Error("its latest (empty) rates are still known")
	}
}

// TestHistoryKeepsTheLastGoodCountersPerField: a reading without the block
// counters (libvirt's NOWAIT while another client holds the VM) keeps the
// DISK rate; the next full reading measures from the last good counters;
// a field gone for longer than holdFor shows no rate.
func TestHistoryKeepsTheLastGoodCountersPerField(t *testing.T) {
	h := NewHistory(10)
	t0 := time.Unix(0, 0)
	reading := func(sec int, has Fields, written uint64) []Sample {
		return []Sample{{UUID: "a", State: StateRunning, At: t0.Add(time.Duration(sec) * time.Second),
			Has: HasCPU | has, VCPUs: 1, CPUTimeNs: uint64(sec) * 1e8, DiskWriteBytes: written}}
	}
	disk := func() (float64, bool) {
		r, _ := h.Latest("a")
		return r.DiskWrite, r.Has&HasDisk != 0
	}
	h.Add(reading(0, HasDisk, 0))
	h.Add(reading(2, HasDisk, 2000))
	if w, ok := disk(); !ok || w != 1000 {
		t.Fatalf("disk write after two full readings: %v (%v), want 1000/s", w, ok)
	}
	h.Add(reading(4, 0, 0)) // the block counters left out
	if w, ok := disk(); !ok || w != 1000 {
		t.Errorf("a reading without block counters should keep 1000/s: %v (%v)", w, ok)
	}
	if r, _ := h.Latest("a"); r.Has&HasCPU == 0 || r.CPU != 10 {
		t.Errorf("the CPU rate comes from the partial reading: %+v", r)
	}
	h.Add(reading(6, HasDisk, 14000)) // 12000 bytes since second 2
	if w, ok := disk(); !ok || w != 3000 {
		t.Errorf("the next full reading measures from the last good one: %v (%v), want 3000/s", w, ok)
	}
	h.Add(reading(6+int(holdFor.Seconds()), 0, 0))
	if w, ok := disk(); ok {
		t.Errorf("block counters missing for %v: the rate %v should be gone", holdFor, w)
	}
}
