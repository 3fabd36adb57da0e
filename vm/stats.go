package vm

import "time"

// Fields says which counters a Sample or Rates carries. Backends differ:
// libvirt's test driver reports only the state, a real QEMU VM everything.
type Fields uint8

const (
	HasCPU Fields = 1 << iota
	HasMemory
	HasDisk
	HasNet
)

// Sample is one reading of a VM's cumulative counters, taken by one bulk
// stats call for all VMs.
type Sample struct {
	UUID  string    `json:"uuid"`
	State State     `json:"state"`
	At    time.Time `json:"at"`
	Has   Fields    `json:"has"` // bits: 1 CPU, 2 memory, 4 disk, 8 network

	VCPUs     int    `json:"vcpus"`
	CPUTimeNs uint64 `json:"cpu_time_ns"` // all vCPUs and emulator threads, cumulative

	MemoryKiB    uint64 `json:"memory_kib"` // current balloon size
	MemoryMaxKiB uint64 `json:"memory_max_kib"`

	DiskReadBytes  uint64 `json:"disk_read_bytes"` // summed over all disks
	DiskWriteBytes uint64 `json:"disk_write_bytes"`

	NetRxBytes   uint64 `json:"net_rx_bytes"` // summed over all NICs
	NetTxBytes   uint64 `json:"net_tx_bytes"`
	NetRxPackets uint64 `json:"net_rx_packets"`
	NetTxPackets uint64 `json:"net_tx_packets"`
}

// Rates are per-second figures derived from two samples of the same VM.
type Rates struct {
	Has Fields

	// CPU is the share of the VM's vCPUs in use, 0–100 (100 = every vCPU busy).
	CPU float64

	MemoryKiB uint64 // from the newer sample, not a rate

	DiskRead, DiskWrite float64 // bytes per second
	NetRx, NetTx        float64 // bytes per second
	NetRxPkts, NetTxPkt float64 // packets per second
}

// ComputeRates derives rates from an older and a newer sample of one VM.
// A counter that went backwards (the VM restarted in between) or an interval
// that is not positive yields no figure for that field rather than a wrong one.
func ComputeRates(prev, cur Sample) Rates {
	var r Rates
	if cur.Has&HasMemory != 0 {
		r.Has |= HasMemory
		r.MemoryKiB = cur.MemoryKiB
	}
	secs := cur.At.Sub(prev.At).Seconds()
	if secs <= 0 || prev.UUID != cur.UUID {
		return r
	}
	both := prev.Has & cur.Has

	if both&HasCPU != 0 && cur.VCPUs > 0 {
		if d, ok := delta(prev.CPUTimeNs, cur.CPUTimeNs); ok {
			pct := d / 1e9 / secs / float64(cur.VCPUs) * 100
			r.CPU = min(pct, 100)
			r.Has |= HasCPU
		}
	}
	if both&HasDisk != 0 {
		rd, ok1 := delta(prev.DiskReadBytes, cur.DiskReadBytes)
		wr, ok2 := delta(prev.DiskWriteBytes, cur.DiskWriteBytes)
		if ok1 && ok2 {
			r.DiskRead, r.DiskWrite = rd/secs, wr/secs
			r.Has |= HasDisk
		}
	}
	if both&HasNet != 0 {
		rx, ok1 := delta(prev.NetRxBytes, cur.NetRxBytes)
		tx, ok2 := delta(prev.NetTxBytes, cur.NetTxBytes)
		rp, ok3 := delta(prev.NetRxPackets, cur.NetRxPackets)
		tp, ok4 := delta(prev.NetTxPackets, cur.NetTxPackets)
		if ok1 && ok2 && ok3 && ok4 {
			r.NetRx, r.NetTx = rx/secs, tx/secs
			r.NetRxPkts, r.NetTxPkt = rp/secs, tp/secs
			r.Has |= HasNet
		}
	}
	return r
}

// take copies field f's figures from src, if src has them.
func (r *Rates) take(src Rates, f Fields) {
	if src.Has&f == 0 {
		return
	}
	r.Has |= f
	switch f {
	case HasCPU:
		r.CPU = src.CPU
	case HasMemory:
		r.MemoryKiB = src.MemoryKiB
	case HasDisk:
		r.DiskRead, r.DiskWrite = src.DiskRead, src.DiskWrite
	case HasNet:
		r.NetRx, r.NetTx, r.NetRxPkts, r.NetTxPkt = src.NetRx, src.NetTx, src.NetRxPkts, src.NetTxPkt
	}
}

func delta(a, b uint64) (float64, bool) {
	if b < a {
		return 0, false
	}
	return float64(b - a), true
}
