package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"slices"
	"strings"

	"github.com/hyper-nixos/hv/vm"
)

// writeJSON prints v as indented JSON. Beyond what encoding/json escapes, it
// escapes DEL and the C1 controls, so that piping hostile names to a
// terminal stays harmless too.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, escapeC1(buf.String()))
	return err
}

func escapeC1(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r == 0x7f || r >= 0x80 && r < 0xa0 }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == 0x7f || r >= 0x80 && r < 0xa0 {
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sortVMs orders VMs by name, then UUID, for stable output.
func sortVMs(vms []vm.VM) {
	slices.SortFunc(vms, func(a, b vm.VM) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.UUID, b.UUID))
	})
}
