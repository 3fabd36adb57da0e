package features

import (
	"fmt"
	"strings"

	"github.com/hyper-nixos/hv/nix"
)

// lookupText is a host-file setting's value as text, "" when unset.
func lookupText(values map[string]any, path string) string {
	v, _ := nix.Lookup(values, path)
	switch v := v.(type) {
	case string:
		return v
	case int64:
		if v == 0 {
			return ""
		}
		return fmt.Sprint(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ", ")
	}
	return ""
}
