package app

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/screens/home"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/uitest"
	"github.com/hyper-nixos/hv/vm/ops"
)

// screens builds every route's screen on the demo host, loaded, with its
// example argument.
func screens(t *testing.T) map[string]ui.Screen {
	t.Helper()
	m := start(t, 120, 40)
	out := map[string]ui.Screen{}
	for _, r := range Routes {
		arg := r.Example
		if r.Arg == VMArg {
			v, err := m.c.HV.Lookup(context.Background(), arg)
			if err != nil {
				t.Fatal(err)
			}
			arg = v.UUID
		}
		s := r.build(m, arg)
		uitest.Drain(t, s.Update, s.Init())
		out[r.ID] = s
	}
	return out
}

func bindings(s ui.Screen) []key.Binding {
	var out []key.Binding
	for _, g := range s.Keys().FullHelp() {
		out = append(out, g...)
	}
	return out
}

// One key vocabulary: on every screen, a key does one thing (space was
// both mark and page down on the VM list), the app's own keys are left to
// the app, and each verb of the vocabulary (start, stop, delete, new,
// reload, actions, autostart, search, undo...) is on its one key.
func TestNoScreenBindsAKeyTwice(t *testing.T) {
	global := map[string]bool{}
	for _, b := range []key.Binding{ui.DefaultGlobalKeys.Help, ui.DefaultGlobalKeys.Palette, ui.DefaultGlobalKeys.Quit, ui.DefaultGlobalKeys.ForceQuit} {
		for _, k := range b.Keys() {
			global[k] = true
		}
	}
	for id, s := range screens(t) {
		seen := map[string]string{} // key -> what it does
		for _, b := range bindings(s) {
			desc := b.Help().Desc
			for _, k := range b.Keys() {
				if global[k] {
					t.Errorf("%s binds %q (%s), which the app keeps for itself", id, k, desc)
				}
				if was, ok := seen[k]; ok && was != desc {
					t.Errorf("%s binds %q twice: %s and %s", id, k, was, desc)
				}
				seen[k] = desc
			}
		}
	}
}

func TestEachVerbHasOneKeyEverywhere(t *testing.T) {
	verbKey := map[string]string{
		"Start": ui.Verbs.Start.Keys()[0], "Stop": ui.Verbs.Stop.Keys()[0], "Delete": ui.Verbs.Delete.Keys()[0],
		"New": ui.Verbs.New.Keys()[0], "Reload": ui.Verbs.Reload.Keys()[0], "Actions": ui.Verbs.Actions.Keys()[0],
		"Autostart": ui.Verbs.Autostart.Keys()[0], "Search": ui.Verbs.Search.Keys()[0], "Undo": ui.Verbs.Undo.Keys()[0],
		"Order": ui.Verbs.Order.Keys()[0], "Host": ui.Verbs.Host.Keys()[0],
	}
	for verb := range ui.VerbWords {
		if verbKey[verb] == "" {
			t.Fatalf("verb %s has no key in the test", verb)
		}
	}
	for id, s := range screens(t) {
		for _, b := range bindings(s) {
			desc := strings.ToLower(b.Help().Desc)
			for verb, words := range ui.VerbWords {
				for _, w := range words {
					if (desc == w || strings.HasPrefix(desc, w+" ")) && !slices.Contains(b.Keys(), verbKey[verb]) {
						t.Errorf("%s: %q is the verb %s, whose key is %s, not %v", id, b.Help().Desc, verb, verbKey[verb], b.Keys())
					}
				}
			}
		}
	}
}

// Enter opens; it never runs a high-risk action, even behind a question.
func TestEnterNeverRunsAHighRiskAction(t *testing.T) {
	for id, s := range screens(t) {
		a, ok := s.(ui.Actioner)
		if !ok {
			continue
		}
		for _, act := range a.Actions() {
			if act.Risk >= ops.High && slices.Contains(act.Key.Keys(), "enter") {
				t.Errorf("%s: enter runs %q (%s risk)", id, act.Key.Help().Desc, act.Risk)
			}
		}
	}
}

// '/' searches every list screen.
func TestSlashSearchesEveryList(t *testing.T) {
	for _, id := range []string{"vms", "networks", "storage", "snapshots", "features", "threats", "help"} {
		s := screens(t)[id]
		found := false
		for _, b := range bindings(s) {
			found = found || slices.Contains(b.Keys(), "/")
		}
		if !found {
			t.Errorf("%s offers no / search", id)
		}
	}
}

// One table of routes serves the registry, the palette, the home menu, the
// cheatsheet and the tutorials: each route builds its screen and has a
// help topic, the palette offers exactly the routes (and its own level
// and quit), the home menu and the screens lead only to routes, and a
// name that is no route is refused, not opened as an empty page.
func TestRouteTable(t *testing.T) {
	m := start(t, 100, 30)
	var ids []string
	for id, s := range screens(t) {
		ids = append(ids, id)
		if s.Title() == "" {
			t.Errorf("route %s builds a screen with no title", id)
		}
		if _, ok := m.c.Help.Topics.ForScreen(id); !ok {
			t.Errorf("route %s has no help topic", id)
		}
	}
	if len(ids) != len(Routes) {
		t.Errorf("%d routes build %d screens: an id is used twice", len(Routes), len(ids))
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	for _, r := range Routes {
		if !slices.Contains(names, r.ID) {
			t.Errorf("the palette does not offer route %s", r.ID)
		}
	}
	if len(names) != len(Routes)+2 {
		t.Errorf("the palette offers %v: the routes, level and quit only", names)
	}
	for _, it := range home.Items {
		if _, ok := RouteOf(it.Screen); !ok {
			t.Errorf("home item %s leads to %q, which is no route", it.Title, it.Screen)
		}
	}
	for _, target := range navigateTargets(t) {
		if _, ok := RouteOf(target); !ok {
			t.Errorf("a screen navigates to %q, which is no route", target)
		}
	}
	depth := len(m.stack)
	send(t, m, ui.NavigateMsg{To: "nowhere"})
	if len(m.stack) != depth || !strings.Contains(m.status.Text, `no screen is called nowhere`) {
		t.Errorf("an unknown route: stack %d deep, status %q", len(m.stack), m.status.Text)
	}
}

// navigateTargets are the routes the screens' code names in ui.Navigate.
func navigateTargets(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../screens/*/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no screens found: %v", err)
	}
	re := regexp.MustCompile(`ui\.Navigate\("([a-z]+)"`)
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			out = append(out, m[1])
		}
	}
	if len(out) < 5 {
		t.Fatalf("found only %d ui.Navigate calls", len(out))
	}
	return out
}
