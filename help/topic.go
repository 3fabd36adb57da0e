package help

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Topic is one page of the built-in documentation: a markdown file in
// content/docs named after its id, with TOML front matter between "+++"
// lines. The body may hold text for some levels only: a line
//
//	<!-- beginner -->            (or "beginner intermediate", "expert"...)
//
// starts text for those levels, and <!-- all --> returns to text for
// everyone. Links to other topics are ordinary markdown links to their
// files, [the VM states](vm-states.md), so they work on a code forge too.
type Topic struct {
	ID       string
	Title    string
	Summary  string   // one line, for lists and search results
	Group    string   // where the help browser lists it
	Order    int      // within the group, then by title
	Screens  []string // registry ids of the screens whose '?' shows it
	Keywords []string // extra words search finds it by
	See      []string // related topic ids, listed after the text
	// RuleTags and FeatureCategories make this the topic that explains
	// threat rules with those tags and features of those categories.
	RuleTags          []string
	FeatureCategories []string

	sections []section
	words    map[string]bool // every word of every level, lower case, for search
}

type frontMatter struct {
	Title    string   `toml:"title"`
	Summary  string   `toml:"summary"`
	Group    string   `toml:"group"`
	Order    int      `toml:"order"`
	Screens  []string `toml:"screens"`
	Keywords []string `toml:"keywords"`
	See      []string `toml:"see"`

	RuleTags          []string `toml:"rule_tags"`
	FeatureCategories []string `toml:"feature_categories"`
}

// section is a stretch of the body shown to some levels.
type section struct {
	levels levelSet
	text   string
}

type levelSet uint8

const allLevels levelSet = 1<<Beginner | 1<<Intermediate | 1<<Expert

func (s levelSet) has(l Level) bool { return s&(1<<l) != 0 }

var (
	markerRe = regexp.MustCompile(`^<!--\s*([a-z ]+?)\s*-->\s*$`)
	// LinkRe finds links to other topics: [text](id.md).
	linkRe = regexp.MustCompile(`\[([^\]]+)\]\(([a-z0-9-]+)\.md\)`)
	idRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

// ParseTopic reads one topic file; id is its name without ".md".
func ParseTopic(id string, data []byte) (*Topic, error) {
	if !idRe.MatchString(id) {
		return nil, fmt.Errorf("topic %q: ids are lower-case letters, digits and dashes", id)
	}
	front, body, err := splitFrontMatter(data)
	if err != nil {
		return nil, fmt.Errorf("topic %s: %w", id, err)
	}
	var fm frontMatter
	dec := toml.NewDecoder(bytes.NewReader(front))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fm); err != nil {
		return nil, fmt.Errorf("topic %s: front matter: %w", id, err)
	}
	if fm.Title == "" || fm.Summary == "" {
		return nil, fmt.Errorf("topic %s: front matter needs a title and a summary", id)
	}
	t := &Topic{ID: id, Title: fm.Title, Summary: fm.Summary, Group: fm.Group, Order: fm.Order,
		Screens: fm.Screens, Keywords: fm.Keywords, See: fm.See,
		RuleTags: fm.RuleTags, FeatureCategories: fm.FeatureCategories}
	if t.Group == "" {
		t.Group = "Reference"
	}
	if t.sections, err = parseSections(body); err != nil {
		return nil, fmt.Errorf("topic %s: %w", id, err)
	}
	t.words = wordSet(t.Title + " " + strings.Join(t.Keywords, " ") + " " + t.Summary + " " + t.allText())
	return t, nil
}

func splitFrontMatter(data []byte) (front, body []byte, err error) {
	rest, ok := bytes.CutPrefix(data, []byte("+++\n"))
	if !ok {
		return nil, nil, fmt.Errorf("no front matter: the file must start with a +++ line")
	}
	front, body, ok = bytes.Cut(rest, []byte("\n+++\n"))
	if !ok {
		return nil, nil, fmt.Errorf("front matter is not closed by a +++ line")
	}
	return front, body, nil
}

// parseSections splits the body at level markers, leaving fenced code
// alone.
func parseSections(body []byte) ([]section, error) {
	var out []section
	cur := section{levels: allLevels}
	var b strings.Builder
	flush := func() {
		if strings.TrimSpace(b.String()) != "" {
			cur.text = b.String()
			out = append(out, cur)
		}
		b.Reset()
	}
	fenced := false
	sc := bufio.NewScanner(bytes.NewReader(body))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
		}
		if m := markerRe.FindStringSubmatch(line); m != nil && !fenced {
			set, err := parseLevelSet(m[1])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			flush()
			cur = section{levels: set}
			continue
		}
		b.WriteString(line + "\n")
	}
	flush()
	return out, sc.Err()
}

func parseLevelSet(s string) (levelSet, error) {
	var set levelSet
	for _, w := range strings.Fields(s) {
		if w == "all" {
			set |= allLevels
			continue
		}
		l, err := ParseLevel(w)
		if err != nil || len(w) == 1 {
			return 0, fmt.Errorf("level marker %q: use beginner, intermediate, expert or all", s)
		}
		set |= 1 << l
	}
	return set, nil
}

// Text is the topic's markdown for a level, without its front matter and
// markers; links are left as written.
func (t *Topic) Text(l Level) string {
	var b strings.Builder
	for _, s := range t.sections {
		if s.levels.has(l) {
			b.WriteString(s.text)
		}
	}
	return tidy(b.String())
}

func (t *Topic) allText() string {
	var b strings.Builder
	for _, s := range t.sections {
		b.WriteString(s.text)
	}
	return b.String()
}

// tidy trims the text and folds runs of blank lines into one.
func tidy(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	out := lines[:0]
	blank := false
	for _, l := range lines {
		isBlank := strings.TrimSpace(l) == ""
		if isBlank && blank {
			continue
		}
		blank = isBlank
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// Link is a way from one topic to another.
type Link struct {
	Text string // as written in the text, or the target's title
	To   string // topic id
}

// inlineLinks lists the links written in md, in order, each once.
func inlineLinks(md string) []Link {
	var out []Link
	seen := map[string]bool{}
	for _, m := range linkRe.FindAllStringSubmatch(md, -1) {
		if !seen[m[2]] {
			seen[m[2]] = true
			out = append(out, Link{Text: m[1], To: m[2]})
		}
	}
	return out
}

// ReplaceLinks rewrites every link to a topic in md with what f returns
// for it (its position among Links, from 0, and the link): the help
// browser numbers them, a plain terminal names the topic.
func ReplaceLinks(md string, links []Link, f func(i int, l Link) string) string {
	index := map[string]int{}
	for i, l := range links {
		index[l.To] = i
	}
	return linkRe.ReplaceAllStringFunc(md, func(s string) string {
		m := linkRe.FindStringSubmatch(s)
		return f(index[m[2]], Link{Text: m[1], To: m[2]})
	})
}
