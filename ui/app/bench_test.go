package app

import (
	"context"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/demo"
)

// BenchmarkFirstFrameAfterConnect measures what follows a connection: the
// app builds the home screen and draws the first frame.
func BenchmarkFirstFrameAfterConnect(b *testing.B) { benchFirstFrame(b, false) }

// BenchmarkFirstFrameWithHostSummary adds the home screen's first data: the
// host and VM list read from libvirt, then the frame that shows them.
func BenchmarkFirstFrameWithHostSummary(b *testing.B) { benchFirstFrame(b, true) }

func benchFirstFrame(b *testing.B, withSummary bool) {
	hv, err := demo.Open(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer hv.Close()
	for b.Loop() {
		m := New(Options{Connect: func(context.Context) (vm.Hypervisor, error) { return hv, nil },
			Where: demo.Label, User: "operator", Term: "xterm-256color"})
		m.Common().Tick = uitest.NoTick
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		m.Update(connectedMsg{hv: hv})
		if withSummary {
			m.Update(m.top().Init()()) // the summary command, run synchronously
		}
		if m.Render() == "" {
			b.Fatal("no frame")
		}
	}
}
