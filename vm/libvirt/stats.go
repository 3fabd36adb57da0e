package libvirt

import (
	"context"

	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

const statsGroups = lv.DOMAIN_STATS_STATE | lv.DOMAIN_STATS_CPU_TOTAL | lv.DOMAIN_STATS_BALLOON |
	lv.DOMAIN_STATS_VCPU | lv.DOMAIN_STATS_INTERFACE | lv.DOMAIN_STATS_BLOCK

// Stats reads every VM's counters with one GetAllDomainStats call. NOWAIT
// skips the stats of a VM busy with a long job instead of waiting for it.
func (b *Backend) Stats(ctx context.Context) ([]vm.Sample, error) {
	return call(ctx, b, "read statistics", "", func(c *lv.Connect) ([]vm.Sample, error) {
		out, err := readStats(c, statsGroups, lv.CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
		if hasCode(err, lv.ERR_INVALID_ARG, lv.ERR_NO_SUPPORT) {
			out, err = readStats(c, statsGroups, 0)
		}
		return out, err
	})
}
