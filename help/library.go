package help

import (
	"fmt"
	"io/fs"
	"sync"

	"github.com/hyper-nixos/hv/content"
)

// Library is all hv knows how to explain: topics, explanations, tutorials.
type Library struct {
	Topics    *Index
	Tutorials []*Tutorial
	explain   map[string]map[string]Explanation
}

// Load reads a library from fsys: topics in docs/, tutorials in
// tutorials/, explanations in explain/. Every reference between them is
// checked.
func Load(fsys fs.FS) (*Library, error) {
	topics, err := LoadIndex(fsys, "docs")
	if err != nil {
		return nil, err
	}
	tutorials, err := LoadTutorials(fsys, "tutorials")
	if err != nil {
		return nil, err
	}
	explain, err := loadExplanations(fsys, "explain")
	if err != nil {
		return nil, err
	}
	lib := &Library{Topics: topics, Tutorials: tutorials, explain: explain}
	for _, t := range tutorials {
		if _, ok := topics.Topic(t.Topic); t.Topic != "" && !ok {
			return nil, fmt.Errorf("tutorial %s: topic %q does not exist", t.ID, t.Topic)
		}
	}
	for family, m := range explain {
		for id, x := range m {
			if _, ok := topics.Topic(x.Topic); x.Topic != "" && !ok {
				return nil, fmt.Errorf("explanation %s/%s: topic %q does not exist", family, id, x.Topic)
			}
		}
	}
	return lib, nil
}

// Builtin is the library hv was built with (content/). Its tests
// guarantee it loads; a broken one is a build mistake and panics.
var Builtin = sync.OnceValue(func() *Library {
	lib, err := Load(content.Help)
	if err != nil {
		panic("the built-in help is invalid: " + err.Error())
	}
	return lib
})
