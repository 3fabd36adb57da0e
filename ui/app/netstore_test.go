package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

func TestGoldenNetworks(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := start(t, sz[0], sz[1])
			press(t, m, "7")
			golden.RequireEqual(t, screen(m))
		})
	}
}

func TestGoldenStorage(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := start(t, sz[0], sz[1])
			press(t, m, "8")
			golden.RequireEqual(t, screen(m))
		})
	}
}

// The question before stopping a network in use, over the screen.
func TestGoldenStopNetworkInUse(t *testing.T) {
	m := start(t, 80, 24)
	press(t, m, "7", "d")
	golden.RequireEqual(t, screen(m))
}

// The new-volume form with a size that does not fit.
func TestGoldenNewVolumeTooBig(t *testing.T) {
	m := start(t, 80, 24)
	press(t, m, "8", "down", "n")
	press(t, m, strings.Split("big.qcow2", "")...)
	press(t, m, "tab", "ctrl+u", "5", "0", "G", "enter")
	golden.RequireEqual(t, screen(m))
}

func TestPaletteOpensNetworksAndStorage(t *testing.T) {
	m := start(t, 100, 30)
	press(t, m, ":")
	press(t, m, strings.Split("storage fast-ssd", "")...)
	press(t, m, "enter")
	if got := m.top().Title(); got != "Storage" {
		t.Fatalf("the palette opened %q", got)
	}
	if s := screen(m); !strings.Contains(s, "Volumes of fast-ssd") {
		t.Errorf("storage fast-ssd should select the pool:\n%s", s)
	}
	press(t, m, "esc", ":")
	press(t, m, strings.Split("networks lab-isolated", "")...)
	press(t, m, "enter")
	if s := screen(m); !strings.Contains(s, "lab-isolated  active") {
		t.Errorf("networks lab-isolated should select it:\n%s", s)
	}
}
