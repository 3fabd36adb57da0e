package vm

import (
	"math"
	"testing"
	"time"
)

func TestComputeRates(t *testing.T) {
	t0 := time.Unix(1000, 0)
	base := Sample{UUID: "u", At: t0, Has: HasCPU | HasDisk | HasNet | HasMemory, VCPUs: 2,
		CPUTimeNs: 10e9, DiskReadBytes: 1000, DiskWriteBytes: 2000,
		NetRxBytes: 500, NetTxBytes: 700, NetRxPackets: 5, NetTxPackets: 7, MemoryKiB: 1024}
	later := func(d time.Duration, f func(*Sample)) Sample {
		s := base
		s.At = t0.Add(d)
		f(&s)
		return s
	}
	tests := []struct {
		name string
		cur  Sample
		want Rates
	}{
		{
			name: "one of two vCPUs busy for two seconds is 50%",
			cur:  later(2*time.Second, func(s *Sample) { s.CPUTimeNs += 2e9 }),
			want: Rates{Has: HasCPU | HasDisk | HasNet | HasMemory, CPU: 50, MemoryKiB: 1024},
		},
		{
			name: "byte and packet counters become per-second rates",
			cur: later(4*time.Second, func(s *Sample) {
				s.DiskReadBytes += 4096
				s.DiskWriteBytes += 8192
				s.NetRxBytes += 400
				s.NetTxBytes += 800
				s.NetRxPackets += 8
				s.NetTxPackets += 4
			}),
			want: Rates{Has: HasCPU | HasDisk | HasNet | HasMemory, DiskRead: 1024, DiskWrite: 2048,
				NetRx: 100, NetTx: 200, NetRxPkts: 2, NetTxPkt: 1, MemoryKiB: 1024},
		},
		{
			name: "CPU never shows above 100% from rounding of the two clocks",
			cur:  later(time.Second, func(s *Sample) { s.CPUTimeNs += 2.1e9 }),
			want: Rates{Has: HasCPU | HasDisk | HasNet | HasMemory, CPU: 100, MemoryKiB: 1024},
		},
		{
			name: "a counter that went backwards (VM restarted) gives no figure, not a huge one",
			cur: later(time.Second, func(s *Sample) {
				s.CPUTimeNs = 1e9
				s.NetRxBytes = 10
			}),
			want: Rates{Has: HasDisk | HasMemory, MemoryKiB: 1024},
		},
		{
			name: "no time passed gives only the memory reading",
			cur:  later(0, func(s *Sample) { s.CPUTimeNs += 1e9 }),
			want: Rates{Has: HasMemory, MemoryKiB: 1024},
		},
		{
			name: "fields missing from either sample are missing from the rates",
			cur:  later(time.Second, func(s *Sample) { s.Has = HasCPU }),
			want: Rates{Has: HasCPU},
		},
		{
			name: "zero vCPUs cannot divide",
			cur:  later(time.Second, func(s *Sample) { s.VCPUs = 0; s.Has = HasCPU }),
			want: Rates{},
		},
		{
			name: "samples of two different VMs are never compared",
			cur:  later(time.Second, func(s *Sample) { s.UUID = "other"; s.Has = HasCPU }),
			want: Rates{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ComputeRates(base, tt.cur)
			if !ratesEqual(got, tt.want) {
				t.Errorf("ComputeRates =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func ratesEqual(a, b Rates) bool {
	eq := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return a.Has == b.Has && a.MemoryKiB == b.MemoryKiB && eq(a.CPU, b.CPU) &&
		eq(a.DiskRead, b.DiskRead) && eq(a.DiskWrite, b.DiskWrite) &&
		eq(a.NetRx, b.NetRx) && eq(a.NetTx, b.NetTx) &&
		eq(a.NetRxPkts, b.NetRxPkts) && eq(a.NetTxPkt, b.NetTxPkt)
}
