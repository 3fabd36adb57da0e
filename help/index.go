package help

import (
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Index is every topic, checked: links and "see" lead somewhere, and a
// screen has at most one topic.
type Index struct {
	topics   []*Topic // in browsing order: by group, order, title
	byID     map[string]*Topic
	byScreen map[string]*Topic
	// what explains a rule tag, a feature category
	byRuleTag, byCategory map[string]*Topic
}

// Groups in the order the help browser shows them; others follow.
var groupOrder = []string{"Start here", "Virtual machines", "Host and security", "Errors", "Reference"}

// LoadIndex reads every *.md file of dir in fsys.
func LoadIndex(fsys fs.FS, dir string) (*Index, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	x := &Index{byID: map[string]*Topic{}, byScreen: map[string]*Topic{},
		byRuleTag: map[string]*Topic{}, byCategory: map[string]*Topic{}}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".md")
		if e.IsDir() || !ok {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		t, err := ParseTopic(id, data)
		if err != nil {
			return nil, err
		}
		x.topics = append(x.topics, t)
		x.byID[id] = t
	}
	var problems []string
	for _, t := range x.topics {
		for _, l := range inlineLinks(t.allText()) {
			if x.byID[l.To] == nil {
				problems = append(problems, fmt.Sprintf("%s links to %s.md, which does not exist", t.ID, l.To))
			}
		}
		for _, s := range t.See {
			if x.byID[s] == nil {
				problems = append(problems, fmt.Sprintf("%s: see %q does not exist", t.ID, s))
			}
		}
		for _, s := range t.Screens {
			if other := x.byScreen[s]; other != nil {
				problems = append(problems, fmt.Sprintf("screen %q has two topics: %s and %s", s, other.ID, t.ID))
			}
			x.byScreen[s] = t
		}
		problems = append(problems, claim(x.byRuleTag, t, t.RuleTags, "rule tag")...)
		problems = append(problems, claim(x.byCategory, t, t.FeatureCategories, "feature category")...)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("help topics: %s", strings.Join(problems, "; "))
	}
	slices.SortFunc(x.topics, func(a, b *Topic) int {
		return cmp.Or(cmp.Compare(groupRank(a.Group), groupRank(b.Group)), cmp.Compare(a.Group, b.Group),
			cmp.Compare(a.Order, b.Order), cmp.Compare(a.Title, b.Title))
	})
	return x, nil
}

// claim records t as the topic of each key, reporting keys already taken.
func claim(m map[string]*Topic, t *Topic, keys []string, what string) []string {
	var problems []string
	for _, k := range keys {
		if other := m[k]; other != nil {
			problems = append(problems, fmt.Sprintf("%s %q has two topics: %s and %s", what, k, other.ID, t.ID))
		}
		m[k] = t
	}
	return problems
}

func groupRank(g string) int {
	if i := slices.Index(groupOrder, g); i >= 0 {
		return i
	}
	return len(groupOrder)
}

// All returns the topics in browsing order.
func (x *Index) All() []*Topic { return x.topics }

// Topic returns the topic with that id.
func (x *Index) Topic(id string) (*Topic, bool) {
	t, ok := x.byID[id]
	return t, ok
}

// ForScreen returns the topic that explains a screen, by registry id.
func (x *Index) ForScreen(screen string) (*Topic, bool) {
	t, ok := x.byScreen[screen]
	return t, ok
}

// ForRule returns the topic that explains a threat rule by its tags: the
// first tag that has one.
func (x *Index) ForRule(tags []string) (*Topic, bool) {
	for _, tag := range tags {
		if t, ok := x.byRuleTag[tag]; ok {
			return t, true
		}
	}
	return nil, false
}

// ForFeatureCategory returns the topic that explains a feature category.
func (x *Index) ForFeatureCategory(category string) (*Topic, bool) {
	t, ok := x.byCategory[category]
	return t, ok
}

// Links are the ways on from t at a level: the links in its text, then
// its "see" topics, each once.
func (x *Index) Links(t *Topic, l Level) []Link {
	links := inlineLinks(t.Text(l))
	for _, id := range t.See {
		if !slices.ContainsFunc(links, func(k Link) bool { return k.To == id }) {
			links = append(links, Link{Text: x.byID[id].Title, To: id})
		}
	}
	return links
}
