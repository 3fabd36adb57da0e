package help

import (
	"cmp"
	"slices"
	"strings"
	"unicode"

	"github.com/sahilm/fuzzy"
)

// Result is a topic found by a search.
type Result struct {
	Topic   *Topic
	Score   int
	Snippet string // the first line of the text holding a searched word, or the summary
}

// Search finds the topics holding every word of query, in their title,
// keywords or text at any level: whole words first, then words that start
// with it or contain it, then near misses (the letters in order, as in
// "snpshot"). Titles weigh most.
func (x *Index) Search(query string) []Result {
	terms := words(query)
	if len(terms) == 0 {
		return nil
	}
	var out []Result
	for _, t := range x.topics {
		title, keys := wordSet(t.Title), wordSet(strings.Join(t.Keywords, " "))
		score := 0
		for _, term := range terms {
			s := 3*match(term, title) + 2*match(term, keys) + match(term, t.words)
			if s == 0 {
				score = 0
				break
			}
			score += s
		}
		if score > 0 {
			out = append(out, Result{Topic: t, Score: score, Snippet: snippet(t, terms)})
		}
	}
	slices.SortStableFunc(out, func(a, b Result) int { return cmp.Compare(b.Score, a.Score) })
	return out
}

// match scores how well term appears among words.
func match(term string, words map[string]bool) int {
	if words[term] {
		return 10
	}
	best := 0
	var near []string
	for w := range words {
		switch {
		case strings.HasPrefix(w, term):
			best = max(best, 7)
		case len(term) >= 3 && strings.Contains(w, term):
			best = max(best, 5)
		case len(term) >= 4 && len(w) <= len(term)+2:
			near = append(near, w)
		}
	}
	if best == 0 && len(fuzzy.Find(term, near)) > 0 {
		best = 2
	}
	return best
}

// snippet is the first line of t's text that holds one of the terms.
func snippet(t *Topic, terms []string) string {
	for _, line := range strings.Split(t.allText(), "\n") {
		lw := wordSet(line)
		for _, term := range terms {
			if match(term, lw) >= 5 {
				return strings.TrimSpace(strings.TrimLeft(line, "#>-* "))
			}
		}
	}
	return t.Summary
}

// words splits text into lower-case words of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

func wordSet(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range words(s) {
		set[w] = true
	}
	return set
}
