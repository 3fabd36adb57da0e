package features

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security"
)

func TestWhyAndExplain(t *testing.T) {
	c := Builtin()
	r := c.Resolve([]string{"shared-folders", "vfio", "sriov"}, "hardened")
	for id, want := range map[string]string{
		"shared-folders": "selected",
		"virtiofs":       `enabled because "shared-folders" requires it`,
		"iommu":          `enabled because "sriov", "vfio" require it`,
		"ssh":            "off",
	} {
		if got := r.Why(id); got != want {
			t.Errorf("Why(%s) = %q, want %q", id, got, want)
		}
	}
	lines := r.Explain()
	if len(lines) != len(r.Enabled) || lines[len(lines)-1] != `virtiofs: enabled because "shared-folders" requires it` {
		t.Errorf("Explain: %q", lines)
	}
	if r.Err() != nil {
		t.Errorf("a valid selection has an error: %v", r.Err())
	}
}

func TestChangePlans(t *testing.T) {
	c := Builtin()
	base := c.Resolve([]string{"ssh", "gpu-passthrough", "sriov"}, "setup")
	tests := []struct {
		name         string
		change       *Change
		on, off      []string
		why          map[string]string
		problemKinds []Kind
	}{
		{name: "enable pulls requirements in", change: c.Enable(base, "shared-folders"),
			on:  []string{"shared-folders", "virtiofs"},
			why: map[string]string{"shared-folders": "you turned it on", "virtiofs": `required by "shared-folders"`}},
		{name: "disable a requirement takes its dependents along", change: c.Disable(base, "vfio"),
			off: []string{"gpu-passthrough", "pci-passthrough", "vfio"},
			why: map[string]string{"vfio": "you turned it off", "gpu-passthrough": `it needs "vfio", which you turned off`,
				"pci-passthrough": "nothing requires it any more"}},
		{name: "a shared requirement stays for the other user", change: c.Disable(base, "gpu-passthrough"),
			off: []string{"gpu-passthrough", "pci-passthrough", "vfio"}},
		{name: "disabling what sriov needs too", change: c.Disable(base, "iommu"),
			off: []string{"gpu-passthrough", "iommu", "pci-passthrough", "sriov", "vfio"}},
		{name: "a conflict is a problem to show, not applied silently", change: c.Enable(c.Resolve([]string{"console-tls"}, "setup"), "console-network"),
			on: []string{"console-network"}, problemKinds: []Kind{Conflicting}},
		{name: "a phase limit", change: c.WithPhase(c.Resolve([]string{"ksm"}, "setup"), "hardened"),
			problemKinds: []Kind{PhaseRefused}},
		{name: "toggle an enabled feature off", change: c.Toggle(base, "ssh"), off: []string{"ssh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := tt.change
			if !reflect.DeepEqual(orEmpty(ch.TurnedOn), orEmpty(tt.on)) || !reflect.DeepEqual(orEmpty(ch.TurnedOff), orEmpty(tt.off)) {
				t.Errorf("on %v off %v, want on %v off %v", ch.TurnedOn, ch.TurnedOff, tt.on, tt.off)
			}
			for id, want := range tt.why {
				if ch.Why[id] != want {
					t.Errorf("why %s: %q, want %q", id, ch.Why[id], want)
				}
			}
			var kinds []Kind
			for _, p := range ch.After.Problems {
				kinds = append(kinds, p.Kind)
			}
			if !reflect.DeepEqual(kinds, tt.problemKinds) {
				t.Errorf("problems %v, want kinds %v", ch.After.Problems, tt.problemKinds)
			}
		})
	}
}

func TestScore(t *testing.T) {
	c := Builtin()
	s := c.Score([]string{"ssh", "console-network", "gpu-passthrough", "apparmor-qemu", "unknown"})
	// low 1 + critical 10 + high 6 + minimal 0
	if s.Total != 17 || s.Features != 4 || s.Highest != security.Critical || s.Hardening != 1 {
		t.Errorf("score %+v", s)
	}
	if a := s.Category("access"); a.Points != 11 || a.Features != 2 || a.Highest != security.Critical {
		t.Errorf("access %+v", a)
	}
	if v := s.Category("virtualisation"); v.Points != 6 || v.Highest != security.High {
		t.Errorf("virtualisation %+v", v)
	}
	ch := c.Enable(c.Resolve([]string{"ssh"}, "setup"), "shared-folders")
	if ch.ScoreBefore.Total != 1 || ch.ScoreAfter.Total != 7 {
		t.Errorf("shared-folders (medium) and virtiofs (medium) should add 6: %d -> %d", ch.ScoreBefore.Total, ch.ScoreAfter.Total)
	}
}

func TestPresetsStayWithinTheirRisk(t *testing.T) {
	c := Builtin()
	prev := -1
	for _, p := range c.Presets() {
		r := c.Resolve(p.Features, p.Phase)
		if !r.OK() {
			t.Errorf("%s: %v", p.ID, r.Err())
		}
		s := c.Score(r.Enabled)
		if s.Highest > p.MaxRisk {
			t.Errorf("%s: highest risk %s above %s", p.ID, s.Highest, p.MaxRisk)
		}
		if s.Total <= prev {
			t.Errorf("%s scores %d, not more than the preset before it (%d): presets go from paranoid to permissive", p.ID, s.Total, prev)
		}
		prev = s.Total
	}
	ch, err := c.ApplyPreset(c.Resolve(nil, "setup"), "paranoid")
	if err != nil || ch.After.Phase != "hardened" || len(ch.TurnedOn) == 0 {
		t.Errorf("ApplyPreset: %v %+v", err, ch)
	}
	if _, err := c.ApplyPreset(c.Resolve(nil, "setup"), "yolo"); err == nil || !strings.Contains(err.Error(), `"paranoid"`) {
		t.Errorf("unknown preset: %v", err)
	}
}

func TestCheckHostAndTransitions(t *testing.T) {
	c := Builtin()
	applied := nix.NewHost("hardened", []string{"ssh"})
	applied.Operators.Users = []string{"alice"}
	staged := nix.NewHost("setup", []string{"ssh"})
	staged.Operators.Users = []string{"alice", "mallory"}
	staged.Operators.Group = "wheel"
	var msgs []string
	for _, p := range c.CheckTransition(applied, staged) {
		msgs = append(msgs, p.Message)
	}
	want := []string{
		"leaving the hardened phase for setup needs root: run 'hv phase setup' as root (it is staged as root's own and audited)",
		"changing the operators group (hvoperators to wheel) needs root: run 'hv wizard' as root, or edit operators.users in the host file as root, and apply",
		"changing who is an operator needs root: run 'hv wizard' as root, or edit operators.users in the host file as root, and apply",
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("transition problems\n%q\nwant\n%q", msgs, want)
	}
	up := nix.NewHost("hardened", []string{"ssh", "audit"})
	up.Operators.Users = []string{"alice"}
	if ps := c.CheckTransition(nix.NewHost("setup", nil), nix.NewHost("hardened", nil)); len(ps) != 0 {
		t.Errorf("moving to a stricter phase is an operator's right: %v", ps)
	}
	if ps := c.CheckTransition(applied, up); len(ps) != 0 {
		t.Errorf("adding a feature is an operator's right: %v", ps)
	}
}
