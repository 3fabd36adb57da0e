package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/hostchange"
	secphase "github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
)

// tutorialAt follows tutorial id in an app on a fresh demo host.
func tutorialAt(t *testing.T, id string) *Model {
	t.Helper()
	paths := demoHostFiles(t)
	stager := &hostchange.Stager{Paths: paths, Catalog: features.Builtin(), Log: audit.Open(filepath.Join(t.TempDir(), "audit.log")), Where: "test"}
	m := startWith(t, 100, 30, Options{User: "operator", Term: "xterm-256color", Host: paths,
		Settings: help.Settings{Level: help.Expert},
		Stage: func(ctx context.Context, req hostchange.Request) (hostchange.Result, error) {
			return stager.Stage(ctx, secphase.Operator, "operator", req)
		}})
	send(t, m, ui.TutorialMsg{Do: ui.TutorialStart, ID: id})
	return m
}

// stepsDone is how many steps of tutorial id are done.
func stepsDone(m *Model, id string) int {
	tu, _ := m.c.Tutorials.Tutorial(id)
	done, _, _ := m.c.Tutorials.Status(tu)
	return done
}

// moveTo presses down until the line under the cursor holds want.
func moveTo(t *testing.T, m *Model, want string) {
	t.Helper()
	for range 80 {
		for _, line := range strings.Split(screen(m), "\n") {
			if strings.Contains(line, ui.UnicodeGlyphs.Cursor) && strings.Contains(line, want) {
				return
			}
		}
		press(t, m, "down")
	}
	t.Fatalf("no line with %q under the cursor:\n%s", want, screen(m))
}

// typeText types text into whatever has the keys.
func typeText(t *testing.T, m *Model, text string) { press(t, m, strings.Split(text, "")...) }

// The tutorials can be followed with the keys they name, on the demo
// host, to their end: the snapshots tutorial's revert key exists, and the
// Features screen sends what its tutorials wait for.
func TestTutorialsCanBeFollowedAsWritten(t *testing.T) {
	t.Run("snapshots", func(t *testing.T) {
		m := tutorialAt(t, "snapshots")
		press(t, m, "1")
		moveTo(t, m, "web-01")
		press(t, m, "S", "n", "enter") // open, take with the proposed name
		press(t, m, "g", "r", "y")     // revert to it
		press(t, m, "D", "y")          // delete it
		if n := stepsDone(m, "snapshots"); n != 4 {
			t.Errorf("%d of 4 steps done:\n%s", n, screen(m))
		}
	})
	t.Run("features-by-risk", func(t *testing.T) {
		m := tutorialAt(t, "features-by-risk")
		press(t, m, "2")
		moveTo(t, m, "[HIGH]")
		moveTo(t, m, "[LOW]")
		press(t, m, "space")
		if m.dialog != nil {
			press(t, m, "y") // it turns on another feature too: asked first
		}
		press(t, m, ":")
		typeText(t, m, "help risk-levels")
		press(t, m, "enter")
		if n := stepsDone(m, "features-by-risk"); n != 4 {
			t.Errorf("%d of 4 steps done:\n%s", n, screen(m))
		}
	})
	t.Run("hardening", func(t *testing.T) {
		m := tutorialAt(t, "hardening")
		press(t, m, ":")
		typeText(t, m, "help hardening")
		press(t, m, "enter", ":")
		typeText(t, m, "features")
		press(t, m, "enter")
		moveTo(t, m, "Kernel memory hardening")
		press(t, m, "space")
		press(t, m, "a", "y") // stage and apply
		if n := stepsDone(m, "hardening"); n != 3 {
			t.Errorf("%d of 3 steps done so far:\n%s", n, screen(m))
		}
	})
}

// Every screen a tutorial waits for, and every signal's sender, is a
// route of the app.
func TestTutorialsNeedOnlyRoutes(t *testing.T) {
	lib := help.Builtin()
	for _, tu := range lib.Tutorials {
		for _, id := range tu.Needs() {
			if _, ok := RouteOf(id); !ok {
				t.Errorf("tutorial %s needs %q, which is no route", tu.ID, id)
			}
		}
	}
}
