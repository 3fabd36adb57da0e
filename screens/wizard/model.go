// Package wizard is the setup wizard: a first-boot walk through the host
// checks (CPU virtualisation, IOMMU, KVM, libvirt, disk), the operators,
// the network, the storage location, a feature preset reviewed with its
// risk, and the security phase; then the host file it makes, shown as a
// diff, is staged and applied like the Features screen does. Back and
// forward between steps; every answer checked as it is typed with the
// reason shown; progress saved after each step, so an interrupted wizard
// resumes where it stopped.
package wizard

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/access"
	feat "github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/security/hostcheck"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// Options wire the wizard to a host.
type Options struct {
	Paths nix.Paths
	// Stage stages the host file and starts its apply: the hv daemon's
	// for operators, a local hostchange.Stager for root and the demo.
	Stage hostchange.Func
	// Applies: the host has an apply service (the demo has none).
	Applies bool
	// Who is running hv: only root may choose the operators.
	Who phase.Who
	// Diagnose checks the host and the user's access (it probes libvirt,
	// so cmd provides it); nil: the checks say hv cannot check from here.
	Diagnose func(ctx context.Context) (*access.Report, error)
	// Host are the files the wizard reads for its choices (interfaces,
	// users) and the disk check.
	Host hostcheck.Paths
	// Progress is where answers are saved between steps; "" saves nothing.
	Progress string
	// VerifyAudit checks the trail before hardening (the daemon's, for
	// operators, who cannot read it); nil: not checked.
	VerifyAudit func(ctx context.Context) (int, error)
}

// The steps, in order.
const (
	stepWelcome   = "welcome"
	stepChecks    = "checks"
	stepOperators = "operators"
	stepNetwork   = "network"
	stepStorage   = "storage"
	stepPreset    = "preset"
	stepReview    = "review"
	stepPhase     = "phase"
	stepSummary   = "summary"
)

var steps = []struct{ id, title string }{
	{stepWelcome, "Welcome"},
	{stepChecks, "Host checks"},
	{stepOperators, "Operators"},
	{stepNetwork, "Network"},
	{stepStorage, "Storage"},
	{stepPreset, "Feature preset"},
	{stepReview, "Review the risk"},
	{stepPhase, "Security phase"},
	{stepSummary, "Summary"},
}

func stepIndex(id string) int {
	return slices.IndexFunc(steps, func(s struct{ id, title string }) bool { return s.id == id })
}

type (
	loadedMsg struct {
		id       int
		state    *nix.State
		base     *nix.Host
		baseErr  error
		fresh    bool
		progress *progress
		progErr  error
		ifaces   []hostcheck.Interface
		nets     []vm.Network // libvirt's networks, for the NAT subnet
		users    map[string]bool
		auditN   int
		auditErr error
	}
	reportMsg struct {
		id     int
		report *access.Report
		err    error
	}
	diskMsg struct {
		id    int
		dir   string
		check hostcheck.Check
	}
	savedMsg struct {
		id  int
		err error
	}
	stagedMsg struct {
		id    int
		res   hostchange.Result
		since time.Time // when staging began: the apply's result is newer
		err   error
	}
	// startOverMsg: the operator confirmed forgetting every answer.
	startOverMsg struct{ id int }
)

var lastID atomic.Int64

// Model is the setup wizard.
type Model struct {
	c    *ui.Common
	opts Options
	cat  *feat.Catalog
	id   int

	loaded  bool
	state   *nix.State
	base    *nix.Host // the file the wizard starts from: staged, applied, or a new host's
	fresh   bool      // this host has no host file yet
	baseErr error     // why the host file could not be read, if it exists
	resumed string    // the step an interrupted wizard resumed at
	note    string    // a message about the progress (unreadable, not saved)

	answers Answers
	step    int
	fields  map[string][]*field
	focus   int // index among the step's visible fields
	scroll  int // first line of a long step's body
	stepErr string

	report    *access.Report
	reportErr error
	checking  bool
	ifaces    []hostcheck.Interface
	nets      []vm.Network
	users     map[string]bool
	disk      hostcheck.Check
	diskFor   string
	auditN    int
	auditErr  error

	// After the summary: staging, then the apply service and its result.
	writing  bool
	staged   bool
	writeErr error
	watch    *ui.ApplyWatch
	result   *nix.ApplyResult
}

// New returns the wizard.
func New(c *ui.Common, opts Options) *Model {
	return &Model{c: c, opts: opts, cat: feat.Builtin(), id: int(lastID.Add(1)), watch: ui.NewApplyWatch(c, opts.Paths.Result)}
}

func (m *Model) Title() string   { return "Setup wizard" }
func (m *Model) Keys() ui.KeyMap { return keyMapFor(m) }

func (m *Model) Help() string {
	return "The wizard walks through the host checks, the operators, the network, the storage location, a feature preset, " +
		"its risk and the security phase, then shows the host file it will write as a diff. enter goes on, esc goes back; " +
		"every answer is checked as you type. Answers are saved after each step: leave and come back later."
}

// Capturing: while a text field has the focus, keys are typed into it.
func (m *Model) Capturing() bool {
	f := m.focused()
	return f != nil && f.typing()
}

// Esc goes back a step; on the first step esc leaves the wizard.
func (m *Model) Esc() bool {
	if m.step == 0 || m.writing || m.watch.Running {
		return false
	}
	m.goTo(m.step - 1)
	return true
}

func (m *Model) Init() tea.Cmd { return tea.Batch(m.load(), m.diagnose()) }

// load reads the host contract, the saved progress, and what the steps
// offer to choose from, in one command.
func (m *Model) load() tea.Cmd {
	o, id, hv := m.opts, m.id, m.c.HV
	return func() tea.Msg {
		msg := loadedMsg{id: id, state: nix.ReadState(o.Paths)}
		h, err := msg.state.Working()
		if err != nil {
			// No host file yet; or one hv cannot read, which is never
			// overwritten: start from a new one, and say so.
			h, msg.fresh = nix.NewHost(string(phase.Setup), []string{}), true
			if !errors.Is(err, nix.ErrNoHostFile) {
				msg.baseErr = err
			}
		}
		msg.base = h
		msg.progress, msg.progErr = loadProgress(o.Progress)
		msg.ifaces, _ = hostcheck.Interfaces(o.Host.Net)
		msg.users, _ = hostcheck.Users(o.Host.Passwd)
		if hv != nil { // the first-boot wizard may run before libvirt does
			ctx, cancel := m.c.Context()
			msg.nets, _ = hv.Networks(ctx)
			cancel()
		}
		if o.VerifyAudit != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			msg.auditN, msg.auditErr = o.VerifyAudit(ctx)
			cancel()
		}
		return msg
	}
}

func (m *Model) diagnose() tea.Cmd {
	if m.opts.Diagnose == nil {
		return nil
	}
	m.checking = true
	d, id := m.opts.Diagnose, m.id
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, err := d(ctx)
		return reportMsg{id: id, report: r, err: err}
	}
}

func (m *Model) measureDisk(dir string) tea.Cmd {
	if dir == m.diskFor || dir == "" {
		return nil
	}
	m.diskFor = dir
	id := m.id
	return func() tea.Msg { return diskMsg{id: id, dir: dir, check: hostcheck.Disk(dir)} }
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, done := m.watch.Update(msg); done != nil {
		return m.applyDone(done)
	} else if cmd != nil {
		return cmd
	}
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.id == m.id {
			return m.loadedFrom(msg)
		}
	case reportMsg:
		if msg.id == m.id {
			m.report, m.reportErr, m.checking = msg.report, msg.err, false
		}
	case diskMsg:
		if msg.id == m.id && msg.dir == m.diskFor {
			m.disk = msg.check
		}
	case savedMsg:
		if msg.id == m.id && msg.err != nil {
			m.note = "your answers could not be saved (" + msg.err.Error() + "): an interruption would lose them"
		}
	case stagedMsg:
		if msg.id == m.id {
			return m.stagedDone(msg)
		}
	case startOverMsg:
		if msg.id == m.id {
			return m.startOver()
		}
	case tea.KeyPressMsg:
		if m.loaded {
			return m.key(msg)
		}
	case tea.PasteMsg:
		if f := m.focused(); f != nil && f.typing() {
			return m.fieldChanged(f.update(msg))
		}
	}
	return nil
}

func (m *Model) loadedFrom(msg loadedMsg) tea.Cmd {
	m.loaded, m.state, m.base, m.fresh, m.baseErr = true, msg.state, msg.base, msg.fresh, msg.baseErr
	m.ifaces, m.nets, m.users, m.auditN, m.auditErr = msg.ifaces, msg.nets, msg.users, msg.auditN, msg.auditErr
	m.answers = defaults(m.base, m.fresh)
	m.answers.Level = m.c.Level.String()
	switch {
	case msg.progErr != nil:
		m.note = msg.progErr.Error()
	case msg.progress != nil:
		m.answers = msg.progress.Answers
		if i := stepIndex(msg.progress.Step); i > 0 {
			m.step, m.resumed = i, msg.progress.Step
			m.note = "Resumed where you left off, with your answers (" + keys.StartOver.Help().Key + " begins again)."
		}
	}
	m.buildFields()
	m.enterStep()
	return m.measureDisk(m.answers.ImagesDir)
}

// focused is the field with the focus on this step, if any.
func (m *Model) focused() *field {
	vis := m.visibleFields()
	if m.focus < 0 || m.focus >= len(vis) {
		return nil
	}
	return vis[m.focus]
}

func (m *Model) visibleFields() []*field {
	var out []*field
	for _, f := range m.fields[steps[m.step].id] {
		if f.visible() {
			out = append(out, f)
		}
	}
	return out
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if m.watch.Running || m.writing {
		return nil
	}
	if key.Matches(msg, keys.StartOver) && !m.staged {
		id := m.id
		d := ui.NewConfirm(m.c, "Begin again?", "Every answer given so far is forgotten, the saved ones too, and the wizard "+
			"starts again at its first step with the values the host file has.", true, func() tea.Msg { return startOverMsg{id} })
		return func() tea.Msg { return ui.OpenDialogMsg{Dialog: d} }
	}
	// While a field has the keys, the app hands esc here too: still back.
	if key.Matches(msg, keys.Back) && m.Capturing() {
		if !m.Esc() {
			return func() tea.Msg { return ui.BackMsg{} }
		}
		return nil
	}
	if m.staged {
		if key.Matches(msg, keys.Next) {
			return ui.Navigate("home", "")
		}
		return m.scrollKey(msg)
	}
	vis := m.visibleFields()
	switch {
	case key.Matches(msg, keys.Next):
		return m.next()
	case key.Matches(msg, keys.NextField) && len(vis) > 1:
		m.setFocus(m.focus + 1)
		return nil
	case key.Matches(msg, keys.PrevField) && len(vis) > 1:
		m.setFocus(m.focus - 1)
		return nil
	case key.Matches(msg, keys.Recheck) && steps[m.step].id == stepChecks:
		m.diskFor = ""
		return tea.Batch(m.diagnose(), m.measureDisk(m.answers.ImagesDir))
	}
	if f := m.focused(); f != nil {
		if changed, cmd := f.update(msg); changed || cmd != nil {
			return tea.Batch(m.fieldChanged(changed, cmd))
		}
	}
	return m.scrollKey(msg)
}

func (m *Model) scrollKey(msg tea.KeyPressMsg) tea.Cmd {
	if s, ok := keys.Scroll.Move(msg, m.scroll, 1<<20, max(m.bodyHeight()-1, 1)); ok {
		m.scroll = s
	}
	return nil
}

// fieldChanged copies the fields into the answers after a change.
func (m *Model) fieldChanged(changed bool, cmd tea.Cmd) tea.Cmd {
	if !changed {
		return cmd
	}
	m.stepErr = ""
	m.readFields()
	return tea.Batch(cmd, m.measureDisk(m.answers.ImagesDir))
}

func (m *Model) setFocus(i int) {
	vis := m.visibleFields()
	if len(vis) == 0 {
		return
	}
	if f := m.focused(); f != nil {
		f.blur()
	}
	m.focus = (i + len(vis)) % len(vis)
	vis[m.focus].focus()
}

// goTo moves to step i, keeping the answers.
func (m *Model) goTo(i int) {
	m.readFields()
	m.step, m.scroll, m.stepErr, m.note = i, 0, "", ""
	m.enterStep()
}

// enterStep prepares the step: the phase follows the preset until chosen,
// and the first editable field takes the focus.
func (m *Model) enterStep() {
	if steps[m.step].id == stepPhase && m.answers.Phase == "" {
		m.answers.Phase = m.answers.PresetPhase(m.cat)
		if m.answers.Phase == "" {
			m.answers.Phase = string(phase.Setup)
		}
		m.fields[stepPhase][0].input.SetValue(m.answers.Phase)
	}
	m.focus = 0
	for i, f := range m.visibleFields() {
		if f.locked == "" {
			m.focus = i
			break
		}
	}
	m.setFocus(m.focus)
}

// next checks the step and moves on, saving the answers.
func (m *Model) next() tea.Cmd {
	m.readFields()
	id := steps[m.step].id
	if why := m.blocked(); why != "" {
		m.stepErr = why
		return nil
	}
	if id == stepSummary {
		return m.write()
	}
	cmds := []tea.Cmd{ui.Signal("wizard-step", id)}
	switch id {
	case stepWelcome:
		if l, err := help.ParseLevel(m.answers.Level); err == nil && l != m.c.Level {
			cmds = append(cmds, func() tea.Msg { return ui.SetLevelMsg{Level: l} })
		}
	case stepPreset:
		// A new preset suggests its own phase.
		m.answers.Phase = ""
	}
	m.goTo(m.step + 1)
	cmds = append(cmds, m.save())
	return tea.Batch(cmds...)
}

func (m *Model) save() tea.Cmd {
	path, p, id := m.opts.Progress, progress{Version: progressVersion, Step: steps[m.step].id, Answers: m.answers}, m.id
	return func() tea.Msg { return savedMsg{id: id, err: saveProgress(path, p)} }
}

// startOver forgets the answers and the saved progress.
func (m *Model) startOver() tea.Cmd {
	if m.staged {
		return nil
	}
	m.answers = defaults(m.base, m.fresh)
	m.answers.Level = m.c.Level.String()
	m.resumed, m.note = "", ""
	m.buildFields()
	m.step = 0
	m.goTo(0)
	path := m.opts.Progress
	return tea.Batch(func() tea.Msg {
		if path != "" {
			os.Remove(path)
		}
		return nil
	}, ui.Status(ui.LevelInfo, "starting over: the saved answers are forgotten"))
}

// draft is the host file the answers make.
func (m *Model) draft() *nix.Host {
	a := m.answers
	if a.Phase == "" {
		a.Phase = a.PresetPhase(m.cat)
		if a.Phase == "" {
			a.Phase = m.base.Phase
		}
	}
	return a.Host(m.cat, m.base)
}

// running is the host file the system runs, or a new host's.
func (m *Model) running() *nix.Host {
	if m.state != nil && m.state.Applied != nil {
		return m.state.Applied
	}
	return nix.NewHost(string(phase.Setup), []string{})
}

// hardenChecks are the pre-checks of the hardened phase for the draft.
func (m *Model) hardenChecks() []phase.Check {
	f := m.cat.HardenFacts(m.draft())
	f.AuditPath, f.AuditEntries, f.AuditErr = "the audit trail", m.auditN, m.auditErr
	if m.opts.VerifyAudit == nil {
		f.AuditErr = errors.New("no audit trail to verify here")
	}
	return phase.HardenChecks(f)
}
