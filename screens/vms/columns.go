package vms

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// sortKey is what the list can be sorted by.
type sortKey int

const (
	byName sortKey = iota
	byState
	byVCPUs
	byMemory
	byCPU
	byDisk
	byNet
	byAutostart
	byHost
	sortKeys // count
)

var sortNames = [...]string{"name", "state", "vCPUs", "memory", "CPU", "disk I/O", "network I/O", "autostart", "host"}

// compare orders two rows by key; ties fall back to the name so the order
// never flickers between refreshes.
func compare(k sortKey, a, b *row) int {
	var c int
	switch k {
	case byState:
		c = cmp.Compare(stateRank(a.vm.State), stateRank(b.vm.State))
	case byVCPUs:
		c = cmp.Compare(a.vm.VCPUs, b.vm.VCPUs)
	case byMemory:
		c = cmp.Compare(a.vm.MemoryKiB, b.vm.MemoryKiB)
	case byCPU:
		c = cmp.Compare(a.rate(vm.HasCPU, a.rates.CPU), b.rate(vm.HasCPU, b.rates.CPU))
	case byDisk:
		c = cmp.Compare(a.rate(vm.HasDisk, a.rates.DiskRead+a.rates.DiskWrite), b.rate(vm.HasDisk, b.rates.DiskRead+b.rates.DiskWrite))
	case byNet:
		c = cmp.Compare(a.rate(vm.HasNet, a.rates.NetRx+a.rates.NetTx), b.rate(vm.HasNet, b.rates.NetRx+b.rates.NetTx))
	case byAutostart:
		c = cmp.Compare(boolRank(a.vm.Autostart), boolRank(b.vm.Autostart))
	case byHost:
		c = strings.Compare(strings.ToLower(a.vm.Host), strings.ToLower(b.vm.Host))
	}
	if c != 0 {
		return c
	}
	if c = strings.Compare(strings.ToLower(a.vm.Name), strings.ToLower(b.vm.Name)); c != 0 {
		return c
	}
	return strings.Compare(a.vm.Ref(), b.vm.Ref())
}

// stateRank orders states by how much attention they need in a descending
// sort: crashed first, then running, paused, off.
func stateRank(s vm.State) int {
	switch s {
	case vm.StateCrashed:
		return 6
	case vm.StateRunning, vm.StateBlocked:
		return 5
	case vm.StateShuttingDown:
		return 4
	case vm.StatePaused, vm.StateSuspended:
		return 3
	case vm.StateShutOff:
		return 1
	}
	return 0
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// column is one column of the table.
type column struct {
	title string
	width int // 0: takes the remaining width (the name)
	right bool
	sort  sortKey
	cell  func(r *row) string
	// has is the statistic the column shows: without it the column is
	// dropped, since every cell would be "-".
	has vm.Fields
	// drop orders what goes first when the names lack room (higher
	// first); 0 never goes.
	drop int
}

// minName is the width the names get before columns are dropped for them.
const minName = 16

// columns returns the columns for a screen width and the statistics the
// driver reports: wide screens split disk and network into their two
// directions; rate columns with nothing to show go, and on a narrow screen
// the least needed go until the names fit (up to minName). hostMax is the
// widest host name, 0 when the VMs are of one host (no HOST column).
func columns(width int, reported vm.Fields, nameMax, hostMax int) []column {
	cols := []column{{title: "NAME", sort: byName}}
	if hostMax > 0 {
		cols = append(cols, column{title: "HOST", width: min(max(hostMax, 4)+1, 13), sort: byHost, drop: 1,
			cell: func(r *row) string { return r.host }})
	}
	cols = append(cols, []column{
		{title: "STATE", width: 9, sort: byState},
		{title: "VCPU", width: 5, right: true, sort: byVCPUs, drop: 2, cell: func(r *row) string { return fmt.Sprint(r.vm.VCPUs) }},
		{title: "MEMORY", width: 7, right: true, sort: byMemory, drop: 1, cell: func(r *row) string { return vm.FormatKiB(r.vm.MemoryKiB) }},
		{title: "CPU%", width: 6, right: true, sort: byCPU, has: vm.HasCPU, drop: 3, cell: func(r *row) string {
			if !r.has(vm.HasCPU) {
				return "-"
			}
			return fmt.Sprintf("%.1f", r.rates.CPU)
		}},
	}...)
	rate := func(title string, f vm.Fields, sort sortKey, v func(*row) float64) column {
		return column{title: title, width: 7, right: true, sort: sort, has: f, drop: 4, cell: func(r *row) string {
			if !r.has(f) {
				return "-"
			}
			return vm.FormatBytes(v(r)) + "/s"
		}}
	}
	if width >= 110 {
		cols = append(cols,
			rate("DISK R", vm.HasDisk, byDisk, func(r *row) float64 { return r.rates.DiskRead }),
			rate("DISK W", vm.HasDisk, byDisk, func(r *row) float64 { return r.rates.DiskWrite }),
			rate("NET RX", vm.HasNet, byNet, func(r *row) float64 { return r.rates.NetRx }),
			rate("NET TX", vm.HasNet, byNet, func(r *row) float64 { return r.rates.NetTx }))
	} else {
		cols = append(cols,
			rate("DISK", vm.HasDisk, byDisk, func(r *row) float64 { return r.rates.DiskRead + r.rates.DiskWrite }),
			rate("NET", vm.HasNet, byNet, func(r *row) float64 { return r.rates.NetRx + r.rates.NetTx }))
	}
	cols = append(cols, column{title: "AUTO", width: 5, sort: byAutostart, drop: 1, cell: func(r *row) string {
		if r.vm.Autostart {
			return "yes"
		}
		return "no"
	}})
	cols = slices.DeleteFunc(cols, func(c column) bool { return c.has != 0 && reported&c.has == 0 })
	want := min(max(nameMax, 4), minName)
	for nameRoom(cols, width) < want {
		worst := 0
		for i, c := range cols {
			if c.drop > cols[worst].drop {
				worst = i
			}
		}
		if cols[worst].drop == 0 {
			break
		}
		cols = slices.Delete(cols, worst, worst+1)
	}
	return cols
}

// nameRoom is what is left for the names beside cols in width cells.
func nameRoom(cols []column, width int) int {
	room := width - 2 // the cursor's margin
	for _, c := range cols[1:] {
		room -= c.width + 1
	}
	return room
}

// stateLabel is the state in at most nine characters.
func stateLabel(s vm.State) string {
	switch s {
	case vm.StateShuttingDown:
		return "stopping"
	case vm.StateSuspended:
		return "suspended"
	}
	return s.String()
}

// pendingLabel is what is under way on a VM, in the state column's nine
// characters.
func pendingLabel(doing string) string {
	switch doing {
	case ops.Shutdown.Doing:
		return "stopping"
	case ops.ForceOff.Doing:
		return "forcing"
	case ops.AutostartOn.Doing, ops.AutostartOff.Doing:
		return "changing"
	}
	return doing
}
