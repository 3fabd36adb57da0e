package uitest

import "strings"

// Flat is a dialog's text as one line: borders gone, wrapped lines joined
// (a line wrapped after a hyphen joins without a space), so tests can look
// for sentences wherever the dialog broke them.
func Flat(view string) string {
	var b strings.Builder
	for _, line := range strings.Split(Plain(view), "\n") {
		if strings.Trim(line, " ─-+╭╮╰╯") == "" {
			continue // blank, or the top or bottom of a frame
		}
		line = strings.TrimSpace(strings.Trim(strings.TrimSpace(line), "│|"))
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteString(" ")
		}
		b.WriteString(line)
	}
	return b.String()
}
