package help

import (
	"strings"
	"testing"
	"testing/fstest"
)

const sample = `+++
title = "Sample"
summary = "A topic for tests."
see = ["other"]
+++

Everyone reads this, and [the other topic](other.md).
<!-- beginner -->
Only beginners read this.
<!-- intermediate expert -->
The others read this.
` + "```" + `
<!-- beginner -->
code is left alone
` + "```" + `
<!-- all -->
Everyone again.
`

func TestLevelSections(t *testing.T) {
	tp, err := ParseTopic("sample", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	b, e := tp.Text(Beginner), tp.Text(Expert)
	if !strings.Contains(b, "Only beginners") || strings.Contains(b, "The others") {
		t.Errorf("beginner text:\n%s", b)
	}
	if strings.Contains(e, "Only beginners") || !strings.Contains(e, "The others") || !strings.Contains(e, "code is left alone") {
		t.Errorf("expert text:\n%s", e)
	}
	for _, txt := range []string{b, e} {
		if !strings.HasPrefix(txt, "Everyone reads") || !strings.HasSuffix(txt, "Everyone again.") {
			t.Errorf("shared text missing:\n%s", txt)
		}
	}
}

func TestBadTopicsAreRefused(t *testing.T) {
	for name, src := range map[string]string{
		"no front matter": "# Title\n",
		"unknown field":   "+++\ntitle = \"x\"\nsummary = \"y\"\ncolour = \"red\"\n+++\n",
		"no summary":      "+++\ntitle = \"x\"\n+++\n",
		"bad marker":      "+++\ntitle = \"x\"\nsummary = \"y\"\n+++\n<!-- wizards -->\n",
	} {
		if _, err := ParseTopic("t", []byte(src)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseTopic("Bad_ID", []byte(sample)); err == nil {
		t.Error("an id with capitals was accepted")
	}
}

func TestIndexChecksLinksAndOrdersLinks(t *testing.T) {
	other := "+++\ntitle = \"Other\"\nsummary = \"o\"\nscreens = [\"vms\"]\n+++\nText.\n"
	fsys := fstest.MapFS{"docs/sample.md": {Data: []byte(sample)}, "docs/other.md": {Data: []byte(other)}}
	x, err := LoadIndex(fsys, "docs")
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := x.Topic("sample")
	links := x.Links(tp, Beginner)
	if len(links) != 1 || links[0].To != "other" || links[0].Text != "the other topic" {
		t.Errorf("links %v: the inline link, and 'see' not repeated", links)
	}
	if s, ok := x.ForScreen("vms"); !ok || s.ID != "other" {
		t.Error("ForScreen")
	}
	got := ReplaceLinks(tp.Text(Expert), links, func(i int, l Link) string { return l.Text + " [" + string(rune('1'+i)) + "]" })
	if !strings.Contains(got, "the other topic [1]") {
		t.Errorf("ReplaceLinks: %s", got)
	}

	delete(fsys, "docs/other.md")
	if _, err := LoadIndex(fsys, "docs"); err == nil || !strings.Contains(err.Error(), "other.md") {
		t.Errorf("a dangling link should be refused: %v", err)
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"beginner": Beginner, "Expert": Expert, "i": Intermediate, " e ": Expert} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseLevel("guru"); err == nil {
		t.Error("guru accepted")
	}
	if Expert.Next() != Beginner || Beginner.Next() != Intermediate {
		t.Error("Next should cycle")
	}
}
