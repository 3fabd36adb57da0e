package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/vm"
)

// Palette names the colour roles; components never pick raw colours. All
// roles are ANSI 16-colour indexes, so they look the same on a bare Linux
// console (TERM=linux) as in a modern terminal, and the renderer drops them
// cleanly under NO_COLOR. Meaning never rests on colour alone: states and
// risks are also spelled out in words.
type Palette struct {
	Primary, Muted, Danger, Warning, Success, Info color.Color
}

// DefaultPalette works on dark and light backgrounds alike.
var DefaultPalette = Palette{
	Primary: lipgloss.Cyan,
	Muted:   lipgloss.BrightBlack,
	Danger:  lipgloss.Red,
	Warning: lipgloss.Yellow,
	Success: lipgloss.Green,
	Info:    lipgloss.Blue,
}

// Styles is every style the UI draws with, built from one Palette.
type Styles struct {
	Title     lipgloss.Style // screen titles
	Header    lipgloss.Style // table headers
	Selected  lipgloss.Style // the row or item under the cursor
	Muted     lipgloss.Style
	Bold      lipgloss.Style
	Primary   lipgloss.Style
	Danger    lipgloss.Style
	Warning   lipgloss.Style
	Success   lipgloss.Style
	Info      lipgloss.Style
	Key       lipgloss.Style // a key in help text
	StatusBar lipgloss.Style
	Dialog    lipgloss.Style // the frame of dialogs
	Input     lipgloss.Style
}

// NewStyles builds the styles of a palette with the given glyphs' border.
func NewStyles(p Palette, g Glyphs) *Styles {
	s := lipgloss.NewStyle()
	return &Styles{
		Title:     s.Bold(true).Foreground(p.Primary),
		Header:    s.Bold(true),
		Selected:  s.Reverse(true),
		Muted:     s.Foreground(p.Muted),
		Bold:      s.Bold(true),
		Primary:   s.Foreground(p.Primary),
		Danger:    s.Foreground(p.Danger).Bold(true),
		Warning:   s.Foreground(p.Warning),
		Success:   s.Foreground(p.Success),
		Info:      s.Foreground(p.Info),
		Key:       s.Bold(true).Foreground(p.Primary),
		StatusBar: s.Reverse(true),
		Dialog:    s.Border(g.Border).BorderForeground(p.Primary).Padding(0, 1),
		Input:     s.Foreground(p.Primary),
	}
}

// State styles a VM state: green running, yellow paused, red crashed.
func (s *Styles) State(st vm.State) lipgloss.Style {
	switch st {
	case vm.StateRunning, vm.StateBlocked:
		return s.Success
	case vm.StatePaused, vm.StateSuspended, vm.StateShuttingDown:
		return s.Warning
	case vm.StateCrashed:
		return s.Danger
	}
	return s.Muted
}

// Level is the weight of a message.
type Level int

const (
	LevelInfo Level = iota
	LevelSuccess
	LevelWarning
	LevelError
)

// Level styles a message of that level.
func (s *Styles) Level(l Level) lipgloss.Style {
	switch l {
	case LevelSuccess:
		return s.Success
	case LevelWarning:
		return s.Warning
	case LevelError:
		return s.Danger
	}
	return s.Info
}

// Glyphs are the few non-letter symbols the UI draws. The Linux console's
// fonts lack most of Unicode, so it gets an ASCII set.
type Glyphs struct {
	Cursor, SortAsc, SortDesc, Ellipsis, Sep, Arrow string
	Border                                          lipgloss.Border
}

var (
	UnicodeGlyphs = Glyphs{Cursor: "▌", SortAsc: "↑", SortDesc: "↓", Ellipsis: "…", Sep: "·", Arrow: "›",
		Border: lipgloss.RoundedBorder()}
	ASCIIGlyphs = Glyphs{Cursor: ">", SortAsc: "^", SortDesc: "v", Ellipsis: "~", Sep: "|", Arrow: ">",
		Border: lipgloss.Border{Top: "-", Bottom: "-", Left: "|", Right: "|",
			TopLeft: "+", TopRight: "+", BottomLeft: "+", BottomRight: "+"}}
)

// GlyphsFor picks the glyph set for a $TERM value.
func GlyphsFor(term string) Glyphs {
	switch term {
	case "linux", "vt100", "vt102", "vt220", "dumb", "":
		return ASCIIGlyphs
	}
	return UnicodeGlyphs
}
