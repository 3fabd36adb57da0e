// Package response runs playbooks: what to do when a finding arrives —
// block its source address in nftables, pause the VM, snapshot it for
// forensics, cut its network links, or notify someone. Every playbook is
// monitor-only until enabled: it records what it would have done. Each
// has a cooldown per target, so a storm of findings never repeats an
// action; every action, real or not, is audited and can be undone.
package response

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/hyper-nixos/hv/security/threat"
)

// Actions a playbook can take.
const (
	BlockIP    = "block-ip"
	PauseVM    = "pause-vm"
	SnapshotVM = "snapshot-vm"
	IsolateVM  = "isolate-vm"
	Notify     = "notify"
)

// Playbook says when to act and how.
type Playbook struct {
	ID          string `toml:"id"`
	Title       string `toml:"title"`
	Description string `toml:"description"`
	Action      string `toml:"action"`
	// Enabled turns the playbook from monitor-only (record what would be
	// done) into acting.
	Enabled  bool   `toml:"enabled"`
	Cooldown string `toml:"cooldown"` // per target; default 1h
	Duration string `toml:"duration"` // how long a block lasts; default 24h
	When     When   `toml:"when"`

	cooldown, duration time.Duration
	minSeverity        threat.Severity
}

// When selects findings: every condition given must hold.
type When struct {
	Rules       []string `toml:"rules"`
	Tags        []string `toml:"tags"`
	Kinds       []string `toml:"kinds"`
	MinSeverity string   `toml:"min_severity"`
}

// Matches reports whether f triggers the playbook.
func (p *Playbook) Matches(f *threat.Finding) bool {
	if len(p.When.Rules) > 0 && !slices.Contains(p.When.Rules, f.Rule) {
		return false
	}
	if len(p.When.Kinds) > 0 && !slices.Contains(p.When.Kinds, string(f.Kind)) {
		return false
	}
	if len(p.When.Tags) > 0 && !slices.ContainsFunc(p.When.Tags, f.HasTag) {
		return false
	}
	if f.Severity < p.minSeverity {
		return false
	}
	return p.Target(f) != ""
}

// Target is what the playbook would act on for f: an address or a VM.
func (p *Playbook) Target(f *threat.Finding) string {
	switch p.Action {
	case BlockIP:
		return f.IP
	case PauseVM, SnapshotVM, IsolateVM:
		return f.VM
	}
	return f.Rule
}

// Reversible reports whether the action can be undone.
func (p *Playbook) Reversible() bool { return p.Action != Notify }

type playbookFile struct {
	Playbooks []Playbook   `toml:"playbook"`
	Notify    NotifyConfig `toml:"notify"`
}

// Config is the playbooks in force and where notifications go.
type Config struct {
	Playbooks []Playbook
	Notify    NotifyConfig
}

// DefaultFile is where an operator's playbooks live on a host.
const DefaultFile = "/etc/hv/threat/playbooks.toml"

// LoadConfig reads the built-in playbooks, then the local file if it
// exists. A local playbook with a default's id and no action only switches
// it (enabled, cooldown, duration); with an action it replaces it. The
// local file's [notify] table says where notifications go besides the
// journal.
func LoadConfig(defaults []byte, local string) (Config, error) {
	def, err := decodePlaybooks("built-in playbooks", defaults)
	if err != nil {
		return Config{}, err
	}
	pbs := def.Playbooks
	for i := range pbs {
		if err := pbs[i].check(); err != nil {
			return Config{}, fmt.Errorf("built-in playbooks: %w", err)
		}
	}
	cfg := Config{Playbooks: pbs}
	if local == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(local)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return cfg, nil
	case err != nil:
		return Config{}, err
	}
	f, err := decodePlaybooks(local, data)
	if err != nil {
		return Config{}, err
	}
	for _, m := range f.Playbooks {
		i := slices.IndexFunc(pbs, func(p Playbook) bool { return p.ID == m.ID })
		if i >= 0 && m.Action == "" {
			// Only switches: enable a built-in one, tune its timings.
			base := pbs[i]
			base.Enabled = m.Enabled
			if m.Cooldown != "" {
				base.Cooldown = m.Cooldown
			}
			if m.Duration != "" {
				base.Duration = m.Duration
			}
			m = base
		}
		if err := m.check(); err != nil {
			return Config{}, fmt.Errorf("%s: %w", local, err)
		}
		if i >= 0 {
			pbs[i] = m
		} else {
			pbs = append(pbs, m)
		}
	}
	cfg.Playbooks, cfg.Notify = pbs, f.Notify
	if n := f.Notify; n.Webhook != "" && !strings.HasPrefix(n.Webhook, "https://") && !strings.HasPrefix(n.Webhook, "http://") {
		return Config{}, fmt.Errorf("%s: notify webhook %q: want an http:// or https:// URL", local, n.Webhook)
	}
	return cfg, nil
}

func decodePlaybooks(name string, data []byte) (playbookFile, error) {
	var f playbookFile
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

func (p *Playbook) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("playbook %q: "+format, append([]any{p.ID}, a...)...)
	}
	if p.ID == "" || p.Title == "" {
		return bad("id and title are required")
	}
	switch p.Action {
	case BlockIP, PauseVM, SnapshotVM, IsolateVM, Notify:
	default:
		return bad("action %q: want block-ip, pause-vm, snapshot-vm, isolate-vm or notify", p.Action)
	}
	var err error
	p.cooldown, p.duration = time.Hour, 24*time.Hour
	if p.Cooldown != "" {
		if p.cooldown, err = time.ParseDuration(p.Cooldown); err != nil || p.cooldown < 0 {
			return bad("cooldown %q: want a duration such as 1h", p.Cooldown)
		}
	}
	if p.Duration != "" {
		if p.duration, err = time.ParseDuration(p.Duration); err != nil || p.duration <= 0 {
			return bad("duration %q: want a duration such as 24h", p.Duration)
		}
	}
	if p.When.MinSeverity != "" {
		if p.minSeverity, err = threat.ParseSeverity(p.When.MinSeverity); err != nil {
			return bad("%v", err)
		}
	}
	for _, k := range p.When.Kinds {
		switch threat.Kind(k) {
		case threat.KindMatch, threat.KindThreshold, threat.KindAnomaly:
		default:
			return bad("kind %q: want match, threshold or anomaly", k)
		}
	}
	if len(p.When.Rules) == 0 && len(p.When.Tags) == 0 && p.When.MinSeverity == "" {
		return bad("when needs rules, tags or min_severity: a playbook for every finding is a mistake")
	}
	return nil
}
