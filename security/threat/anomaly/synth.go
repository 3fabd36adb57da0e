package anomaly

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// Synthetic, labelled VM metrics for evaluating the detector (no labelled
// data set of VM metrics exists to install). Every VM follows a daily
// shape (a web server's day, a database's nightly backup, a batch job, an
// idle box) with noise and one-minute blips that are not anomalies; from
// the second day on, anomalies are injected and labelled: short spikes,
// miner plateaus (CPU pinned plus a trickle of pool traffic), exfiltration
// ramps (outbound traffic climbing for an hour or more) and write storms
// (ransomware-like disk writes).

// SynthConfig sizes a synthetic data set.
type SynthConfig struct {
	VMs  int
	Days int
	Step time.Duration
	Seed uint64
	// Start is the first sample's time (midnight UTC is natural).
	Start time.Time
	// Names, when set, name the VMs (and set their number); Inject adds
	// anomalies of one's choosing; Quiet injects no random ones.
	Names  []string
	Inject []Label
	Quiet  bool
}

// AnomalyKind names an injected anomaly.
type AnomalyKind string

const (
	Spike        AnomalyKind = "spike"
	MinerPlateau AnomalyKind = "miner"
	ExfilRamp    AnomalyKind = "exfiltration"
	WriteStorm   AnomalyKind = "write-storm"
)

// Label is one injected anomaly. Size, from 0 to 1, scales it between a
// subtle and a blatant version.
type Label struct {
	VM         string
	Kind       AnomalyKind
	Start, End time.Time
	Size       float64
}

// Point is one sample of one VM.
type Point struct {
	VM string
	Sample
}

// Synthesize returns every VM's samples in time order, and the labels.
func Synthesize(cfg SynthConfig) ([]Point, []Label) {
	r := rand.New(rand.NewPCG(cfg.Seed, 42))
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	}
	steps := int(time.Duration(cfg.Days) * 24 * time.Hour / cfg.Step)
	type vmPlan struct {
		name   string
		shape  int
		scale  float64
		labels []Label
		level  []float64 // day-to-day variation of the load
		deploy []int     // minute of a benign daily CPU bump (a deploy, a cron job)
	}
	var plans []vmPlan
	var labels []Label
	names := []string{"web", "db", "batch", "idle"}
	if len(cfg.Names) > 0 {
		cfg.VMs = len(cfg.Names)
	}
	for i := 0; i < cfg.VMs; i++ {
		p := vmPlan{name: names[i%4] + "-" + string(rune('a'+i/4%26)) + string(rune('0'+i%10)), shape: i % 4, scale: 0.7 + 0.6*r.Float64()}
		if len(cfg.Names) > 0 {
			p.name = cfg.Names[i]
		}
		for day := 0; day < cfg.Days; day++ {
			p.level = append(p.level, max(0.5, 1+0.15*r.NormFloat64()))
			p.deploy = append(p.deploy, r.IntN(24*60-20))
		}
		// One anomaly every other day or so, from day 2 (day 1 is learning).
		for _, l := range cfg.Inject {
			if l.VM == p.name {
				p.labels = append(p.labels, l)
				labels = append(labels, l)
			}
		}
		for day := 1; day < cfg.Days; day++ {
			if r.IntN(2) != 0 || cfg.Quiet {
				continue
			}
			kinds := []AnomalyKind{Spike, MinerPlateau, ExfilRamp, WriteStorm}
			k := kinds[r.IntN(len(kinds))]
			startMin := r.IntN(24*60 - 600)
			var dur time.Duration
			switch k {
			case Spike:
				dur = time.Duration(5+r.IntN(11)) * time.Minute
			case MinerPlateau:
				dur = time.Duration(180+r.IntN(300)) * time.Minute
			case ExfilRamp:
				dur = time.Duration(90+r.IntN(60)) * time.Minute
			case WriteStorm:
				dur = time.Duration(15+r.IntN(26)) * time.Minute
			}
			start := cfg.Start.Add(time.Duration(day)*24*time.Hour + time.Duration(startMin)*time.Minute)
			l := Label{VM: p.name, Kind: k, Start: start, End: start.Add(dur), Size: r.Float64()}
			p.labels = append(p.labels, l)
			labels = append(labels, l)
		}
		plans = append(plans, p)
	}
	points := make([]Point, 0, steps*len(plans))
	for i := 0; i < steps; i++ {
		t := cfg.Start.Add(time.Duration(i) * cfg.Step)
		hour := float64(t.Sub(t.Truncate(24*time.Hour))) / float64(time.Hour)
		day := int(t.Sub(cfg.Start) / (24 * time.Hour))
		minute := int(t.Sub(t.Truncate(24*time.Hour)) / time.Minute)
		for _, p := range plans {
			level := p.level[day]
			if wd := t.Weekday(); p.shape == 0 && (wd == time.Saturday || wd == time.Sunday) {
				level *= 0.6
			}
			bump := minute >= p.deploy[day] && minute < p.deploy[day]+10
			points = append(points, Point{VM: p.name, Sample: synthSample(r, p.shape, p.scale*level, t, hour, bump, p.labels)})
		}
	}
	sort.SliceStable(labels, func(i, j int) bool { return labels[i].Start.Before(labels[j].Start) })
	return points, labels
}

func synthSample(r *rand.Rand, shape int, scale float64, t time.Time, hour float64, bump bool, labels []Label) Sample {
	noise := func(v, rel float64) float64 { return max(0, v*(1+rel*r.NormFloat64())) }
	day := 0.5 - 0.5*math.Cos(2*math.Pi*(hour-3)/24) // 0 at 03:00, 1 at 15:00
	var cpu, mem, rd, wr, rx, tx, prx, ptx float64
	switch shape {
	case 0: // web
		cpu = 8 + 45*day*scale
		rx, tx = (200+4000*day*scale)*1024, (800+16000*day*scale)*1024
		rd, wr = 200*1024, 400*1024
		mem = 2 << 20
	case 1: // database with a nightly backup at 02:00-02:40
		cpu = 20 + 15*day*scale
		rx, tx = 1500*1024*scale, 900*1024*scale
		rd, wr = 3<<20, 2<<20
		mem = 8 << 20
		if hour >= 2 && hour < 2+40.0/60 {
			rd, tx, cpu = 120<<20, 60<<20, cpu+25
		}
	case 2: // batch job 01:00-03:00
		cpu, rx, tx, rd, wr, mem = 3, 20*1024, 20*1024, 50*1024, 50*1024, 1<<20
		if hour >= 1 && hour < 3 {
			cpu, rd, wr = 85, 40<<20, 30<<20
		}
	default: // idle
		cpu, rx, tx, rd, wr, mem = 1.5, 4*1024, 2*1024, 8*1024, 16*1024, 512<<10
	}
	if bump { // benign: not labelled
		cpu += 12
	}
	prx, ptx = rx/900+5, tx/900+5
	for _, l := range labels {
		if t.Before(l.Start) || !t.Before(l.End) {
			continue
		}
		f := float64(t.Sub(l.Start)) / float64(l.End.Sub(l.Start))
		size := l.Size
		switch l.Kind {
		case Spike: // CPU and inbound traffic jump: 3x to 12x
			cpu = min(100, cpu+25+65*size)
			rx, prx = rx*(3+9*size)+(1+7*size)*(1<<20), prx*(3+9*size)+1000+5000*size
		case MinerPlateau: // CPU pinned between 55% and 98%, a trickle to the pool
			cpu = max(cpu, 55+43*size)
			tx, ptx = tx+(5+35*size)*1024, ptx+10+140*size
		case ExfilRamp: // outbound climbing to 2-60 MiB/s
			top := (2 + 58*size) * (1 << 20)
			tx = tx + min(1, 1.4*f)*top
			ptx = ptx + min(1, 1.4*f)*top/1400
		case WriteStorm: // 15-180 MiB/s of writes
			wr, cpu = wr+(15+165*size)*(1<<20), cpu+10+10*size
		}
	}
	var s Sample
	s.At = t
	vals := [NumMetrics]float64{noise(min(cpu, 100), 0.08), noise(mem, 0.01), noise(rd, 0.15), noise(wr, 0.15), noise(rx, 0.12), noise(tx, 0.12), noise(prx, 0.12), noise(ptx, 0.12)}
	if r.IntN(400) == 0 { // a one-minute blip: not an anomaly
		m := Metric(r.IntN(int(NumMetrics)))
		vals[m] *= 3
	}
	vals[CPU] = min(vals[CPU], 100)
	s.Values = vals
	for i := range s.Has {
		s.Has[i] = true
	}
	return s
}
