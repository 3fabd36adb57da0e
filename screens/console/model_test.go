package console

import (
	"context"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/ui/uitest"
)

func TestTestDriverHasNoConsoleAndSaysSo(t *testing.T) {
	m := New(uitest.Common(uitest.Demo(t), 100, 30), "web-01")
	h := uitest.NewHarness(t, m)
	view := h.View()
	if !strings.Contains(view, "cannot open a serial console") || !strings.Contains(view, "Serial console of web-01") {
		t.Errorf("the demo should explain the missing console:\n%s", view)
	}
	if m.Capturing() {
		t.Error("without a console, keys are not captured")
	}
	h.Press("f10")
	if h.Backs != 1 {
		t.Error("F10 should go back")
	}
}

func TestAStoppedVMSaysSoAndOffersRetry(t *testing.T) {
	m := New(uitest.Common(uitest.Demo(t), 100, 30), "backup")
	h := uitest.NewHarness(t, m)
	if view := h.View(); !strings.Contains(view, "not running") || !strings.Contains(view, "r tries again") {
		t.Errorf("view:\n%s", view)
	}
}

// TestGuestOutputIsDrawnFromCellsOnly feeds guest bytes with a title,
// a hyperlink and colours through the emulator: only text and colours
// come out.
func TestGuestOutputIsDrawnFromCellsOnly(t *testing.T) {
	m := New(uitest.Common(nil, 60, 10), "x")
	m.emu.Write([]byte("\x1b]0;owned title\x07\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ \x1b[32mgreen\x1b[0m\r\nlogin: "))
	out := m.screen()
	if strings.Contains(out, "\x1b]") || strings.Contains(out, "owned") || strings.Contains(out, "evil") {
		t.Errorf("OSC sequences reached the output: %q", out)
	}
	plain := uitest.Plain(out)
	if !strings.Contains(plain, "link green") || !strings.Contains(plain, "login:") {
		t.Errorf("text lost: %q", plain)
	}
	if !strings.Contains(out, "32m") {
		t.Errorf("the guest's colour should survive: %q", out)
	}
}

// TestReadOnlyUserIsToldWhyNotAndHowToFix: the outsider, if they get here
// at all, reads the VM's name, the whole refusal and its fix; trying
// again would change nothing, so it is not offered.
func TestReadOnlyUserIsToldWhyNotAndHowToFix(t *testing.T) {
	hv := uitest.DemoReadOnly(t)
	web, err := hv.Lookup(context.Background(), "web-01")
	if err != nil {
		t.Fatal(err)
	}
	m := New(uitest.Common(hv, 80, 24), web.UUID)
	view := uitest.Plain(uitest.NewHarness(t, m).View())
	words := strings.Join(strings.Fields(view), " ")
	for _, want := range []string{"Serial console of web-01", "open the console of web-01: permission denied", "ask an administrator to add you to the operators group"} {
		if !strings.Contains(words, want) {
			t.Errorf("the view lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, web.UUID) || strings.Contains(view, "r tries again") {
		t.Errorf("no UUID, and no retry that cannot help:\n%s", view)
	}
}
