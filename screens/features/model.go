// Package features is the Features screen: the host features of the
// catalog by category, each with its risk, what it does and its security
// impact. Toggling shows everything else that changes and the risk score
// before and after; "apply" stages the host file and starts the apply
// service, whose result the screen then shows.
package features

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security"
	feat "github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
)

// Options wire the screen to a host.
type Options struct {
	Paths nix.Paths
	// Stage stages a change and starts its apply: the hv daemon's for
	// operators, a local hostchange.Stager for root and the demo.
	Stage hostchange.Func
	// Applies: the host has an apply service (the demo has none).
	Applies bool
	// Who is running hv: root may make changes operators may not.
	Who phase.Who
}

type (
	loadedMsg struct {
		id      int
		state   *nix.State
		working *nix.Host
		err     error
	}
	// plannedMsg carries a change the operator confirmed.
	plannedMsg struct {
		id int
		ch *feat.Change
	}
	stagedMsg struct {
		id      int
		summary string // the change staged, +id -id
		res     hostchange.Result
		since   time.Time // when staging began: the apply's result is newer
		err     error
	}
	presetChosenMsg struct {
		id     int
		preset string
	}
)

var lastID atomic.Int64

// row is a line of the list: a category heading or a feature.
type row struct {
	category string
	f        *feat.Feature
}

// Model is the Features screen.
type Model struct {
	c    *ui.Common
	opts Options
	cat  *feat.Catalog
	id   int

	loaded  bool
	loadErr error
	state   *nix.State
	base    *nix.Host // staged, or applied when nothing is staged
	draft   *nix.Host // base with the operator's unsaved changes
	// Resolutions: what runs, what the draft means, and the draft's full check.
	applied, current *feat.Resolution
	check            *feat.Resolution

	rows   []row // the categories and features the search shows
	cursor int   // index into rows, always on a feature
	offset int   // first list row on screen
	search *ui.Search

	watch *ui.ApplyWatch // the apply service, once started
}

// New returns the Features screen.
func New(c *ui.Common, opts Options) *Model {
	m := &Model{c: c, opts: opts, cat: feat.Builtin(), id: int(lastID.Add(1)), watch: ui.NewApplyWatch(c, opts.Paths.Result),
		search: ui.NewSearch(c, "search", "name, id or words of the description")}
	m.narrow()
	return m
}

// narrow lists the categories and the features the search matches, the
// cursor on the same feature when it is still shown.
func (m *Model) narrow() tea.Cmd {
	var was string
	if f := m.feature(); f != nil {
		was = f.ID
	}
	m.rows = m.rows[:0]
	for _, category := range m.cat.Categories() {
		head := len(m.rows)
		for _, f := range m.cat.InCategory(category.ID) {
			if m.search.Match(f.ID, f.Name, f.Description) {
				m.rows = append(m.rows, row{category: category.ID, f: f})
			}
		}
		if len(m.rows) > head {
			m.rows = slices.Insert(m.rows, head, row{category: category.ID})
		}
	}
	m.cursor, m.offset = 0, 0
	for i, r := range m.rows {
		if r.f != nil && (m.cursor == 0 || r.f.ID == was) {
			m.cursor = i
		}
	}
	if len(m.rows) > 0 {
		m.moveTo(m.cursor, true)
	}
	return nil
}

// feature is the feature under the cursor, or nil when the search shows none.
func (m *Model) feature() *feat.Feature {
	if m.cursor < len(m.rows) {
		return m.rows[m.cursor].f
	}
	return nil
}

func (m *Model) Title() string { return "Features" }

func (m *Model) Keys() ui.KeyMap {
	if m.search.Typing() {
		return ui.SearchHelp
	}
	return keys
}

func (m *Model) Capturing() bool { return m.search.Typing() }

func (m *Model) Help() string {
	return "Host features from the catalog hv shares with the NixOS module, by category, each with its risk. " +
		"[x] is on because you chose it, [+] because another feature requires it; + and - mark what changes against what the host runs. " +
		"Turning a feature on or off shows everything else that changes and the risk before and after. " +
		"Changes stay here until 'a' stages them and starts hyper-nixos-apply.service, which checks them as root, installs them and rebuilds; esc or u drops them. " +
		"The risk score adds minimal 0, low 1, medium 3, high 6, critical 10 per feature; hardening adds none."
}

// Esc clears the search, then undoes unsaved changes, before esc means
// back.
func (m *Model) Esc() bool {
	switch {
	case m.search.Clear():
		m.narrow()
	case m.dirty():
		m.setDraft(m.base)
	default:
		return false
	}
	return true
}

func (m *Model) Init() tea.Cmd { return m.load() }

func (m *Model) load() tea.Cmd {
	paths, id := m.opts.Paths, m.id
	return func() tea.Msg {
		st := nix.ReadState(paths)
		h, err := st.Working()
		return loadedMsg{id: id, state: st, working: h, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, done := m.watch.Update(msg); done != nil {
		return m.applyDone(done)
	} else if cmd != nil {
		return cmd
	}
	if cmd, ok := m.search.Handle(msg, m.narrow, m.key); ok { // keys and pastes
		return cmd
	}
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.id == m.id {
			m.loaded, m.state, m.loadErr = true, msg.state, msg.err
			if msg.err == nil {
				m.base = msg.working
				m.setDraft(msg.working)
			}
		}
	case plannedMsg:
		if msg.id == m.id {
			return m.accept(msg.ch)
		}
	case presetChosenMsg:
		if msg.id == m.id {
			return m.choosePreset(msg.preset)
		}
	case stagedMsg:
		if msg.id == m.id {
			return m.staged(msg)
		}
	case tea.KeyPressMsg:
		if m.loaded && m.loadErr == nil {
			return m.key(msg)
		}
		if key.Matches(msg, keys.Reload) {
			return m.load()
		}
	}
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, keys.Search) {
		return m.search.Open()
	}
	f := m.feature()
	if f == nil {
		return nil // the search shows nothing to act on
	}
	if c, ok := keys.Move(msg, m.cursor, len(m.rows), m.listHeight()); ok {
		m.moveTo(c, c >= m.cursor)
		if g := m.feature(); g != f {
			return ui.Signal("feature-selected", g.Risk.String())
		}
		return nil
	}
	switch {
	case key.Matches(msg, keys.Toggle):
		return m.toggle(f)
	case key.Matches(msg, keys.Details):
		return dialog(newDetails(m.c, m.details(f, min(72, m.c.Width-6))))
	case key.Matches(msg, keys.NextCat):
		m.jumpCategory(1)
		return ui.Signal("feature-selected", m.feature().Risk.String())
	case key.Matches(msg, keys.PrevCat):
		m.jumpCategory(-1)
		return ui.Signal("feature-selected", m.feature().Risk.String())
	case key.Matches(msg, keys.Phase):
		return m.switchPhase()
	case key.Matches(msg, keys.Presets):
		return m.openPresets()
	case key.Matches(msg, keys.Apply):
		return m.confirmApply()
	case key.Matches(msg, keys.Undo):
		if m.dirty() {
			m.setDraft(m.base)
			return ui.Status(ui.LevelInfo, "unsaved changes undone")
		}
	case key.Matches(msg, keys.Reload):
		if m.dirty() {
			return ui.Fail(&reloadError{})
		}
		return m.load()
	}
	return nil
}

type reloadError struct{}

func (*reloadError) Error() string { return "reloading would drop your unsaved changes" }
func (*reloadError) Fix() string {
	return "stage them with " + keys.Apply.Help().Key + ", or undo them with " + keys.Undo.Help().Key + ", first"
}

// moveTo puts the cursor on row i, skipping category headings in the
// direction of travel.
func (m *Model) moveTo(i int, down bool) {
	step := -1
	if down {
		step = 1
	}
	for i >= 0 && i < len(m.rows) && m.rows[i].f == nil {
		i += step
	}
	if i < 0 || i >= len(m.rows) {
		for i = m.cursor; m.rows[i].f == nil; i++ {
		}
	}
	m.cursor = i
	m.scroll()
}

func (m *Model) jumpCategory(dir int) {
	var cats []string // those shown
	for _, r := range m.rows {
		if r.f == nil {
			cats = append(cats, r.category)
		}
	}
	cur := slices.Index(cats, m.rows[m.cursor].category)
	next := cats[(cur+dir+len(cats))%len(cats)]
	for i, r := range m.rows {
		if r.f != nil && r.category == next {
			m.cursor = i
			m.offset = i - 1 // the heading on top
			break
		}
	}
	m.scroll()
}

// scroll keeps the cursor, and the heading above it, on screen.
func (m *Model) scroll() {
	h := m.listHeight()
	top := m.cursor
	if top > 0 && m.rows[top-1].f == nil {
		top--
	}
	if top < m.offset {
		m.offset = top
	}
	if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	m.offset = max(0, min(m.offset, len(m.rows)-h))
}

// setDraft makes h the draft and recomputes everything derived from it.
func (m *Model) setDraft(h *nix.Host) {
	copied := *h
	copied.Features = slices.Clone(h.Features)
	m.draft = &copied
	m.current = m.cat.Resolve(m.draft.Features, m.draft.Phase)
	m.check = m.cat.CheckHost(m.draft)
	if m.state != nil && m.state.Applied != nil {
		m.applied = m.cat.Resolve(m.state.Applied.Features, m.state.Applied.Phase)
	} else {
		m.applied = m.cat.Resolve(nil, m.draft.Phase)
	}
}

// running is the host file the system runs, or what a host without one
// runs as.
func (m *Model) running() *nix.Host {
	if m.state != nil && m.state.Applied != nil {
		return m.state.Applied
	}
	return nix.NewHost(string(phase.Setup), []string{})
}

// dirty reports unsaved changes: the draft differs from what was loaded.
func (m *Model) dirty() bool {
	return m.draft != nil && (m.draft.Phase != m.base.Phase || !slices.Equal(sortedCopy(m.draft.Features), sortedCopy(m.base.Features)))
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return slices.Compact(c)
}

// accept applies a confirmed change to the draft.
func (m *Model) accept(ch *feat.Change) tea.Cmd {
	next, _ := m.cat.Stage(m.draft, ch)
	m.setDraft(next)
	return toggled(ch)
}

// toggled tells the tutorials which features a change turned on or off.
func toggled(ch *feat.Change) tea.Cmd {
	var cmds []tea.Cmd
	for _, id := range append(slices.Clone(ch.TurnedOn), ch.TurnedOff...) {
		cmds = append(cmds, ui.Signal("feature-toggled", id))
	}
	return tea.Batch(cmds...)
}

// plan offers a change: refused with the reason when it leaves problems
// the draft did not have, applied at once when it touches only the asked
// feature, confirmed first when it changes others or is risky.
func (m *Model) plan(ch *feat.Change, title string, asked ...string) tea.Cmd {
	next, check := m.cat.Stage(m.draft, ch)
	if added := newProblems(m.check.Problems, check.Problems); len(added) > 0 {
		return ui.Fail(&refusal{problems: added})
	}
	// What the apply service would refuse (the phase, what only root
	// may) is refused now, with the reason.
	before, after := m.cat.CheckChange(m.running(), m.draft, m.opts.Who), m.cat.CheckChange(m.running(), next, m.opts.Who)
	if added := newProblems(before, after); len(added) > 0 {
		return ui.Fail(&refusal{problems: added})
	}
	if ch.Empty() {
		return ui.Status(ui.LevelInfo, "nothing changes")
	}
	confirmed := func() tea.Msg { return plannedMsg{id: m.id, ch: ch} }
	others := ch.Others(asked...)
	rule, name := hostchange.Question(m.cat, m.draft, next, m.opts.Who)
	if len(others) == 0 && rule.Ask == phase.NoQuestion && ch.Before.Phase == ch.After.Phase {
		m.setDraft(next)
		return tea.Batch(ui.Status(ui.LevelInfo, m.scoreLine(ch)), toggled(ch))
	}
	body := m.changeBody(ch, asked...)
	if rule.Ask == phase.TypeName {
		return dialog(ui.NewTypeName(m.c, title, body+"\n\n"+m.criticalWarning(name), name, confirmed).Audited("feature.change", ch.Summary()))
	}
	return dialog(ui.NewConfirm(m.c, title, body, rule.Ask != phase.NoQuestion, confirmed).Audited("feature.change", ch.Summary()))
}

func dialog(d ui.Dialog) tea.Cmd {
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: d} }
}

func (m *Model) criticalWarning(id string) string {
	f, _ := m.cat.Feature(id)
	return "CRITICAL: " + f.Impact
}

// newProblems are the problems in after that before did not have.
func newProblems(before, after []feat.Problem) []feat.Problem {
	var out []feat.Problem
	for _, p := range after {
		if !slices.ContainsFunc(before, func(q feat.Problem) bool { return q.Message == p.Message }) {
			out = append(out, p)
		}
	}
	return out
}

// refusal is a change that would break a rule, with the first reason.
type refusal struct{ problems []feat.Problem }

func (r *refusal) Error() string {
	msg := r.problems[0].Message
	if n := len(r.problems) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return msg
}

func (r *refusal) Fix() string {
	switch r.problems[0].Kind {
	case feat.Conflicting:
		return "turn the other one off first"
	case feat.PhaseRefused, feat.PhaseForbidden:
		return "not in this phase"
	case feat.RootOnly:
		return "ask root (hv doctor lists what needs root and why)"
	case feat.MissingSetting, feat.InvalidSetting:
		return "set it in the host file first"
	}
	return ""
}

func riskiestTurnedOn(c *feat.Catalog, ch *feat.Change) security.Risk {
	worst := security.Minimal
	for _, id := range ch.TurnedOn {
		if f, ok := c.Feature(id); ok {
			worst = max(worst, f.Risk)
		}
	}
	return worst
}

func (m *Model) toggle(f *feat.Feature) tea.Cmd {
	verb := "Turn on "
	if m.current.IsOn(f.ID) {
		verb = "Turn off "
	}
	return m.plan(m.cat.Toggle(m.current, f.ID), verb+f.Name+"?", f.ID)
}

func (m *Model) switchPhase() tea.Cmd {
	phases := m.cat.Phases()
	cur := slices.IndexFunc(phases, func(p feat.Phase) bool { return p.ID == m.draft.Phase })
	next := phases[(cur+1)%len(phases)]
	return m.plan(m.cat.WithPhase(m.current, next.ID), "Move to the "+next.Name+" phase?")
}

func (m *Model) openPresets() tea.Cmd {
	id := m.id
	return dialog(newPresetPicker(m.c, m.cat, func(preset string) tea.Msg { return presetChosenMsg{id: id, preset: preset} }))
}

func (m *Model) choosePreset(id string) tea.Cmd {
	ch, err := m.cat.ApplyPreset(m.current, id)
	if err != nil {
		return ui.Fail(err)
	}
	p, _ := m.cat.Preset(id)
	return m.plan(ch, "Use the "+p.Name+" preset?")
}
