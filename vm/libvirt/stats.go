package libvirt

import (
	"context"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

const statsGroups = lv.DOMAIN_STATS_STATE | lv.DOMAIN_STATS_CPU_TOTAL | lv.DOMAIN_STATS_BALLOON |
	lv.DOMAIN_STATS_VCPU | lv.DOMAIN_STATS_INTERFACE | lv.DOMAIN_STATS_BLOCK

// Stats reads every VM's counters with one GetAllDomainStats call. NOWAIT
// skips the stats of a VM busy with a long job instead of waiting for it.
func (b *Backend) Stats(ctx context.Context) ([]vm.Sample, error) {
	return call(ctx, b, "read statistics", "", func(c *lv.Connect) ([]vm.Sample, error) {
		recs, err := c.GetAllDomainStats(nil, statsGroups, lv.CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
		if hasCode(err, lv.ERR_INVALID_ARG, lv.ERR_NO_SUPPORT) {
			recs, err = c.GetAllDomainStats(nil, statsGroups, 0)
		}
		if err != nil {
			return nil, err
		}
		now := time.Now()
		out := make([]vm.Sample, 0, len(recs))
		for i := range recs {
			s := sample(&recs[i])
			s.At = now
			recs[i].Domain.Free()
			if s.UUID != "" {
				out = append(out, s)
			}
		}
		return out, nil
	})
}

func sample(r *lv.DomainStats) vm.Sample {
	var s vm.Sample
	s.UUID, _ = r.Domain.GetUUIDString()
	if r.State != nil && r.State.StateSet {
		s.State = states[r.State.State]
	}
	if r.Cpu != nil && r.Cpu.TimeSet {
		s.Has |= vm.HasCPU
		s.CPUTimeNs = r.Cpu.Time
	}
	for _, v := range r.Vcpu {
		if v.StateSet && v.State != lv.VCPU_OFFLINE {
			s.VCPUs++
		}
	}
	if r.Balloon != nil && r.Balloon.CurrentSet {
		s.Has |= vm.HasMemory
		s.MemoryKiB, s.MemoryMaxKiB = r.Balloon.Current, r.Balloon.Maximum
	}
	for _, d := range r.Block {
		if d.RdBytesSet || d.WrBytesSet {
			s.Has |= vm.HasDisk
			s.DiskReadBytes += d.RdBytes
			s.DiskWriteBytes += d.WrBytes
		}
	}
	for _, n := range r.Net {
		if n.RxBytesSet || n.TxBytesSet {
			s.Has |= vm.HasNet
			s.NetRxBytes += n.RxBytes
			s.NetTxBytes += n.TxBytes
			s.NetRxPackets += n.RxPkts
			s.NetTxPackets += n.TxPkts
		}
	}
	return s
}
