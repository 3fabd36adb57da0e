package help

import (
	"testing"

	"github.com/hyper-nixos/hv/vm"
)

func TestConditions(t *testing.T) {
	started := VMEvent(vm.Event{Kind: vm.EventStarted, Name: "ci-runner"})
	tests := []struct {
		cond string
		obs  Observation
		met  bool
	}{
		{"screen vms", ScreenOpened("vms"), true},
		{"screen vms", ScreenOpened("vm"), false},
		{"vm ci-runner started", started, true},
		{"vm ci-runner stopped", started, false},
		{"vm ci-* started", started, true},
		{"vm web-0? started", started, false},
		{"vm ci-runner stopped or vm ci-runner started", started, true},
		{"signal filter *", SignalSent("filter", "state:paused"), true},
		{"signal filter", SignalSent("filter", ""), true},
		{"signal filter state:paused", SignalSent("filter", "state:running"), false},
		{"signal topic risk-levels", SignalSent("topic", "risk-levels"), true},
		{"screen vms", SignalSent("vms", ""), false},
	}
	for _, tt := range tests {
		c, err := ParseCondition(tt.cond)
		if err != nil {
			t.Fatalf("%q: %v", tt.cond, err)
		}
		if got := c.Met(tt.obs); got != tt.met {
			t.Errorf("%q on %v: %v, want %v", tt.cond, tt.obs, got, tt.met)
		}
	}
}

func TestBadConditionsAreRefused(t *testing.T) {
	for _, s := range []string{"", "screen", "vm web-01 exploded", "signal no-such-signal", "window vms", "vm [ started", "screen vms or"} {
		if _, err := ParseCondition(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
