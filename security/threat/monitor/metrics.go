package monitor

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/store"
)

// Metrics are the monitor's Prometheus metrics.
type Metrics struct {
	reg      *prometheus.Registry
	lines    *prometheus.CounterVec
	findings *prometheus.CounterVec
	actions  *prometheus.CounterVec
	errors   prometheus.Counter
	alerting prometheus.Gauge
}

// NewMetrics registers the metrics in a registry of their own.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		lines: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hv_threat_records_total",
			Help: "Log lines, journal entries and libvirt events read, by source."}, []string{"source"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hv_threat_findings_total",
			Help: "Findings, by severity and kind."}, []string{"severity", "kind"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hv_threat_actions_total",
			Help: "Playbook actions, by action and mode (monitor: recorded only; enforce: carried out)."}, []string{"action", "mode", "result"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "hv_threat_errors_total",
			Help: "Errors of sources, the store and playbooks."}),
		alerting: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hv_threat_anomalies_alerting",
			Help: "VM metrics currently outside their learned baseline."}),
	}
	m.reg.MustRegister(m.lines, m.findings, m.actions, m.errors, m.alerting,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *Metrics) line(src string) {
	if m != nil {
		m.lines.WithLabelValues(src).Inc()
	}
}

func (m *Metrics) found(fs []threat.Finding) {
	if m == nil {
		return
	}
	for _, f := range fs {
		m.findings.WithLabelValues(f.Severity.String(), string(f.Kind)).Inc()
	}
}

func (m *Metrics) acted(as []store.Action) {
	if m == nil {
		return
	}
	for _, a := range as {
		res := "ok"
		if a.Mode == "enforce" && a.Result != "ok" {
			res = "error"
		}
		m.actions.WithLabelValues(a.Action, a.Mode, res).Inc()
	}
}

func (m *Metrics) failed() {
	if m != nil {
		m.errors.Inc()
	}
}
