package help

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Tutorial is a lesson done on the real host: steps that complete when the
// operator really does them. Each is a TOML file in content/tutorials
// named after its id.
type Tutorial struct {
	ID      string
	Title   string
	Summary string
	Order   int
	Topic   string // a topic to read afterwards; may be empty
	Steps   []*Step
}

// Step is one thing to do.
type Step struct {
	ID    string
	Title string    // what to do, short: "Pause ci-runner"
	Text  string    // markdown: how, and what it means
	Hint  string    // one line, shown to beginners at once and to others on '?'
	When  Condition // what completes it
}

type tutorialFile struct {
	Title   string `toml:"title"`
	Summary string `toml:"summary"`
	Order   int    `toml:"order"`
	Topic   string `toml:"topic"`
	Step    []struct {
		ID    string `toml:"id"`
		Title string `toml:"title"`
		Text  string `toml:"text"`
		Hint  string `toml:"hint"`
		When  string `toml:"when"`
	} `toml:"step"`
}

// ParseTutorial reads one tutorial file.
func ParseTutorial(id string, data []byte) (*Tutorial, error) {
	if !idRe.MatchString(id) {
		return nil, fmt.Errorf("tutorial %q: ids are lower-case letters, digits and dashes", id)
	}
	var f tutorialFile
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("tutorial %s: %w", id, err)
	}
	if f.Title == "" || f.Summary == "" || len(f.Step) == 0 {
		return nil, fmt.Errorf("tutorial %s: needs a title, a summary and steps", id)
	}
	t := &Tutorial{ID: id, Title: f.Title, Summary: f.Summary, Order: f.Order, Topic: f.Topic}
	for i, s := range f.Step {
		if s.ID == "" || s.Title == "" || s.Text == "" || s.When == "" {
			return nil, fmt.Errorf("tutorial %s: step %d needs an id, a title, a text and a 'when'", id, i+1)
		}
		if slices.ContainsFunc(t.Steps, func(o *Step) bool { return o.ID == s.ID }) {
			return nil, fmt.Errorf("tutorial %s: two steps are called %q", id, s.ID)
		}
		when, err := ParseCondition(s.When)
		if err != nil {
			return nil, fmt.Errorf("tutorial %s, step %s: %w", id, s.ID, err)
		}
		t.Steps = append(t.Steps, &Step{ID: s.ID, Title: s.Title, Text: strings.TrimSpace(s.Text), Hint: s.Hint, When: when})
	}
	return t, nil
}

// LoadTutorials reads every *.toml of dir, in their order.
func LoadTutorials(fsys fs.FS, dir string) ([]*Tutorial, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []*Tutorial
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".toml")
		if e.IsDir() || !ok {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		t, err := ParseTutorial(id, data)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	slices.SortStableFunc(out, func(a, b *Tutorial) int { return a.Order - b.Order })
	return out, nil
}

// Needs lists the screens the tutorial cannot be done without: those its
// steps open, and those that send the signals it waits for.
func (t *Tutorial) Needs() []string {
	var ids []string
	add := func(id string) {
		if id != "" && !strings.ContainsAny(id, "*?[") && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, s := range t.Steps {
		for _, id := range s.When.Screens() {
			add(id)
		}
		for _, name := range s.When.Signals() {
			sig, _ := SignalByName(name)
			add(sig.Sender)
		}
	}
	return ids
}
