package help

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

func builtin(t *testing.T) *Library {
	t.Helper()
	lib, err := Load(content.Help)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func TestBuiltinLibraryLoadsWithEveryReferenceResolved(t *testing.T) {
	lib := builtin(t)
	if n := len(lib.Topics.All()); n < 40 {
		t.Errorf("only %d topics", n)
	}
	for _, id := range topicIDs {
		if _, ok := lib.Topics.Topic(id); !ok {
			t.Errorf("the code refers to topic %q, which does not exist", id)
		}
	}
	for _, want := range []string{"first-steps", "vm-lifecycle", "snapshots", "features-by-risk", "threat-dashboard", "hardening"} {
		if !slices.ContainsFunc(lib.Tutorials, func(t *Tutorial) bool { return t.ID == want }) {
			t.Errorf("tutorial %s is missing", want)
		}
	}
}

// The Linux console's font lacks most of Unicode: what hv says must be
// ASCII, or it shows as blocks on TERM=linux.
func TestContentIsASCII(t *testing.T) {
	fs.WalkDir(content.Help, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := fs.ReadFile(content.Help, path)
		for i, r := range string(data) {
			if r > unicode.MaxASCII {
				line := strings.Count(string(data[:i]), "\n") + 1
				t.Errorf("%s:%d: %q is not ASCII", path, line, r)
				break
			}
		}
		return nil
	})
}

func TestEveryVMActionIsExplainedAtEveryLevel(t *testing.T) {
	lib := builtin(t)
	for _, a := range append(slices.Clone(ops.Lifecycle), ops.AutostartOn, ops.AutostartOff) {
		x, ok := lib.Explain(VMActions, a.ID)
		if !ok {
			t.Errorf("action %s has no explanation in content/explain/vm-actions.toml", a.ID)
			continue
		}
		for _, l := range Levels {
			if x.Why(l) == "" {
				t.Errorf("action %s: nothing for %s", a.ID, l)
			}
		}
		if strings.Contains(x.Tip, "\n") {
			t.Errorf("action %s: the tip must be one line", a.ID)
		}
	}
}

func TestEveryVMStateIsExplainedAtEveryLevel(t *testing.T) {
	lib := builtin(t)
	for s := vm.StateUnknown; s <= vm.StateSuspended; s++ {
		x, ok := lib.Explain(VMStates, s.String())
		if !ok || x.Beginner == "" || x.Intermediate == "" || x.Expert == "" || x.Tip == "" {
			t.Errorf("state %q is not explained at every level in content/explain/vm-states.toml", s)
		}
	}
}

func TestRisksAndSeveritiesAreExplained(t *testing.T) {
	lib := builtin(t)
	for r := ops.Minimal; r <= ops.Critical; r++ {
		if _, ok := lib.Explain(Risks, r.String()); !ok {
			t.Errorf("risk %s has no explanation", r)
		}
	}
	for _, s := range []string{"info", "low", "medium", "high", "critical"} {
		if _, ok := lib.Explain(Severities, s); !ok {
			t.Errorf("severity %s has no explanation", s)
		}
	}
}

// Search must find a topic by a word that appears only in its body: not in
// its title, summary or keywords.
func TestSearchFindsATopicByAWordOnlyInItsBody(t *testing.T) {
	lib := builtin(t)
	const word = "hibernating"
	topic, _ := lib.Topics.Topic("vm-lifecycle")
	head := strings.ToLower(topic.Title + topic.Summary + strings.Join(topic.Keywords, " "))
	if strings.Contains(head, word) || !strings.Contains(topic.Text(Beginner), word) {
		t.Fatalf("the test needs %q in the body of vm-lifecycle only", word)
	}
	res := lib.Topics.Search(word)
	if len(res) == 0 || res[0].Topic.ID != "vm-lifecycle" {
		t.Fatalf("searching %q should find vm-lifecycle first, got %v", word, ids(res))
	}
	if !strings.Contains(res[0].Snippet, word) {
		t.Errorf("the snippet should show the line with the word: %q", res[0].Snippet)
	}
}

func TestSearchRanksTitlesFirstAndForgivesTypos(t *testing.T) {
	lib := builtin(t)
	if res := lib.Topics.Search("snapshots"); len(res) == 0 || res[0].Topic.ID != "snapshots" {
		t.Errorf("snapshots: %v", ids(res))
	}
	if res := lib.Topics.Search("snapshts"); len(res) == 0 || !slices.Contains(ids(res), "snapshots") {
		t.Errorf("a typo should still find snapshots: %v", ids(res))
	}
	if res := lib.Topics.Search("polkit operators"); len(res) == 0 || res[0].Topic.ID != "access" {
		t.Errorf("two words: %v", ids(res))
	}
	if res := lib.Topics.Search("zzyzx"); len(res) != 0 {
		t.Errorf("nonsense found %v", ids(res))
	}
}

func ids(res []Result) []string {
	var out []string
	for _, r := range res {
		out = append(out, r.Topic.ID)
	}
	return out
}

func TestEveryScreenWithATopic(t *testing.T) {
	lib := builtin(t)
	for _, s := range []string{"home", "vms", "vm", "snapshots", "console", "host", "help", "tutorials", "features", "threats", "wizard", "networks", "storage"} {
		if _, ok := lib.Topics.ForScreen(s); !ok {
			t.Errorf("screen %s has no help topic (front matter screens = [...])", s)
		}
	}
}

func TestTutorialsNeedTheScreensTheyUse(t *testing.T) {
	lib := builtin(t)
	needs := map[string][]string{}
	for _, tu := range lib.Tutorials {
		needs[tu.ID] = tu.Needs()
	}
	if !slices.Equal(needs["vm-lifecycle"], []string{"vms"}) {
		t.Errorf("vm-lifecycle needs %v", needs["vm-lifecycle"])
	}
	if !slices.Contains(needs["features-by-risk"], "features") || !slices.Contains(needs["hardening"], "wizard") {
		t.Errorf("features-by-risk needs %v, hardening %v", needs["features-by-risk"], needs["hardening"])
	}
}
