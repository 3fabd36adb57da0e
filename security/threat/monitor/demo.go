package monitor

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/threat/anomaly"
	"github.com/hyper-nixos/hv/security/threat/engine"
	"github.com/hyper-nixos/hv/security/threat/response"
	"github.com/hyper-nixos/hv/security/threat/rules"
	"github.com/hyper-nixos/hv/security/threat/source"
	"github.com/hyper-nixos/hv/vm"
)

// The demo host has no logs and its test driver reports no statistics, so
// its dashboard replays the bundled sample log (content/threat/demo)
// through the real engine, timestamps set to the moment of replay, and
// feeds the anomaly detector synthetic metrics for the demo's running VMs
// (anomaly.Synthesize), with a miner appearing on one of them. Detection,
// the view and playbooks are the real ones.

// demoLines are the sample log's lines, notes left out.
func demoLines() [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(content.ThreatDemoLog, []byte{'\n'}) {
		if len(l) > 16 && l[0] != '#' {
			out = append(out, l)
		}
	}
	return out
}

// demoPreload is how much of the sample is replayed at once, so the
// dashboard opens with something to show.
const demoPreload = 150

func startDemo(ctx context.Context, set *rules.Set, runner *response.Runner, notes *noticeBoard, o FeedOptions) (Feed, error) {
	mon := New(set, engine.Options{Year: o.Now().Year(), Loc: time.Local})
	mon.Now = o.Now
	l := &localFeed{mon: mon, runner: runner, notes: notes, mode: "demo", now: o.Now,
		note: "Demo: the bundled sample log and synthetic VM metrics, replayed through the real detection engine."}
	lines := demoLines()
	replay := func(i int) {
		mon.Handle(source.Item{Line: restamp(lines[i%len(lines)], o.Now()), Source: "demo.log"})
	}
	for i := 0; i < demoPreload && i < len(lines); i++ {
		replay(i)
	}
	names := demoVMs(ctx, o.HV)
	metrics := demoMetrics(names, o.Now())
	cut := len(metrics) - len(names)*5 // the last five minutes are played live
	if cut < 0 {
		cut = 0
	}
	mon.Observe(metrics[:cut])
	mon.Flush(ctx)

	runCtx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.events = newEventSource(o.Now)
	if o.Static {
		return l, nil
	}
	l.wg.Add(2)
	go func() { defer l.wg.Done(); mon.Run(runCtx, l.events) }()
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(400 * time.Millisecond)
		defer t.Stop()
		next, m := demoPreload, cut
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
			}
			replay(next)
			next++
			if m < len(metrics) && next%5 == 0 { // a minute of metrics every two seconds
				end := min(m+len(names), len(metrics))
				mon.Observe(metrics[m:end])
				m = end
			}
		}
	}()
	return l, nil
}

// restamp replaces a traditional syslog timestamp with t.
func restamp(line []byte, t time.Time) []byte {
	out := make([]byte, 0, len(line))
	out = t.AppendFormat(out, time.Stamp)
	return append(out, line[15:]...)
}

// demoVMs are the demo host's running VMs, or fixed names without one.
func demoVMs(ctx context.Context, hv vm.Hypervisor) []string {
	if hv != nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if vms, err := hv.List(ctx); err == nil {
			var names []string
			for _, v := range vms {
				if v.State == vm.StateRunning {
					names = append(names, v.Name)
				}
			}
			if len(names) > 0 {
				slices.Sort(names) // libvirt lists in no fixed order
				return names[:min(len(names), 6)]
			}
		}
	}
	return []string{"web-01", "web-02", "db-primary", "ci-runner"}
}

// demoMetrics are two days of synthetic metrics ending at now, with a
// miner starting 20 minutes before the end on the fourth VM (a quiet one
// in the synthetic shapes, where the miner's pool traffic shows).
func demoMetrics(names []string, now time.Time) []anomaly.Point {
	end := now.Truncate(time.Minute)
	start := end.Add(-48 * time.Hour)
	miner := anomaly.Label{VM: names[min(3, len(names)-1)], Kind: anomaly.MinerPlateau, Start: end.Add(-20 * time.Minute), End: end.Add(6 * time.Hour), Size: 0.9}
	pts, _ := anomaly.Synthesize(anomaly.SynthConfig{Days: 2, Step: time.Minute, Seed: 5, Start: start, Names: names,
		Inject: []anomaly.Label{miner}, Quiet: true})
	return pts
}
