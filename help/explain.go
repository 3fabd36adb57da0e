package help

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// Explanation is what hv says about one thing an operator meets (an action,
// a state, a feature, a rule): a one-line tip for the item under the
// cursor, and a longer "why" at each level. The files in content/explain
// hold one table per thing, named by its id:
//
//	[start]
//	tip = "Boot the VM."
//	beginner = """What starting does, in plain words, and what to expect."""
//	intermediate = "The same for someone who knows VMs."
//	expert = "What libvirt does, in one line."
//	topic = "vm-lifecycle"   # optional: the topic to read more
type Explanation struct {
	Tip          string `toml:"tip"`
	Beginner     string `toml:"beginner"`
	Intermediate string `toml:"intermediate"`
	Expert       string `toml:"expert"`
	Topic        string `toml:"topic"`
}

// Why is the explanation at a level.
func (e Explanation) Why(l Level) string {
	switch l {
	case Expert:
		return e.Expert
	case Intermediate:
		return e.Intermediate
	}
	return e.Beginner
}

func (e Explanation) complete() bool {
	return e.Tip != "" && e.Beginner != "" && e.Intermediate != "" && e.Expert != ""
}

// Families of explanations: file names in content/explain.
const (
	VMActions = "vm-actions" // by ops.Action.ID
	VMStates  = "vm-states"  // by vm.State.String()
)

// loadExplanations reads every *.toml of dir: the file name is the family.
func loadExplanations(fsys fs.FS, dir string) (map[string]map[string]Explanation, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]Explanation{}
	for _, e := range entries {
		family, ok := strings.CutSuffix(e.Name(), ".toml")
		if e.IsDir() || !ok {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var m map[string]Explanation
		dec := toml.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("explanations %s: %w", e.Name(), err)
		}
		for id, x := range m {
			if !x.complete() {
				return nil, fmt.Errorf("explanations %s: %q needs a tip and a text for each level", e.Name(), id)
			}
			m[id] = trimmed(x)
		}
		out[family] = m
	}
	return out, nil
}

func trimmed(x Explanation) Explanation {
	x.Tip, x.Beginner = strings.TrimSpace(x.Tip), strings.TrimSpace(x.Beginner)
	x.Intermediate, x.Expert = strings.TrimSpace(x.Intermediate), strings.TrimSpace(x.Expert)
	return x
}

// Explain returns the explanation of id in a family.
func (lib *Library) Explain(family, id string) (Explanation, bool) {
	x, ok := lib.explain[family][id]
	return x, ok
}

// Action explains a VM action.
func (lib *Library) Action(a *ops.Action) Explanation {
	x, _ := lib.Explain(VMActions, a.ID)
	return x
}

// State explains a VM state.
func (lib *Library) State(s vm.State) Explanation {
	x, _ := lib.Explain(VMStates, s.String())
	return x
}
