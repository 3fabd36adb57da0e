// Package monitor ties detection together: sources feed one engine, its
// findings and the anomaly detector's go to a live view, to the findings
// store and to the response playbooks. The 'hv monitor' daemon runs it
// with every source and a store; the dashboard runs it in-process over
// the sources its user can read when no daemon is there.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/anomaly"
	"github.com/hyper-nixos/hv/security/threat/engine"
	"github.com/hyper-nixos/hv/security/threat/response"
	"github.com/hyper-nixos/hv/security/threat/rules"
	"github.com/hyper-nixos/hv/security/threat/source"
	"github.com/hyper-nixos/hv/security/threat/store"
	"github.com/hyper-nixos/hv/vm"
)

// Source produces items until its context ends.
type Source interface {
	Run(ctx context.Context, out chan<- source.Item) error
}

// Sink receives what the monitor finds; the store and metrics are sinks.
type Sink interface {
	Findings(ctx context.Context, fs []threat.Finding) error
}

// Monitor runs detection. Handle and Observe may be called from the
// monitor's own loop only; View is safe from anywhere.
type Monitor struct {
	Engine   *engine.Engine
	Detector *anomaly.Detector
	Runner   *response.Runner // nil: no playbooks
	Store    *store.Store     // nil: memory only
	// StoreMin is the lowest severity stored; lower findings are counted.
	StoreMin threat.Severity
	// OnPosition is told the last position processed per source (journal
	// cursor, file offset), after its findings are stored.
	OnPosition func(source, position string)
	OnError    func(err error)
	Now        func() time.Time
	Metrics    *Metrics // nil: none
	// VMs names the VM behind a UUID: AppArmor names a VM's QEMU
	// profile libvirt-<uuid>, and a finding must say which VM it is.
	VMs VMLookup

	view  *View
	names map[string]string // VM UUID -> name, as VMs answered

	detMu sync.Mutex // the detector: the metrics loop feeds it while the state is saved

	mu      sync.Mutex
	pending []threat.Finding
	posns   map[string]string
}

// VMLookup finds a VM by name or UUID (vm.Hypervisor does).
type VMLookup interface {
	Lookup(ctx context.Context, ref string) (vm.VM, error)
}

// New returns a monitor over a rule set.
func New(set *rules.Set, opt engine.Options) *Monitor {
	return &Monitor{
		Engine:   engine.New(set, opt),
		Detector: anomaly.New(anomaly.DefaultConfig),
		StoreMin: threat.Low,
		Now:      time.Now,
		view:     NewView(),
		posns:    map[string]string{},
	}
}

// View is the live view of what the monitor saw.
func (m *Monitor) View() *View { return m.view }

// Run reads every source until ctx ends, flushing findings every second.
func (m *Monitor) Run(ctx context.Context, sources ...Source) error {
	items := make(chan source.Item, 1024)
	var wg sync.WaitGroup
	for _, s := range sources {
		wg.Add(1)
		go func(s Source) {
			defer wg.Done()
			if err := s.Run(ctx, items); err != nil && ctx.Err() == nil {
				m.fail(fmt.Errorf("source stopped: %w", err))
			}
		}(s)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			m.Flush(context.Background())
			wg.Wait()
			return nil
		case it := <-items:
			m.Handle(it)
		case <-tick.C:
			m.Flush(ctx)
		}
	}
}

func (m *Monitor) fail(err error) {
	m.Metrics.failed()
	if m.OnError != nil {
		m.OnError(err)
	}
	m.view.noteError(err)
}

// Handle runs one item through the engine.
func (m *Monitor) Handle(it source.Item) {
	emit := m.collect
	if it.Record != nil {
		m.Engine.Record(*it.Record, emit)
	} else {
		m.Engine.Line(it.Line, it.Source, 0, emit)
	}
	m.view.countLine()
	src := it.Source
	if it.Line != nil {
		src = "file"
	}
	m.Metrics.line(src)
	if it.Position != "" {
		m.mu.Lock()
		m.posns[it.Source] = it.Position
		m.mu.Unlock()
	}
}

func (m *Monitor) collect(f threat.Finding) {
	if f.Time.IsZero() {
		f.Time = m.Now()
	}
	if u := f.Fields["vm_uuid"]; u != "" && f.VM == "" {
		f.VM = m.vmName(u)
	}
	m.mu.Lock()
	m.pending = append(m.pending, f)
	m.mu.Unlock()
}

// vmName names the VM with UUID u, from a cache or by asking libvirt;
// "" when it cannot (the finding keeps the UUID in its fields).
func (m *Monitor) vmName(u string) string {
	if n, ok := m.names[u]; ok || m.VMs == nil {
		return n
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, err := m.VMs.Lookup(ctx, u)
	if err != nil && !errors.Is(err, vm.ErrNotFound) {
		return "" // asked again next time: libvirt may be back
	}
	if m.names == nil || len(m.names) > 4096 {
		m.names = map[string]string{}
	}
	m.names[u] = v.Name // "" for a VM that is gone: not asked again for each of its findings
	return v.Name
}

// Observe feeds VM metrics to the anomaly detector and turns its alerts
// into findings. It may run beside the monitor's loop.
func (m *Monitor) Observe(points []anomaly.Point) {
	m.detMu.Lock()
	defer m.detMu.Unlock()
	for _, p := range points {
		for _, e := range m.Detector.Observe(p.VM, p.Sample) {
			if f, ok := AnomalyFinding(e); ok {
				m.collect(f)
			}
		}
	}
	m.view.setSparks(m.Detector)
	if m.Metrics != nil {
		n := 0
		for _, st := range m.Detector.VMs {
			for _, s := range st.Metrics {
				if s != nil && s.Alerting {
					n++
				}
			}
		}
		m.Metrics.alerting.Set(float64(n))
	}
}

// SaveAnomalies writes the detector's baselines, safely beside Observe.
func (m *Monitor) SaveAnomalies(w io.Writer) error {
	m.detMu.Lock()
	defer m.detMu.Unlock()
	return m.Detector.Save(w)
}

// Flush stores pending findings, runs playbooks on them, and publishes
// them to the view.
func (m *Monitor) Flush(ctx context.Context) {
	m.mu.Lock()
	fs := m.pending
	m.pending = nil
	posns := m.posns
	m.posns = map[string]string{}
	m.mu.Unlock()
	if len(fs) > 0 {
		if m.Store != nil {
			var keep []threat.Finding
			idx := []int{}
			for i, f := range fs {
				if f.Severity >= m.StoreMin {
					keep = append(keep, f)
					idx = append(idx, i)
				}
			}
			if err := m.Store.Add(ctx, keep); err != nil {
				m.fail(fmt.Errorf("storing findings: %w", err))
			}
			for j, i := range idx {
				fs[i].ID = keep[j].ID
			}
		}
		if m.Runner != nil {
			for _, f := range fs {
				if acts := m.Runner.Handle(ctx, f); len(acts) > 0 {
					m.view.addActions(acts)
					m.Metrics.acted(acts)
				}
			}
		}
		m.view.add(fs)
		m.Metrics.found(fs)
	}
	if m.OnPosition != nil {
		for s, p := range posns {
			m.OnPosition(s, p)
		}
	}
}

// AnomalyFinding turns an alert start into a finding.
func AnomalyFinding(e anomaly.Event) (threat.Finding, bool) {
	f := threat.Finding{Time: e.At, VM: e.VM, Kind: threat.KindAnomaly, Count: 1, State: threat.Open, Source: "metrics",
		Tags: []string{"anomaly", e.Metric.String()}}
	switch e.Kind {
	case anomaly.AlertStart:
		f.Rule = "anomaly." + e.Metric.String()
		f.Title = "Unusual " + e.Metric.String() + " for this VM"
		f.Severity = threat.Medium
		if e.Metric == anomaly.NetTx || e.Metric == anomaly.PktsTx || e.Metric == anomaly.DiskWrite {
			f.Severity = threat.High // exfiltration, ransomware-like writes
			f.MITRE = map[anomaly.Metric]string{anomaly.NetTx: "T1048", anomaly.PktsTx: "T1048", anomaly.DiskWrite: "T1486"}[e.Metric]
		}
		f.Evidence = fmt.Sprintf("%s %s, usually %s at this time (z=%.1f)", e.Metric, e.Metric.Format(e.Value), e.Metric.Format(e.Expected), e.Z)
	case anomaly.Miner:
		f.Rule, f.Title, f.Severity, f.MITRE = "anomaly.miner", "CPU pinned with new outbound traffic: likely a cryptominer", threat.High, "T1496"
		f.Tags = []string{"anomaly", "cpu", "miner"}
		f.Evidence = fmt.Sprintf("cpu %s, usually %s, while outbound traffic rose", e.Metric.Format(e.Value), e.Metric.Format(e.Expected))
	default:
		return f, false
	}
	return f, true
}
