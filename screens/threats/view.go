package threats

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/security/threat/monitor"
	"github.com/hyper-nixos/hv/security/threat/response"
	"github.com/hyper-nixos/hv/ui"
)

var sevLabel = [...]string{"INFO", "LOW", "MED", "HIGH", "CRIT"}

func (m *Model) sevStyle(s threat.Severity) lipgloss.Style {
	st := m.c.Styles
	switch s {
	case threat.Critical, threat.High:
		return st.Danger
	case threat.Medium:
		return st.Warning
	case threat.Low:
		return st.Info
	}
	return st.Muted
}

func (m *Model) View() string {
	st := m.c.Styles
	w := m.c.Width
	if m.err != nil && !m.loaded {
		return st.Title.Render("Threats") + "\n\n" + st.Danger.Render("Threat detection is not available: ") + ui.Safe(m.err.Error())
	}
	if !m.loaded {
		return st.Title.Render("Threats") + "\n\n" + st.Muted.Render("starting detection...")
	}
	var parts []string
	parts = append(parts, m.header(), m.counts())
	if len(m.snap.Feeds) > 0 {
		parts = append(parts, m.feedsLine())
	}
	if m.details {
		parts = append(parts, m.detailView(m.c.Height-len(parts)))
	} else {
		parts = append(parts, m.panels())
		parts = append(parts, m.list(m.c.Height-lipgloss.Height(strings.Join(parts, "\n"))))
	}
	return lipgloss.NewStyle().MaxWidth(w).Render(strings.Join(parts, "\n"))
}

// header says where the findings come from.
func (m *Model) header() string {
	st := m.c.Styles
	mode := map[string]string{"daemon": "monitor service", "in-process": "in this session", "demo": "demo"}[m.feed.Mode()]
	line := st.Title.Render("Threats") + "  " + st.Bold.Render(mode) + "  " + st.Muted.Render(m.feed.Describe())
	return truncate(line, m.c.Width)
}

func (m *Model) counts() string {
	st := m.c.Styles
	var b strings.Builder
	for s := threat.Critical; s >= threat.Low; s-- {
		b.WriteString(m.sevStyle(s).Render(fmt.Sprintf("%s %d", sevLabel[s], m.snap.Counts[s])) + "  ")
	}
	tl := m.c.Sparkline(toFloats(m.snap.Timeline), len(m.snap.Timeline), 0)
	b.WriteString(st.Muted.Render("30 min ") + tl)
	return truncate(b.String(), m.c.Width)
}

// feedsLine shows the downloaded blocklists and their age.
func (m *Model) feedsLine() string {
	st := m.c.Styles
	var b strings.Builder
	b.WriteString(st.Muted.Render("Blocklists: "))
	for i, f := range m.snap.Feeds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(fmt.Sprintf("%s %d (%s)", ui.Safe(f.Name), f.Entries, f.Age(m.c.Now())))
		if f.Err != "" {
			b.WriteString(st.Warning.Render(" last download failed"))
		}
	}
	return truncate(b.String(), m.c.Width)
}

func toFloats(xs []int) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// panels are top sources, top targets and VM anomalies side by side (or
// the first two on a narrow screen).
func (m *Model) panels() string {
	st := m.c.Styles
	rows := 4
	if m.c.Height >= 30 {
		rows = 8
	}
	cols := 3
	if m.c.Width < 100 {
		cols = 2
	}
	colW := (m.c.Width - (cols - 1)) / cols
	render := func(title string, lines []string) string {
		out := []string{st.Header.Render(title)}
		for i := 0; i < rows; i++ {
			l := ""
			if i < len(lines) {
				l = lines[i]
			}
			out = append(out, truncate(l, colW))
		}
		return lipgloss.NewStyle().Width(colW).Render(strings.Join(out, "\n"))
	}
	var srcs, tgts []string
	for _, c := range m.snap.Sources {
		srcs = append(srcs, fmt.Sprintf("%5d %s", c.N, ui.Safe(c.Value)))
	}
	for _, c := range m.snap.Targets {
		tgts = append(tgts, fmt.Sprintf("%5d %s", c.N, ui.Safe(c.Value)))
	}
	blocks := []string{render("Top sources", srcs), " ", render("Top targets", tgts)}
	spark := render("VM anomalies", m.sparkLines(colW))
	if cols == 3 {
		blocks = append(blocks, " ", spark)
		return lipgloss.JoinHorizontal(lipgloss.Top, blocks...)
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, blocks...) + "\n" + m.sparkRow()
}

// sparkLines are one line per VM metric: name, metric, sparkline, and !
// when the metric is outside its baseline.
func (m *Model) sparkLines(width int) []string {
	st := m.c.Styles
	var out []string
	alerting := func(sp monitor.Spark) bool { return sp.Alerting }
	// Alerting metrics first: they are why one looks.
	for _, pass := range []bool{true, false} {
		for _, sp := range m.snap.Sparks {
			if alerting(sp) != pass {
				continue
			}
			name := truncate(ui.Safe(sp.VM), 10)
			label := fmt.Sprintf("%-10s %-4s ", name, short(sp.Metric.String()))
			sw := max(width-lipgloss.Width(label)-2, 4)
			line := label + m.c.Sparkline(sp.Values, sw, 0)
			if sp.Alerting {
				line = st.Danger.Render(line + " !")
			}
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		why := "no VM metrics yet"
		if m.snap.SparksErr != "" {
			why = m.snap.SparksErr
		}
		out = append(out, st.Muted.Render(why))
	}
	return out
}

func short(metric string) string {
	return map[string]string{"cpu": "cpu", "net-tx": "tx", "disk-write": "wr"}[metric]
}

// sparkRow is the anomaly summary on narrow screens: the alerting ones.
func (m *Model) sparkRow() string {
	lines := m.sparkLines(m.c.Width)
	if len(lines) > 2 {
		lines = lines[:2]
	}
	return m.c.Styles.Header.Render("VM anomalies") + "\n" + strings.Join(lines, "\n")
}

func (m *Model) listHeight() int { return max(m.c.Height-12, 3) }

// list shows findings, newest first, the cursor's one highlighted.
func (m *Model) list(height int) string {
	st := m.c.Styles
	height = max(height-1, 1)
	order := "most severe first"
	if m.newest {
		order = "newest first"
	}
	filter := ""
	if m.minSev > threat.Low {
		filter = ", " + m.minSev.String() + " and above"
	}
	title := st.Header.Render(fmt.Sprintf("Findings (%d%s, %s)", len(m.snap.Recent), filter, order))
	if line := m.search.View(m.c.Width); line != "" {
		title += "\n" + line
		height = max(height-1, 1)
	}
	switch {
	case len(m.snap.Recent) == 0 && m.search.Query() != "":
		return title + "\n" + st.Muted.Render("no finding matches the search; esc clears it")
	case len(m.snap.Recent) == 0:
		return title + "\n" + st.Muted.Render("nothing found yet")
	}
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+height {
		m.offset = m.cursor - height + 1
	}
	lines := []string{title}
	for i := m.offset; i < len(m.snap.Recent) && i < m.offset+height; i++ {
		lines = append(lines, m.row(i))
	}
	return strings.Join(lines, "\n")
}

func (m *Model) row(i int) string {
	st := m.c.Styles
	f := m.snap.Recent[i]
	state := " "
	switch f.State {
	case threat.Acknowledged:
		state = "a"
	case threat.Resolved:
		state = "r"
	}
	who := whoOf(f)
	text := fmt.Sprintf("%s %s %-4s %s", f.Time.Format("15:04:05"), state, sevLabel[f.Severity], ui.Safe(f.Title))
	if who != "" {
		text += "  " + who
	}
	text = truncate(text, m.c.Width-1)
	if i == m.cursor {
		return st.Selected.Render(m.c.Glyphs.Cursor + text)
	}
	return " " + m.sevStyle(f.Severity).Render(text[:min(len(text), 14)]) + text[min(len(text), 14):]
}

// whoOf names a finding's source and target, made safe to draw.
func whoOf(f threat.Finding) string {
	var parts []string
	for _, kv := range [][2]string{{"ip", f.IP}, {"user", f.User}, {"vm", f.VM}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+ui.Safe(kv[1]))
		}
	}
	return strings.Join(parts, " ")
}

// detailView shows everything known about the selected finding.
func (m *Model) detailView(height int) string {
	st := m.c.Styles
	f, ok := m.current()
	if !ok {
		return ""
	}
	w := m.c.Width
	field := func(name, v string) string {
		if v == "" {
			return ""
		}
		return st.Bold.Render(fmt.Sprintf("%-9s", name)) + " " + v
	}
	state := string(f.State)
	if state == "" {
		state = string(threat.Open)
	}
	lines := []string{
		"",
		m.sevStyle(f.Severity).Render(sevLabel[f.Severity]) + "  " + st.Title.Render(ui.Safe(f.Title)),
		field("rule", f.Rule+"  ("+string(f.Kind)+")"),
		field("when", f.Time.Format("2006-01-02 15:04:05")),
		field("state", state),
		field("who", whoOf(f)),
		field("service", ui.Safe(f.Service)),
		field("ATT&CK", f.MITRE),
		field("tags", strings.Join(f.Tags, ", ")),
		field("intel", ui.Safe(f.Intel)),
		field("source", sourceOf(f)),
	}
	if f.Kind == threat.KindThreshold {
		lines = append(lines, field("count", fmt.Sprint(f.Count)))
	}
	var out []string
	for _, l := range lines {
		if l != "" || len(out) == 0 {
			out = append(out, l)
		}
	}
	out = append(out, st.Bold.Render("evidence"), lipgloss.NewStyle().Width(max(w-2, 10)).Render(ui.Safe(f.Evidence)))
	if acts := m.actionsOn(f); len(acts) > 0 {
		out = append(out, st.Bold.Render("actions"))
		for _, a := range acts {
			line := fmt.Sprintf("%s  %s %s: %s", a.Time.Format("15:04:05"), a.Action, ui.Safe(a.Target), ui.Safe(a.Result))
			switch {
			case a.Undone:
				line += "  (undone)"
			case response.Undoable(a):
				line += "  (u undoes it)"
			}
			out = append(out, truncate(line, max(w-2, 10)))
		}
	}
	if pbs := m.feed.Playbooks(f); len(pbs) > 0 {
		var names []string
		for _, p := range pbs {
			names = append(names, p.Action)
		}
		out = append(out, "", st.Muted.Render("p runs a playbook: "+strings.Join(dedupe(names), ", ")))
	}
	out = append(out, st.Muted.Render("a acknowledge "+m.c.Glyphs.Sep+" x resolve "+m.c.Glyphs.Sep+" o reopen "+m.c.Glyphs.Sep+" esc back to the list"))
	if len(out) > height {
		out = out[:height]
	}
	return strings.Join(out, "\n")
}

func sourceOf(f threat.Finding) string {
	if f.Source == "" {
		return ""
	}
	s := ui.Safe(f.Source)
	if f.Line > 0 {
		s += fmt.Sprintf(":%d", f.Line)
	}
	return s
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
