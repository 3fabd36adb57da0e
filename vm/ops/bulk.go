package ops

import (
	"context"
	"sync"

	"github.com/hyper-nixos/hv/vm"
)

// Result is the outcome of an action on one VM.
type Result struct {
	VM      vm.VM
	Err     error
	Skipped string // why it was not attempted (the reason it was unavailable)
}

// OK reports whether the action ran and succeeded.
func (r Result) OK() bool { return r.Err == nil && r.Skipped == "" }

// parallel is how many VMs a bulk action works on at once: enough to be
// quick, few enough not to swamp libvirtd.
const parallel = 4

// Bulk runs a on every VM that can take it, a few at a time, and reports
// each result as it comes, then returns them all in the order given. VMs
// for which a is unavailable are skipped with the reason.
func Bulk(ctx context.Context, h vm.Hypervisor, a *Action, vms []vm.VM, report func(Result)) []Result {
	results := make([]Result, len(vms))
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, parallel)
	for i, v := range vms {
		if why := a.Unavailable(v, h.Access()); why != "" {
			results[i] = Result{VM: v, Skipped: why}
			if report != nil {
				mu.Lock()
				report(results[i])
				mu.Unlock()
			}
			continue
		}
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r := Result{VM: v, Err: a.Run(ctx, h, v)}
			mu.Lock()
			results[i] = r
			if report != nil {
				report(r)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return results
}
