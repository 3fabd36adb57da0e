package help

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/vm"
)

const lifecycle = `
title = "Life"
summary = "s"
[[step]]
id = "start"
title = "Start it"
text = "u"
when = "vm ci-runner started"
[[step]]
id = "pause"
title = "Pause it"
text = "p"
when = "vm ci-runner suspended"
`

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func event(kind vm.EventKind, name string) Observation {
	return VMEvent(vm.Event{Kind: kind, Name: name})
}

func TestTrackerAdvancesOnRealEventsInOrder(t *testing.T) {
	tu, err := ParseTutorial("life", []byte(lifecycle))
	if err != nil {
		t.Fatal(err)
	}
	k := NewTracker([]*Tutorial{tu}, Progress{})
	if out := k.Observe(event(vm.EventStarted, "ci-runner"), now); out.Step != nil {
		t.Fatal("no tutorial is active: nothing should advance")
	}
	if err := k.Start("life", now); err != nil {
		t.Fatal(err)
	}
	if out := k.Observe(event(vm.EventSuspended, "ci-runner"), now); out.Step != nil {
		t.Fatal("steps are done in order: pausing first completes nothing")
	}
	if out := k.Observe(event(vm.EventStarted, "web-01"), now); out.Step != nil {
		t.Fatal("another VM's start completes nothing")
	}
	out := k.Observe(event(vm.EventStarted, "ci-runner"), now)
	if out.Step == nil || out.Step.ID != "start" || out.Finished {
		t.Fatalf("start should complete step 1: %+v", out)
	}
	if _, s, i, _ := k.Current(); s.ID != "pause" || i != 1 {
		t.Fatalf("current step %v %d", s, i)
	}

	// The progress survives a restart: saved, loaded, resumed.
	path := filepath.Join(t.TempDir(), "hv", "tutorials.toml")
	if err := SaveProgress(path, k.Progress()); err != nil {
		t.Fatal(err)
	}
	p, err := LoadProgress(path)
	if err != nil {
		t.Fatal(err)
	}
	k = NewTracker([]*Tutorial{tu}, p)
	if _, s, _, ok := k.Current(); !ok || s.ID != "pause" {
		t.Fatalf("after a restart the tutorial should resume at pause: %v", s)
	}
	out = k.Observe(event(vm.EventSuspended, "ci-runner"), now)
	if !out.Finished {
		t.Fatalf("the last step should finish it: %+v", out)
	}
	if done, total, finished := k.Status(tu); done != 2 || total != 2 || !finished {
		t.Errorf("status %d/%d %v", done, total, finished)
	}
	if _, _, _, ok := k.Current(); ok {
		t.Error("a finished tutorial is no longer active")
	}
	if err := k.Start("life", now); err != nil {
		t.Fatal(err)
	}
	if done, _, _ := k.Status(tu); done != 0 {
		t.Error("starting a finished tutorial starts it over")
	}
}

func TestCorruptFilesAreReportedNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "settings.toml")
	bad := []byte("level = \"guru\"\n")
	os.WriteFile(path, bad, 0o600)
	s, err := LoadSettings(path)
	var fe *FileError
	if !errors.As(err, &fe) || s.Level != Beginner {
		t.Fatalf("a bad level should be a FileError with the defaults: %v %v", s, err)
	}
	if err := SaveSettings(path, Settings{Level: Expert}); !errors.As(err, &fe) {
		t.Fatalf("saving over a corrupt file must be refused: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(bad) {
		t.Error("the corrupt file was changed")
	}

	os.Remove(path)
	if s, err := LoadSettings(path); err != nil || s.Level != Beginner {
		t.Fatalf("a missing file is the defaults: %v %v", s, err)
	}
	if err := SaveSettings(path, Settings{Level: Expert}); err != nil {
		t.Fatal(err)
	}
	if s, err := LoadSettings(path); err != nil || s.Level != Expert {
		t.Fatalf("round trip: %v %v", s, err)
	}
	if got, _ := os.ReadFile(path); string(got) != "level = 'expert'\n" {
		t.Errorf("settings file: %q", got)
	}
}

func TestXDGDirs(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/tmp/cfg")
	t.Setenv("XDG_STATE_HOME", "relative/ignored")
	t.Setenv("HOME", "/home/op")
	if p, _ := SettingsPath(); p != "/tmp/cfg/hv/settings.toml" {
		t.Error(p)
	}
	if p, _ := ProgressPath(); p != "/home/op/.local/state/hv/tutorials.toml" {
		t.Errorf("a relative XDG_STATE_HOME must be ignored, as the spec says: %s", p)
	}
}
