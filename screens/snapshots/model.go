// Package snapshots is the snapshot tree of one VM: take, revert to and
// delete snapshots, with the impact said before anything is lost, and an
// explained alternative when a kind of snapshot is not supported.
package snapshots

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

type keyMap struct {
	ui.ListKeys
	Details, Take, Revert, Delete, Reload, Actions, Search key.Binding
	actions                                                ui.Actions // of the current selection
}

var keys = keyMap{
	ListKeys: ui.DefaultListKeys,
	Details:  ui.Bind(ui.Verbs.Open, "details"),
	Take:     ui.Bind(ui.Verbs.New, "take a snapshot"),
	Revert:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "revert to it")),
	Delete:   ui.Bind(ui.Verbs.Delete, "delete it"),
	Reload:   ui.Verbs.Reload,
	Actions:  ui.Verbs.Actions,
	Search:   ui.Verbs.Search,
}

func (k keyMap) ShortHelp() []key.Binding {
	return append(k.actions.Short(), k.Details, k.Search)
}

func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom, k.Details, k.Search, k.Reload}, append(k.actions.Full(), k.Actions)}
}

// Risks of the snapshot operations, shown on their confirmations.
const (
	revertRisk = ops.High // the present state of the disks is lost
	deleteRisk = ops.High // a way back is lost
)

type (
	loadedMsg struct {
		id    int
		v     vm.VM
		snaps []vm.Snapshot
		err   error
	}
	doneMsg struct {
		id     int
		what   string
		signal string           // for the tutorials, once done: snapshot-taken...
		spec   *vm.SnapshotSpec // for a failed take: what was asked
		err    error
	}
)

var lastID atomic.Int64

// Model is the snapshots screen of one VM.
type Model struct {
	c      *ui.Common
	id     int
	ref    string
	v      vm.VM
	all    []row // the tree, flattened in display order
	rows   []row // those the search shows
	search *ui.Search
	cursor int
	err    error
	loaded bool
	busy   string
}

// row is one snapshot with its place in the tree.
type row struct {
	s      vm.Snapshot
	prefix string // tree drawing before the name
}

// New shows the snapshots of the VM with this UUID.
func New(c *ui.Common, ref string) *Model {
	return &Model{c: c, id: int(lastID.Add(1)), ref: ref, search: ui.NewSearch(c, "search", "name or description")}
}

func (m *Model) Title() string { return "Snapshots" }

func (m *Model) Keys() ui.KeyMap {
	if m.search.Typing() {
		return ui.SearchHelp
	}
	k := keys
	k.actions = m.actions()
	return k
}

func (m *Model) Capturing() bool { return m.search.Typing() }

// Esc clears the search before esc means back.
func (m *Model) Esc() bool {
	if m.search.Clear() {
		m.narrow()
		return true
	}
	return false
}

// Actions are what can be done to the VM's snapshots now.
func (m *Model) Actions() ui.Actions { return m.actions() }
func (m *Model) Help() string {
	return "A snapshot keeps the VM's disks (and, when it runs, its memory) as they are, to come back to later. " +
		"Reverting discards everything since. Internal snapshots live inside qcow2 disks; a UEFI VM on this " +
		"libvirt can only take disk-only (external) snapshots, which hv offers when it has to. " +
		"An external snapshot keeps the disks as they were and writes what follows to overlay files beside them. " +
		"libvirt before 9.9 cannot revert to one; deleting it merges the overlays back into the disks, and the VM stays as it is."
}

func (m *Model) Init() tea.Cmd { return m.load() }

func (m *Model) load() tea.Cmd {
	hv, id, ref := m.c.HV, m.id, m.ref
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		v, err := hv.Lookup(ctx, ref)
		if err != nil {
			return loadedMsg{id: id, err: err}
		}
		snaps, err := hv.Snapshots(ctx, ref)
		return loadedMsg{id, v, snaps, err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.search.Handle(msg, m.narrow, m.key); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.id == m.id {
			m.err, m.loaded = msg.err, true
			if msg.err == nil {
				m.v = msg.v
				m.all = tree(msg.snaps, m.c.Glyphs)
				m.narrow()
			}
		}
	case busyMsg:
		if msg.id == m.id {
			m.busy = msg.what
		}
	case doneMsg:
		if msg.id == m.id {
			return m.done(msg)
		}
	case ui.VMEventMsg:
		if msg.Event.UUID == m.v.UUID || msg.Event.Kind == vm.EventReconnected {
			return m.load()
		}
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return nil
}

// narrow shows the snapshots the search matches.
func (m *Model) narrow() tea.Cmd {
	m.rows = m.rows[:0]
	for _, r := range m.all {
		if m.search.Match(r.s.Name, r.s.Description) {
			m.rows = append(m.rows, r)
		}
	}
	m.cursor = min(m.cursor, max(len(m.rows)-1, 0))
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if c, ok := keys.Move(msg, m.cursor, len(m.rows), max(m.c.Height-4, 1)); ok {
		m.cursor = c
		return nil
	}
	switch {
	case key.Matches(msg, keys.Reload):
		return m.load()
	case key.Matches(msg, keys.Search):
		return m.search.Open()
	case key.Matches(msg, keys.Details):
		return m.details()
	case key.Matches(msg, keys.Actions):
		return m.actions().Menu(m.c, "Snapshots of "+ui.Safe(m.v.Name))
	}
	s, _ := m.selected()
	if key.Matches(msg, keys.Revert) && s.NoRevert != "" && m.refuse() == "" {
		// Too much to say in the status bar: what libvirt can do instead.
		return dialog(ui.NewMessage(m.c, "Cannot revert to "+ui.Safe(s.Name), ui.Safe(s.NoRevert)+
			".\n\nWhat it can do: delete the snapshot ("+keys.Delete.Help().Key+"). libvirt merges its overlay files back "+
			"into the disks, and the VM stays as it is now."))
	}
	target := s.Name
	if key.Matches(msg, keys.Take) {
		target = "of " + m.v.Name
	}
	cmd, _ := m.actions().Handle(msg, target)
	return cmd
}

// Indexes into actions().
const (
	actTake = iota
	actRevert
	actDelete
)

// actions are what can be done now to the VM's snapshots, each with the
// reason when it cannot, and what it does.
func (m *Model) actions() ui.Actions {
	s, selected := m.selected()
	as := ui.Actions{
		actTake:   {Key: keys.Take, Risk: ops.Low, Audit: "vm.snapshot.create", Run: m.take},
		actRevert: {Key: keys.Revert, Risk: revertRisk, Audit: "vm.snapshot.revert"},
		actDelete: {Key: keys.Delete, Risk: deleteRisk, Audit: "vm.snapshot.delete"},
	}
	as[actRevert].Run = func() tea.Cmd { return m.revert(as[actRevert]) }
	as[actDelete].Run = func() tea.Cmd { return m.delete(as[actDelete]) }
	for i := range as {
		as[i] = as[i].Unless(m.refuse())
		if i != actTake && !selected {
			as[i] = as[i].Unless("no snapshot is selected")
		}
	}
	as[actRevert] = as[actRevert].Unless(s.NoRevert)
	as[actTake:actRevert].InPhase(m.c.Phase, phase.SnapshotCreate)
	as[actRevert:actDelete].InPhase(m.c.Phase, phase.SnapshotRevert)
	as[actDelete:].InPhase(m.c.Phase, phase.SnapshotDelete)
	return as.Granted(m.c.HV)
}

// details shows everything about the selected snapshot, description in full.
func (m *Model) details() tea.Cmd {
	s, ok := m.selected()
	if !ok {
		return nil
	}
	kind := "disks only"
	switch {
	case s.External:
		kind = "disks, external (overlay files)"
	case s.Memory:
		kind = "disks and memory"
	}
	lines := []string{
		"Taken       " + s.Created.Format("2006-01-02 15:04:05"),
		"VM was      " + wasState(s),
		"Holds       " + kind,
		"Parent      " + ui.OrDash(ui.Safe(s.Parent)),
	}
	if s.Current {
		lines = append(lines, "Current     yes: the VM runs on from this snapshot")
	}
	if s.Description != "" {
		lines = append(lines, "", lipgloss.NewStyle().Width(min(60, m.c.Width-8)).Render(ui.Safe(s.Description)))
	}
	return dialog(ui.NewMessage(m.c, "Snapshot "+ui.Safe(s.Name), strings.Join(lines, "\n")))
}

// wasState is the VM's state when s was taken, as far as libvirt kept it.
func wasState(s vm.Snapshot) string {
	if s.State == vm.StateUnknown {
		return "not recorded (a disk-only snapshot of a running VM)"
	}
	return s.State.String()
}

func (m *Model) selected() (vm.Snapshot, bool) {
	if len(m.rows) == 0 {
		return vm.Snapshot{}, false
	}
	return m.rows[m.cursor].s, true
}

// refuse says why nothing can be changed, or "" when it can.
func (m *Model) refuse() string {
	switch {
	case m.c.ReadOnly():
		return m.c.ReadOnlyWhy()
	case m.busy != "":
		return "busy " + m.busy
	}
	return ""
}

func (m *Model) take() tea.Cmd {
	running := m.v.State.Active()
	fields := []ui.Field{
		{Label: "Name", Value: "snap-" + m.c.Now().Format("2006-01-02-1504"),
			Validate: func(s string) error { return vm.ValidName("snapshot", s) }},
		{Label: "Description", Hint: "optional: why you took it"},
	}
	if running {
		fields = append(fields, ui.Field{Label: "Memory", Value: "yes", Choices: []string{"yes", "no"},
			Hint: "yes: a revert resumes the VM exactly; no: disks only"})
	}
	form := ui.NewForm(m.c, "Snapshot "+ui.Safe(m.v.Name), fields, func(v []string) tea.Cmd {
		spec := vm.SnapshotSpec{Name: v[0], Description: v[1], Memory: running && (len(v) < 3 || v[2] == "yes")}
		return m.run("took "+spec.Name, "snapshot-taken", &spec, func(ctx context.Context) error {
			_, err := m.c.HV.CreateSnapshot(ctx, m.v.UUID, spec)
			return err
		})
	})
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: form} }
}

func (m *Model) revert(a ui.Action) tea.Cmd {
	s, _ := m.selected()
	after := "shut off"
	if s.Memory {
		after = s.State.String() + ", from its saved memory"
	}
	body := fmt.Sprintf("%s goes back to %s, taken %s: its disks return to that point and it will be %s. "+
		"Everything since is lost unless another snapshot holds it.",
		ui.Safe(m.v.Name), ui.Safe(s.Name), s.Created.Format("2006-01-02 15:04"), after)
	name, ref, hv := s.Name, m.v.UUID, m.c.HV
	run := func(c vm.Confirmation) tea.Cmd {
		return m.run("reverted to "+name, "snapshot-reverted", nil, ui.Answered(c, func(ctx context.Context) error { return hv.RevertSnapshot(ctx, ref, name) }))
	}
	return m.c.Confirm(a, "Revert to "+ui.Safe(name)+"?", body, m.v.Name+" "+name, run)
}

func (m *Model) delete(a ui.Action) tea.Cmd {
	s, _ := m.selected()
	what := "The VM itself does not change."
	if s.External {
		what = "libvirt merges its overlay files back into the disks: the VM stays as it is now."
	}
	body := fmt.Sprintf("The snapshot %s goes away: you can no longer return to that point. Its children, if any, "+
		"attach to its parent. %s", ui.Safe(s.Name), what)
	name, ref, hv := s.Name, m.v.UUID, m.c.HV
	run := func(c vm.Confirmation) tea.Cmd {
		return m.run("deleted "+name, "snapshot-deleted", nil, ui.Answered(c, func(ctx context.Context) error { return hv.DeleteSnapshot(ctx, ref, name) }))
	}
	return m.c.Confirm(a, "Delete the snapshot "+ui.Safe(name)+"?", body, m.v.Name+" "+name, run)
}

func dialog(d ui.Dialog) tea.Cmd { return func() tea.Msg { return ui.OpenDialogMsg{Dialog: d} } }

// run does one snapshot operation in the background.
func (m *Model) run(what, signal string, spec *vm.SnapshotSpec, fn func(context.Context) error) tea.Cmd {
	id := m.id
	return tea.Sequence(
		func() tea.Msg { return busyMsg{id, what} },
		func() tea.Msg {
			// Reverting restarts QEMU and can take a while on a busy host.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			return doneMsg{id: id, what: what, signal: signal, spec: spec, err: fn(ctx)}
		})
}

type busyMsg struct {
	id   int
	what string
}

func (m *Model) done(msg doneMsg) tea.Cmd {
	m.busy = ""
	if msg.err == nil {
		return tea.Batch(ui.Status(ui.LevelSuccess, ui.Safe(m.v.Name)+": "+ui.Safe(msg.what)), m.load(), ui.Signal(msg.signal, m.v.Name))
	}
	// An internal snapshot this libvirt cannot take: offer the kind it can.
	if msg.spec != nil && !msg.spec.DiskOnly && errors.Is(msg.err, vm.ErrUnsupported) && m.v.State != vm.StateUnknown {
		spec := *msg.spec
		spec.DiskOnly, spec.Memory = true, false
		body := ui.Safe(msg.err.Error()) + "\n\nA disk-only (external) snapshot keeps each disk's state in a new overlay " +
			"file next to it; the VM goes on writing to the overlay. Take one instead?"
		run := m.run("took "+spec.Name+" (disk-only)", "snapshot-taken", &spec, func(ctx context.Context) error {
			_, err := m.c.HV.CreateSnapshot(ctx, m.v.UUID, spec)
			return err
		})
		return dialog(ui.NewConfirm(m.c, "This kind of snapshot is not supported", body, false, run))
	}
	return tea.Batch(ui.Fail(vm.Named(msg.err, m.v)), m.load())
}

// tree orders snapshots as a tree (parents before children, oldest first)
// with the drawing of each row's branch.
func tree(snaps []vm.Snapshot, g ui.Glyphs) []row {
	children := map[string][]vm.Snapshot{}
	names := map[string]bool{}
	for _, s := range snaps {
		names[s.Name] = true
	}
	for _, s := range snaps {
		parent := s.Parent
		if !names[parent] {
			parent = ""
		}
		children[parent] = append(children[parent], s)
	}
	for _, c := range children {
		slices.SortFunc(c, func(a, b vm.Snapshot) int { return a.Created.Compare(b.Created) })
	}
	branch, last, pipe, space := "├─ ", "└─ ", "│  ", "   "
	if g.Arrow == ui.ASCIIGlyphs.Arrow {
		branch, last, pipe = "|- ", "`- ", "|  "
	}
	var out []row
	var walk func(parent, indent string)
	walk = func(parent, indent string) {
		kids := children[parent]
		for i, s := range kids {
			joint, next := branch, pipe
			if i == len(kids)-1 {
				joint, next = last, space
			}
			if parent == "" {
				joint, next = "", ""
			}
			out = append(out, row{s: s, prefix: indent + joint})
			walk(s.Name, indent+next)
		}
	}
	walk("", "")
	return out
}
