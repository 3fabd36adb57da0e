package engine

import (
	"bytes"
	"os"
	"testing"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/rules"
)

// BenchmarkScanFile measures the engine on $HV_BENCH_LOG (skipped unset):
// go test -bench ScanFile -cpuprofile cpu.out ./security/threat/engine
func BenchmarkScanFile(b *testing.B) {
	path := os.Getenv("HV_BENCH_LOG")
	if path == "" {
		b.Skip("set HV_BENCH_LOG to a log file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	set, err := rules.Load(content.ThreatRules())
	if err != nil {
		b.Fatal(err)
	}
	if tag := os.Getenv("HV_BENCH_TAG"); tag != "" {
		set = set.Select(tag)
	}
	lines := bytes.Count(data, []byte{'\n'})
	b.SetBytes(int64(len(data)))
	json := os.Getenv("HV_BENCH_JSON") != ""
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := New(set, Options{Year: 2026, Transient: true}) // as hv threats scan
		var buf []byte
		var enc threat.JSONEncoder
		e.Scan(bytes.NewReader(data), "bench", func(f threat.Finding) {
			if json {
				buf = enc.Append(buf[:0], &f)
			}
		})
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
