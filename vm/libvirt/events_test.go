package libvirt

import (
	"testing"
	"time"
)

// TestOneRebootPerBurst: libvirt's two reboot events for one reboot make
// one; a reboot later, or of another VM, is its own.
func TestOneRebootPerBurst(t *testing.T) {
	e := echoes{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		uuid  string
		after time.Duration
		first bool
	}{
		{"a", 0, true},
		{"a", 150 * time.Millisecond, false}, // the echo
		{"b", 200 * time.Millisecond, true},
		{"a", 30 * time.Second, true}, // the next reboot
		{"a", 30*time.Second + time.Second, false},
	} {
		if got := e.first(c.uuid, t0.Add(c.after)); got != c.first {
			t.Errorf("reboot of %s at +%v: first %v, want %v", c.uuid, c.after, got, c.first)
		}
	}
	if len(e) != 1 {
		t.Errorf("bursts long over should be forgotten: %v", e)
	}
}

// TestOnlyPoolsOfThisMachineAreMeasured: hv measures pool directories
// itself only where they are this machine's.
func TestOnlyPoolsOfThisMachineAreMeasured(t *testing.T) {
	for uri, want := range map[string]bool{
		"qemu:///system": true, "qemu+unix:///system?socket=/run/x": true, "qemu:///session": true,
		"qemu+ssh://root@far/system": false, "qemu+tcp://far/system": false,
		"test:///default": false, "test:///tmp/host.xml": false,
	} {
		if got := onThisHost(uri); got != want {
			t.Errorf("onThisHost(%s) = %v, want %v", uri, got, want)
		}
	}
}
