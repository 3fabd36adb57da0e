package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/screens/threats"
	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/monitor"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// With WatchThreats, detection runs for the whole session: a VM event is
// seen while the Threats screen was never opened, and a notification a
// playbook sends shows as a banner on whatever screen is open.
func TestThreatsWatchedWhateverScreenIsOpen(t *testing.T) {
	dir := t.TempDir()
	var feed monitor.Feed
	saved := threats.Open
	threats.Open = func(ctx context.Context, c *ui.Common) (monitor.Feed, error) {
		f, err := monitor.OpenFeed(ctx, monitor.FeedOptions{HV: c.HV, DB: filepath.Join(dir, "none.db"), StateDir: dir,
			JournalSocket: filepath.Join(dir, "no-journal"), AuditPath: filepath.Join(dir, "audit.log")})
		feed = f
		return f, err
	}
	t.Cleanup(func() {
		threats.Open = saved
		if feed != nil {
			feed.Close()
		}
	})
	m := startWith(t, 100, 30, Options{User: "operator", Term: "xterm-256color", Host: demoHostFiles(t), WatchThreats: true})
	if feed == nil {
		t.Fatal("the threat feed was not opened with the session")
	}
	send(t, m, ui.VMEventMsg{Event: vm.Event{Kind: vm.EventCrashed, Detail: "guest panicked", Name: "web-01", UUID: "u", At: time.Now()}})
	var crash threat.Finding
	for deadline := time.Now().Add(10 * time.Second); crash.Rule == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		snap, _ := feed.Snapshot(context.Background())
		for _, f := range snap.Recent {
			if f.Rule == "event.crashed" {
				crash = f
			}
		}
	}
	if crash.VM != "web-01" {
		t.Fatal("the crash, sent while the home screen was open, was not detected")
	}
	if _, err := feed.RunPlaybook(context.Background(), "notify-critical", crash, "operator"); err != nil {
		t.Fatal(err)
	}
	send(t, m, noticeTickMsg{})
	if !strings.Contains(m.status.Text, "HIGH threat: VM crashed (vm=web-01)") {
		t.Errorf("banner %q", m.status.Text)
	}
}
