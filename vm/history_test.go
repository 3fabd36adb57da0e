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
