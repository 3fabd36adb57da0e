package libvirt

import (
	"path/filepath"
	"testing"

	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

// The counters read straight from libvirt's records are the ones the
// binding's GetAllDomainStats gives, for every VM of the demo host
// (running, paused and shut off). The test driver has no disk or NIC
// counters: the real tier reads those from QEMU.
func TestStatsReadAsTheBindingReadsThem(t *testing.T) {
	host, err := filepath.Abs("../../content/demo/host.xml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := lv.NewConnect("test://" + host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := readStats(c, statsGroups, lv.CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.GetAllDomainStats(nil, statsGroups, lv.CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]vm.Sample{}
	for i := range recs {
		s := bindingSample(&recs[i])
		recs[i].Domain.Free()
		want[s.UUID] = s
	}
	if len(got) != len(want) || len(got) < 10 {
		t.Fatalf("read %d VMs, the binding %d", len(got), len(want))
	}
	for _, g := range got {
		w := want[g.UUID]
		g.At = w.At
		if g != w {
			t.Errorf("VM %s:\n read    %+v\n binding %+v", g.UUID, g, w)
		}
	}
}

// An error of libvirt's keeps its code, which Stats' fallback looks at.
func TestStatsReadErrorKeepsItsCode(t *testing.T) {
	c, err := lv.NewConnect("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = readStats(c, statsGroups, lv.CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE|lv.CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS|1<<20)
	if err == nil || !hasCode(err, lv.ERR_INVALID_ARG, lv.ERR_NO_SUPPORT) {
		t.Fatalf("an unknown flag gave %v, want libvirt's invalid-argument error", err)
	}
}

// bindingSample is what the binding's records say, the reference.
func bindingSample(r *lv.DomainStats) vm.Sample {
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
