package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/hyper-nixos/hv/vm"
)

// writeJSON prints v as indented JSON. Beyond what encoding/json escapes, it
// escapes DEL, the C1 controls and invisible or direction-changing format
// characters, so that piping hostile names to a terminal stays harmless.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, escapeUnsafe(buf.String()))
	return err
}

func unsafeRune(r rune) bool {
	return r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r)
}

// escapeUnsafe writes unsafe runes as JSON \u escapes. encoding/json has
// already escaped the other controls, and these only occur inside strings.
func escapeUnsafe(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !unsafeRune(r) {
			b.WriteRune(r)
			continue
		}
		if r1, r2 := utf16.EncodeRune(r); r1 != unicode.ReplacementChar {
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		} else {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// sortVMs orders VMs by name, then UUID, for stable output.
func sortVMs(vms []vm.VM) {
	slices.SortFunc(vms, func(a, b vm.VM) int {
		return cmp.Or(strings.Compare(a.Host, b.Host), strings.Compare(a.Name, b.Name), strings.Compare(a.UUID, b.UUID))
	})
}
