package ui

import (
	"regexp"
	"strings"

	"charm.land/glamour/v2"
	gansi "charm.land/glamour/v2/ansi"
	"charm.land/glamour/v2/styles"
)

type glamourRenderer = glamour.TermRenderer

// Markdown renders md to fit width cells, with the theme's 16 colours and,
// on consoles without Unicode, ASCII only. A renderer is built once per
// width and kept.
func (c *Common) Markdown(md string, width int) string {
	width = max(width, 20)
	c.markdown.mu.Lock()
	defer c.markdown.mu.Unlock()
	if c.markdown.renderers == nil {
		c.markdown.renderers = map[int]*glamour.TermRenderer{}
	}
	r := c.markdown.renderers[width]
	if r == nil {
		var err error
		r, err = glamour.NewTermRenderer(
			glamour.WithStyles(markdownStyle(c.Glyphs == ASCIIGlyphs)),
			glamour.WithWordWrap(width),
			glamour.WithChromaFormatter("terminal16"),
		)
		if err != nil {
			return md // the style is ours and valid; never in practice
		}
		c.markdown.renderers[width] = r
	}
	out, err := r.Render(md)
	if err != nil {
		return md
	}
	return strings.Trim(oscRe.ReplaceAllString(out, ""), "\n")
}

// oscRe matches OSC sequences (glamour's hyperlinks): the Linux console
// prints them as garbage, and links to topics are followed inside hv.
var oscRe = regexp.MustCompile("\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)")

// markdownStyle is glamour's ASCII style in the palette's ANSI colours, so
// that help reads the same on a 16-colour console as elsewhere; with
// Unicode it gets bullets and rules.
func markdownStyle(ascii bool) gansi.StyleConfig {
	s := styles.ASCIIStyleConfig
	str := func(v string) *string { return &v }
	yes := func() *bool { b := true; return &b }
	s.Document.Margin = nil
	s.Document.BlockPrefix, s.Document.BlockSuffix = "", ""
	s.Heading.Color, s.Heading.Bold = str("6"), yes()
	s.H1.Prefix, s.H1.Underline = "", yes()
	s.Strong.BlockPrefix, s.Strong.BlockSuffix, s.Strong.Bold = "", "", yes()
	s.Emph.BlockPrefix, s.Emph.BlockSuffix, s.Emph.Underline = "", "", yes()
	s.Code.Color = str("3")
	s.CodeBlock.Color = str("3")
	s.Link.Color, s.Link.Underline = str("4"), yes()
	s.LinkText.Color, s.LinkText.Bold = str("6"), yes()
	s.Item.BlockPrefix = "- "
	s.Task.Ticked, s.Task.Unticked = "[x] ", "[ ] "
	s.ImageText.Format = "Image: {{.text}} ->"
	s.HorizontalRule.Format = "\n--------\n"
	s.Table.CenterSeparator, s.Table.ColumnSeparator, s.Table.RowSeparator = str("+"), str("|"), str("-")
	if !ascii {
		s.Item.BlockPrefix = "• "
		s.BlockQuote.IndentToken = str("│ ")
		s.Table.CenterSeparator, s.Table.ColumnSeparator, s.Table.RowSeparator = str("┼"), str("│"), str("─")
		s.HorizontalRule.Format = "\n────────\n"
	}
	return s
}
