package ui

import (
	"fmt"
	"strings"
)

// Count is n things in words: "1 VM", "3 VMs".
func Count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// NameList joins up to limit names, safe to draw, and says how many more
// there are: "web-01, web-02 and 7 more".
func NameList(names []string, limit int) string {
	shown := names
	if len(shown) > limit {
		shown = shown[:limit]
	}
	safe := make([]string, len(shown))
	for i, n := range shown {
		safe[i] = Safe(n)
	}
	s := strings.Join(safe, ", ")
	if len(names) > len(shown) {
		s += fmt.Sprintf(" and %d more", len(names)-len(shown))
	}
	return s
}

// YesNo is a flag in a table cell.
func YesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// OrDash is s, or "-" for an empty table cell.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
