package ui_test

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
)

// A message wider or taller than the screen (a bulk summary with long
// failure reasons) is wrapped and scrolled, never cut.
func TestMessageFitsTheScreen(t *testing.T) {
	c := uitest.Common(nil, 80, 21)
	reason := "FAIL web-01: save web-01: operation failed (" + strings.Repeat("a long reason from libvirt ", 6) + "end of reason)"
	var body []string
	for range 30 {
		body = append(body, reason)
	}
	d := ui.NewMessage(c, "Save: 0 of 30 VMs saved", strings.Join(body, "\n"))
	v := d.View()
	if w, h := lipgloss.Size(v); w > 80 || h > 21 {
		t.Errorf("the message is %dx%d on an 80x21 screen", w, h)
	}
	if !strings.Contains(uitest.Flat(v), "end of reason") || !strings.Contains(v, "more lines") {
		t.Errorf("the reason should be wrapped whole and the rest scroll:\n%s", v)
	}
	for range 200 {
		if done, _ := d.Update(uitest.Key("down")); done {
			t.Fatal("down scrolls a long message, it does not close it")
		}
	}
	if !strings.Contains(d.View(), "any key closes") {
		t.Error("the way out must stay in view")
	}
	if done, _ := d.Update(uitest.Key("q")); !done {
		t.Error("another key closes it")
	}
}
