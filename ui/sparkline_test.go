package ui

import "testing"

func TestSparkline(t *testing.T) {
	c := NewCommon(nil, "u", "xterm")
	if got := c.Sparkline([]float64{0, 50, 100}, 5, 100); got != "  ▁▅█" {
		t.Errorf("got %q", got)
	}
	if got := c.Sparkline([]float64{-1, 2, 4}, 3, 0); got != " ▅█" {
		t.Errorf("auto scale and gaps: got %q", got)
	}
	if got := c.Sparkline([]float64{1, 2, 3, 4}, 2, 4); got != "▆█" {
		t.Errorf("only the newest that fit: got %q", got)
	}
	linux := NewCommon(nil, "u", "linux")
	if got := linux.Sparkline([]float64{0, 100}, 2, 100); got != ".%" {
		t.Errorf("TERM=linux: got %q", got)
	}
}
