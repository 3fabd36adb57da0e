package features

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/security"
	feat "github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/ui"
)

// Layout: a title line and a blank line, the list beside the details, then
// a blank line and two lines about pending changes.
const (
	headLines  = 2
	panelLines = 3
)

func (m *Model) listHeight() int {
	h := m.c.Height - headLines - panelLines
	if m.search.Active() {
		h--
	}
	return max(3, h)
}

// leftWidth is the list's width; the details take the rest.
func (m *Model) leftWidth() int {
	if m.c.Width < 100 {
		return m.c.Width/2 + 2
	}
	return min(56, m.c.Width*45/100)
}

func (m *Model) View() string {
	st := m.c.Styles
	switch {
	case !m.loaded:
		return st.Title.Render("Features") + "\n\nReading the host file" + m.c.Glyphs.Ellipsis
	case m.loadErr != nil:
		return m.errorView()
	}
	head := []string{m.titleLine(), ""}
	if line := m.search.View(m.c.Width); line != "" {
		head = []string{m.titleLine(), line}
	}
	body := st.Muted.Render("No feature matches the search. Esc clears it.")
	if m.feature() != nil {
		left := m.listView()
		sep := st.Muted.Render(strings.Repeat(m.c.Glyphs.Border.Left+"\n", m.listHeight()-1) + m.c.Glyphs.Border.Left)
		right := m.detailView(m.c.Width - m.leftWidth() - 2)
		body = lipgloss.JoinHorizontal(lipgloss.Top, left, sep, " ", right)
	}
	return strings.Join(append(head, body, "", m.pendingLine(), m.statusLine()), "\n")
}

func points(n int) string {
	if n == 1 {
		return "1 point"
	}
	return fmt.Sprintf("%d points", n)
}

func (m *Model) errorView() string {
	st := m.c.Styles
	para := lipgloss.NewStyle().Width(min(m.c.Width, 76))
	lines := []string{st.Title.Render("Features"), "", st.Danger.Render("The host file cannot be used"), "",
		para.Render(ui.Safe(m.loadErr.Error()))}
	if fix := fixOf(m.loadErr); fix != "" {
		lines = append(lines, "", st.Header.Render("How to fix it"), para.Render(fix))
	}
	lines = append(lines, "", para.Render(st.Muted.Render("hv never overwrites a host file it cannot read.")),
		"", st.Key.Render(m.c.KeyLabel(keys.Reload))+" read it again")
	return strings.Join(lines, "\n")
}

func fixOf(err error) string {
	var f interface{ Fix() string }
	if errors.As(err, &f) {
		return f.Fix()
	}
	return ""
}

func (m *Model) titleLine() string {
	st := m.c.Styles
	s := m.cat.Score(m.current.Enabled)
	sep := st.Muted.Render(" " + m.c.Glyphs.Sep + " ")
	line := st.Title.Render("Features") + sep + "phase " + st.Bold.Render(m.draft.Phase) + sep +
		fmt.Sprintf("risk %d, highest ", s.Total) + m.c.RiskBadge(s.Highest) + sep +
		fmt.Sprintf("%d on, %d hardening", s.Features, s.Hardening)
	return ansi.Truncate(line, m.c.Width, m.c.Glyphs.Ellipsis)
}

// listView draws the visible rows: headings with their category's points,
// then "▌±[x] Name  BADGE" per feature.
func (m *Model) listView() string {
	width := m.leftWidth()
	st := m.c.Styles
	score := m.cat.Score(m.current.Enabled)
	nameWidth := width - 8 - ui.RiskBadgeWidth // cursor, change, box, three spaces
	lines := make([]string, 0, m.listHeight())
	for i := m.offset; i < len(m.rows) && len(lines) < m.listHeight(); i++ {
		r := m.rows[i]
		if r.f == nil {
			cs := score.Category(r.category)
			head := strings.ToUpper(m.cat.CategoryName(r.category))
			info := fmt.Sprintf("%d on, %d pts", cs.Features, cs.Points)
			gap := max(1, width-lipgloss.Width(head)-lipgloss.Width(info)-1)
			lines = append(lines, st.Header.Render(head)+strings.Repeat(" ", gap)+st.Muted.Render(info)+" ")
			continue
		}
		change, box := m.marks(r.f.ID)
		name := ansi.Truncate(r.f.Name, nameWidth, m.c.Glyphs.Ellipsis)
		name += strings.Repeat(" ", max(0, nameWidth-lipgloss.Width(name)))
		// The cursor is a glyph as well as reverse video, for terminals without either.
		if i == m.cursor {
			lines = append(lines, st.Selected.Render(m.c.Glyphs.Cursor+change+box+" "+name+" "+ui.RiskLabel(r.f.Risk)+" "))
			continue
		}
		changeStyle := st.Success
		if change == "-" {
			changeStyle = st.Danger
		}
		lines = append(lines, " "+changeStyle.Render(change)+box+" "+name+" "+m.c.PaddedRiskBadge(r.f.Risk)+" ")
	}
	for len(lines) < m.listHeight() {
		lines = append(lines, "")
	}
	return lipgloss.NewStyle().Width(width).Render(strings.Join(lines, "\n"))
}

// marks are a feature's change against what the host runs (+, - or
// space) and its state box: [x] chosen, [+] required by another, [ ] off.
func (m *Model) marks(id string) (change, box string) {
	change = " "
	switch on, was := m.current.IsOn(id), m.applied.IsOn(id); {
	case on && !was:
		change = "+"
	case !on && was:
		change = "-"
	}
	switch {
	case m.current.IsSelected(id):
		box = "[x]"
	case m.current.IsOn(id):
		box = "[+]"
	default:
		box = "[ ]"
	}
	return change, box
}

func (m *Model) detailView(width int) string {
	out := strings.Split(m.details(m.feature(), width), "\n")
	if h := m.listHeight(); len(out) > h {
		out = append(out[:h-1], m.c.Styles.Muted.Render(ansi.Truncate(m.c.Glyphs.Ellipsis+" enter shows all", width, "")))
	}
	return strings.Join(out, "\n")
}

// details is everything about a feature, width columns wide: its state,
// what it does, its impact, what it requires and conflicts with, and the
// NixOS settings it turns on.
func (m *Model) details(f *feat.Feature, width int) string {
	st := m.c.Styles
	para := lipgloss.NewStyle().Width(width)
	badge := m.c.RiskBadge(f.Risk)
	head := st.Bold.Render(ansi.Truncate(f.Name, width-lipgloss.Width(badge)-1, m.c.Glyphs.Ellipsis))
	gap := max(1, width-lipgloss.Width(head)-lipgloss.Width(badge))
	sep := " " + m.c.Glyphs.Sep + " "
	lines := []string{
		head + strings.Repeat(" ", gap) + badge,
		st.Muted.Render(ansi.Truncate(f.ID+sep+m.cat.CategoryName(f.Category)+sep+points(m.cat.Points(f.Risk)), width, m.c.Glyphs.Ellipsis)),
		para.Render(m.stateText(f)),
		"",
		para.Render(f.Description),
		"",
		st.Header.Render("Security impact"),
		para.Render(f.Impact),
		"",
	}
	field := func(name, value string) {
		lines = append(lines, para.Render(st.Muted.Render(fmt.Sprintf("%-11s", name))+value))
	}
	if len(f.Requires) > 0 {
		field("Requires", strings.Join(f.Requires, ", "))
	}
	if by := m.cat.RequiredBy(f.ID); len(by) > 0 {
		field("Needed by", strings.Join(by, ", "))
	}
	if cs := m.cat.ConflictsOf(f.ID); len(cs) > 0 {
		field("Conflicts", strings.Join(cs, ", "))
	}
	if len(f.Phases) < len(m.cat.Phases()) {
		field("Phases", strings.Join(f.Phases, ", ")+" only")
	}
	if len(f.Needs) > 0 {
		field("Needs", m.needsText(f))
	}
	field("NixOS", strings.Join(f.Settings, ", "))
	if f.Caveat != "" {
		lines = append(lines, "", para.Render(st.Warning.Render("Caveat: ")+f.Caveat))
	}
	return strings.Join(lines, "\n")
}

// stateText says whether the feature is on, why, and what stands in the
// way of turning it on.
func (m *Model) stateText(f *feat.Feature) string {
	st := m.c.Styles
	switch {
	case m.current.IsSelected(f.ID):
		return st.Success.Render("On") + ": you chose it"
	case m.current.IsOn(f.ID):
		return st.Success.Render("On") + ": required by " + strings.Join(m.current.RequiredBy[f.ID], ", ")
	case !f.AllowedIn(m.draft.Phase):
		return st.Warning.Render("Off") + ": not allowed in the " + m.draft.Phase + " phase"
	}
	for _, other := range m.cat.ConflictsOf(f.ID) {
		if m.current.IsOn(other) {
			return st.Warning.Render("Off") + ": conflicts with " + other + ", which is on"
		}
	}
	return st.Muted.Render("Off")
}

// needsText lists the host-file settings a feature needs, with their values.
func (m *Model) needsText(f *feat.Feature) string {
	values := m.draft.Values()
	var parts []string
	for _, n := range f.Needs {
		v := lookupText(values, n)
		if v == "" {
			v = m.c.Styles.Warning.Render("not set")
		}
		parts = append(parts, n+" = "+v)
	}
	return strings.Join(parts, "; ")
}

// pendingLine lists what changes against what the host runs.
func (m *Model) pendingLine() string {
	st := m.c.Styles
	ch := m.cat.Diff(m.applied, m.current)
	if ch.Empty() {
		return st.Muted.Render("No changes: the host runs this selection.")
	}
	line := st.Header.Render("Changes") + " " + m.scoreLine(ch) + ": " + strings.Join(m.c.ChangeParts(ch), " ")
	return ansi.Truncate(line, m.c.Width, m.c.Glyphs.Ellipsis)
}

// scoreLine is "risk 14 → 20 (+6)".
func (m *Model) scoreLine(ch *feat.Change) string {
	a, b := ch.ScoreBefore.Total, ch.ScoreAfter.Total
	return fmt.Sprintf("risk %d %s %d (%+d)", a, m.c.RightArrow(), b, b-a)
}

// statusLine: the first problem, or what is unsaved, staged, applying,
// and how the last apply went.
func (m *Model) statusLine() string {
	st := m.c.Styles
	sep := st.Muted.Render(" " + m.c.Glyphs.Sep + " ")
	if n := len(m.check.Problems); n > 0 {
		line := st.Danger.Render(fmt.Sprintf("%d problem(s): ", n)) + ui.Safe(m.check.Problems[0].Message)
		return ansi.Truncate(line, m.c.Width, m.c.Glyphs.Ellipsis)
	}
	var parts []string
	if m.dirty() {
		parts = append(parts, st.Warning.Render("unsaved")+" (a stages, u undoes)")
	}
	switch {
	case m.watch.Running:
		parts = append(parts, st.Info.Render("applying"+m.c.Glyphs.Ellipsis))
	case m.state.StagedErr != nil:
		parts = append(parts, st.Danger.Render("staged file unreadable"))
	case m.state.HasStaged():
		parts = append(parts, "staged by "+ui.Safe(m.state.Staged.Meta.UpdatedBy)+", not applied")
	}
	switch r := m.state.Result; {
	case r == nil:
		parts = append(parts, st.Muted.Render("no apply yet"))
	case r.OK():
		parts = append(parts, st.Success.Render("last apply ok")+st.Muted.Render(" "+r.Finished))
	default:
		parts = append(parts, st.Danger.Render("last apply "+r.Status)+st.Muted.Render(" "+r.Finished+" (hv features status)"))
	}
	return ansi.Truncate(strings.Join(parts, sep), m.c.Width, m.c.Glyphs.Ellipsis)
}

// changeBody describes a change for a confirmation dialog.
func (m *Model) changeBody(ch *feat.Change, asked ...string) string {
	var lines []string
	if ch.Before.Phase != ch.After.Phase {
		lines = append(lines, "Phase "+ch.Before.Phase+" "+m.c.RightArrow()+" "+ch.After.Phase)
	}
	if p, ok := m.cat.Phase(ch.After.Phase); ok && ch.Before.Phase != ch.After.Phase {
		lines = append(lines, p.Description, "")
	}
	const most = 8
	var shown []string
	for _, l := range ch.Explain() {
		if id := strings.TrimSpace(strings.SplitN(l[2:], ":", 2)[0]); len(asked) == 1 && id == asked[0] {
			continue
		}
		shown = append(shown, "  "+l)
	}
	switch {
	case len(asked) == 1 && len(shown) > 0:
		lines = append(lines, "Also changes:")
	case len(shown) > most:
		lines = append(lines, fmt.Sprintf("Turns %d on and %d off:", len(ch.TurnedOn), len(ch.TurnedOff)))
	}
	if len(shown) > most {
		shown = append(shown[:most], fmt.Sprintf("  %s and %d more", m.c.Glyphs.Ellipsis, len(shown)-most))
	}
	lines = append(lines, shown...)
	if len(lines) > 0 {
		lines = append(lines, "")
	}
	lines = append(lines, m.scoreLine(ch)+m.categoryDelta(ch))
	if worst := riskiestTurnedOn(m.cat, ch); worst >= security.High {
		lines = append(lines, "Turns on "+worst.Label()+" risk: read the impact first.")
	}
	return strings.Join(lines, "\n")
}

func (m *Model) categoryDelta(ch *feat.Change) string {
	var parts []string
	for i, cs := range ch.ScoreAfter.ByCategory {
		if d := cs.Points - ch.ScoreBefore.ByCategory[i].Points; d != 0 {
			parts = append(parts, fmt.Sprintf("%s %+d", cs.Category, d))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}
