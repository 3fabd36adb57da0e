package monitor

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/threat/engine"
	"github.com/hyper-nixos/hv/security/threat/intel"
	"github.com/hyper-nixos/hv/security/threat/response"
	"github.com/hyper-nixos/hv/security/threat/rules"
	"github.com/hyper-nixos/hv/security/threat/source"
	"github.com/hyper-nixos/hv/security/threat/store"
	"github.com/hyper-nixos/hv/vm"
)

// DaemonConfig is the 'hv monitor' service's configuration.
type DaemonConfig struct {
	DB         string
	StateDir   string
	RulesDir   string
	Playbooks  string
	Blocklists []string
	Listen     string // address of /metrics; empty: none
	Journal    bool
	Files      []string
	// HV, when set, gives libvirt events, metrics and VM actions.
	HV              vm.Hypervisor
	MetricsInterval time.Duration
	// Block lets block-ip playbooks change nftables (needs CAP_NET_ADMIN).
	Block     bool
	Retention time.Duration
	Log       io.Writer
	// AuditLog is hv's audit trail, where playbook actions are recorded;
	// Where names the connection in it.
	AuditLog string
	Where    string
	// JournalSocket is journald's native socket (response.JournalSocket
	// when empty), where notifications go when it is there.
	JournalSocket string
}

// RunDaemon runs the monitor service until ctx ends.
func RunDaemon(ctx context.Context, cfg DaemonConfig) error {
	logf := func(format string, a ...any) { fmt.Fprintf(cfg.Log, format+"\n", a...) }
	for _, dir := range []string{cfg.StateDir, filepath.Dir(cfg.DB)} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("%w (the monitor keeps its findings and baselines there: run it as the hv-monitor service, or give --db and --state-dir a directory you can write)", err)
		}
	}
	set, err := rules.Load(content.ThreatRules(), cfg.RulesDir)
	if err != nil {
		return err
	}
	pcfg, err := response.LoadConfig(content.ThreatPlaybooks, cfg.Playbooks)
	if err != nil {
		return err
	}
	pbs := pcfg.Playbooks
	st, err := store.Open(ctx, cfg.DB, false)
	if err != nil {
		return fmt.Errorf("%w (give --db a file in a directory you can write)", err)
	}
	defer st.Close()

	opt := engine.Options{}
	var lists *intel.Store
	if len(cfg.Blocklists) > 0 {
		if lists, err = intel.NewStore(cfg.Blocklists...); err != nil {
			return err
		}
		opt.Intel = lists
	}
	mon := New(set, opt)
	mon.Store, mon.Metrics = st, NewMetrics()
	mon.OnError = func(err error) { logf("error: %v", err) }
	var log response.Notifier = &response.LogNotifier{W: cfg.Log}
	if response.JournalRunning(cfg.JournalSocket) {
		log = &response.Journal{Socket: cfg.JournalSocket}
	}
	runner := &response.Runner{Playbooks: pbs, Store: st, Actor: "hv-monitor",
		Audit: &response.Trail{Log: audit.Open(cfg.AuditLog), Where: cfg.Where},
		Do:    response.Responder{Notify: pcfg.Notify.Notifiers(log), NoFirewall: "blocking is off: start the monitor with --block (hyperNixos.threatMonitor.blocking)"}}
	if cfg.Block {
		runner.Do.Firewall = &response.NFT{Run: response.Exec}
	}
	if cfg.HV != nil {
		runner.Do.VMs, mon.VMs = cfg.HV, cfg.HV
	} else {
		runner.Do.NoVMs = "the monitor runs without libvirt (--no-libvirt)"
	}
	if acts, err := st.Actions(ctx, 10000); err == nil {
		runner.Restore(acts) // cooldowns outlive a restart
	}
	mon.Runner = runner

	// Positions: saved once their findings are stored.
	mon.OnPosition = func(src, pos string) {
		if err := st.SetMeta(ctx, "position:"+src, pos); err != nil {
			logf("error: saving position of %s: %v", src, err)
		}
	}
	var srcs []Source
	if cfg.Journal {
		cur, _ := st.Meta(ctx, "position:journal")
		srcs = append(srcs, &restarting{name: "journal", log: logf, src: &source.Journal{Cursor: cur}})
	}
	for _, p := range cfg.Files {
		pos, _ := st.Meta(ctx, "position:"+p)
		srcs = append(srcs, &source.File{Path: p, Position: pos})
	}

	statePath := filepath.Join(cfg.StateDir, "anomaly.json")
	if f, err := os.Open(statePath); err == nil {
		if err := mon.Detector.Load(f); err != nil {
			logf("anomaly baselines not restored: %v", err)
		}
		f.Close()
	}
	saveState := func() {
		if err := writeAtomic(statePath, mon.SaveAnomalies); err != nil {
			logf("error: saving anomaly baselines: %v", err)
		}
	}
	defer saveState()

	if cfg.HV != nil {
		ev := newEventSource(time.Now)
		srcs = append(srcs, ev)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case e := <-cfg.HV.Events():
					select {
					case ev.ch <- e:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
		go metricsLoop(ctx, mon, &source.Metrics{HV: cfg.HV}, cfg.MetricsInterval)
	}

	if cfg.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", mon.Metrics.Handler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		logf("metrics on http://%s/metrics", ln.Addr())
	}

	go housekeeping(ctx, st, lists, saveState, cfg.Retention, logf)
	logf("monitor started: %d rules, %d playbooks (%d enabled), %d sources", set.Len(), len(pbs), enabled(pbs), len(srcs))
	err = mon.Run(ctx, srcs...)
	logf("monitor stopping: %v", context.Cause(ctx))
	return err
}

func enabled(pbs []response.Playbook) int {
	n := 0
	for _, p := range pbs {
		if p.Enabled {
			n++
		}
	}
	return n
}

// housekeeping reloads changed blocklists, saves baselines and prunes
// old findings.
func housekeeping(ctx context.Context, st *store.Store, lists *intel.Store, save func(), keep time.Duration, logf func(string, ...any)) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if lists != nil {
			if changed, err := lists.ReloadIfChanged(); err != nil {
				logf("error: blocklists not reloaded (the previous ones stay): %v", err)
			} else if changed {
				logf("blocklists reloaded")
			}
		}
		if n%5 == 0 {
			save()
		}
		if n%60 == 0 && keep > 0 {
			if _, err := st.Prune(ctx, time.Now().Add(-keep)); err != nil {
				logf("error: pruning findings: %v", err)
			}
		}
	}
}

// restarting runs a source again after it stops (journalctl restarted by
// a journald restart), with a pause.
type restarting struct {
	name string
	src  Source
	log  func(string, ...any)
}

func (r *restarting) Run(ctx context.Context, out chan<- source.Item) error {
	for {
		err := r.src.Run(ctx, out)
		if ctx.Err() != nil {
			return nil
		}
		r.log("%s source stopped (%v); restarting in 5s", r.name, err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(5 * time.Second):
		}
	}
}

// writeAtomic writes a file through a temporary one and a rename.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".anomaly-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o640); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
