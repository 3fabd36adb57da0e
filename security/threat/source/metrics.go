package source

import (
	"context"

	"github.com/hyper-nixos/hv/security/threat/anomaly"
	"github.com/hyper-nixos/hv/vm"
)

// StatsReader is the part of vm.Hypervisor the metrics source needs.
type StatsReader interface {
	List(ctx context.Context) ([]vm.VM, error)
	Stats(ctx context.Context) ([]vm.Sample, error)
}

// Metrics turns bulk statistics into per-VM anomaly samples: rates from
// two successive readings, by VM name.
type Metrics struct {
	HV    StatsReader
	prev  map[string]vm.Sample
	names map[string]string // UUID -> name
}

// Refresh re-reads VM names; Sample does when it meets a VM it cannot name.
func (m *Metrics) Refresh(ctx context.Context) error {
	vms, err := m.HV.List(ctx)
	if err != nil {
		return err
	}
	m.names = map[string]string{}
	for _, v := range vms {
		m.names[v.UUID] = v.Name
	}
	return nil
}

// Sample reads every VM once and returns a sample per running VM that
// has a previous reading.
func (m *Metrics) Sample(ctx context.Context) ([]anomaly.Point, error) {
	if m.names == nil {
		if err := m.Refresh(ctx); err != nil {
			return nil, err
		}
	}
	samples, err := m.HV.Stats(ctx)
	if err != nil {
		return nil, err
	}
	if m.prev == nil {
		m.prev = map[string]vm.Sample{}
	}
	// A VM defined since the names were read is watched from its first
	// sample: read them again, once a round.
	for _, s := range samples {
		if _, ok := m.names[s.UUID]; !ok {
			m.Refresh(ctx)
			break
		}
	}
	var out []anomaly.Point
	for _, s := range samples {
		prev, ok := m.prev[s.UUID]
		m.prev[s.UUID] = s
		name := m.names[s.UUID]
		if !ok || name == "" || !s.State.Active() {
			continue
		}
		out = append(out, anomaly.Point{VM: name, Sample: FromRates(s, vm.ComputeRates(prev, s))})
	}
	return out, nil
}

// FromRates converts rates into an anomaly sample.
func FromRates(s vm.Sample, r vm.Rates) anomaly.Sample {
	var a anomaly.Sample
	a.At = s.At
	set := func(m anomaly.Metric, v float64) { a.Values[m], a.Has[m] = v, true }
	if r.Has&vm.HasCPU != 0 {
		set(anomaly.CPU, r.CPU)
	}
	if r.Has&vm.HasMemory != 0 {
		set(anomaly.Memory, float64(r.MemoryKiB))
	}
	if r.Has&vm.HasDisk != 0 {
		set(anomaly.DiskRead, r.DiskRead)
		set(anomaly.DiskWrite, r.DiskWrite)
	}
	if r.Has&vm.HasNet != 0 {
		set(anomaly.NetRx, r.NetRx)
		set(anomaly.NetTx, r.NetTx)
		set(anomaly.PktsRx, r.NetRxPkts)
		set(anomaly.PktsTx, r.NetTxPkt)
	}
	return a
}
