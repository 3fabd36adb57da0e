package features

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/hyper-nixos/hv/nix"
)

// CheckHost resolves a host file's selection in its phase, then checks its
// settings by the host-file schema: every value as the schema requires,
// and every setting an enabled feature needs present. This is the whole
// check the apply service and the NixOS module make.
func (c *Catalog) CheckHost(h *nix.Host) *Resolution {
	r := c.Resolve(h.Features, h.Phase)
	values := h.Values()
	for _, id := range r.Enabled {
		for _, need := range c.byID[id].Needs {
			if v, _ := nix.Lookup(values, need); !isSet(v) {
				r.Problems = append(r.Problems, Problem{Kind: MissingSetting, Features: []string{id}, Setting: need,
					Message: fmt.Sprintf(`"%s" needs %s in the host file`, id, need)})
			}
		}
	}
	for _, st := range c.schema.Settings {
		v, _ := nix.Lookup(values, st.Path)
		for _, msg := range checkSetting(st, v) {
			r.Problems = append(r.Problems, Problem{Kind: InvalidSetting, Setting: st.Path, Message: st.Path + ": " + msg})
		}
	}
	return r
}

// isSet: a non-empty string or list, or a positive number.
func isSet(v any) bool {
	switch v := v.(type) {
	case string:
		return v != ""
	case []any:
		return len(v) > 0
	case int64:
		return v > 0
	}
	return false
}

var patterns sync.Map // pattern -> *regexp.Regexp

// fullMatch matches the whole of s, as Nix's builtins.match does.
func fullMatch(pattern, s string) bool {
	re, ok := patterns.Load(pattern)
	if !ok {
		re, _ = patterns.LoadOrStore(pattern, regexp.MustCompile(`^(?:`+pattern+`)$`))
	}
	return re.(*regexp.Regexp).MatchString(s)
}

// checkSetting returns what is wrong with one value, per its spec. Empty
// strings mean "not set" and are not matched against the pattern.
func checkSetting(st nix.SettingSpec, v any) []string {
	var out []string
	seen := map[string]bool{}
	one := func(x any) {
		shown := ""
		switch x := x.(type) {
		case string:
			shown = `"` + x + `"`
			if x != "" && st.Pattern != "" && !fullMatch(st.Pattern, x) {
				out = append(out, fmt.Sprintf("%s is not %s such as %s", shown, st.What, st.Example))
			}
		case int64:
			shown = strconv.FormatInt(x, 10)
			if (st.Min != nil && x < *st.Min) || (st.Max != nil && x > *st.Max) {
				out = append(out, fmt.Sprintf("%s is not between %d and %d", shown, *st.Min, *st.Max))
			}
		}
		if st.Unique && seen[shown] {
			out = append(out, shown+" is listed twice")
		}
		seen[shown] = true
	}
	if list, ok := v.([]any); ok {
		for _, x := range list {
			one(x)
		}
	} else {
		one(v)
	}
	return slices.Compact(out)
}

// CheckSetting checks one value of a host-file setting ("network.uplink")
// by the schema's rule, as the module will: a string, or a list of them
// for list settings. It returns what is wrong, or nothing.
func (c *Catalog) CheckSetting(path string, value any) []string {
	st, ok := c.schema.Setting(path)
	if !ok {
		return []string{"no setting " + path + " in the host-file schema"}
	}
	if list, ok := value.([]string); ok {
		items := make([]any, len(list))
		for i, v := range list {
			items[i] = v
		}
		value = items
	}
	return checkSetting(st, value)
}
