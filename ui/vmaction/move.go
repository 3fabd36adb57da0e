package vmaction

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/security"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// MoveKey moves the VM under the cursor to another host.
var MoveKey = key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "move to a host"))

// moveAction is the move as the matrix judges it and the trail names it.
var moveAction = ui.Action{Key: MoveKey, Kind: phase.VMMigrate, Risk: security.Medium, Audit: "vm.migrate"}

// moveTimeout bounds one move: a large VM's disks take long to copy.
const moveTimeout = 6 * time.Hour

// Messages of a move, addressed to one Mover by id.
type (
	moveStartedMsg struct {
		id     int
		v      vm.VM
		to     string
		cancel context.CancelFunc
		next   tea.Cmd
	}
	moveProgressMsg struct {
		id   int
		p    vm.MigrationProgress
		next tea.Cmd
	}
	moveDoneMsg struct {
		id  int
		v   vm.VM
		to  string
		err error
	}
)

// Mover moves VMs to other hosts for one screen: it asks where to, asks
// what the phase asks, runs the move in the background with its progress,
// and cancels it on esc (the VM then stays where it was).
type Mover struct {
	c      *ui.Common
	id     int
	moving *moving
}

// moving is the move under way.
type moving struct {
	v         vm.VM
	to        string
	p         vm.MigrationProgress
	cancel    context.CancelFunc
	cancelled bool
}

// NewMover returns the mover of one screen.
func NewMover(c *ui.Common) *Mover { return &Mover{c: c, id: int(lastID.Add(1))} }

// Unavailable says why v cannot move now, or "".
func (mv *Mover) Unavailable(v vm.VM) string {
	_, ok := mv.c.HV.(vm.Migrator)
	switch {
	case !ok || len(vm.HostsOf(mv.c.HV)) < 2:
		return "hv reaches one host only: list others in ~/.config/hv/hosts.toml"
	case !mv.c.Access().Writable():
		return mv.c.Access().Why()
	case mv.moving != nil:
		return "a move is under way (" + mv.moving.v.Name + ")"
	}
	if why := vm.Permitted(mv.c.HV, moveAction.Audit); why != "" {
		return why
	}
	if r := phase.Decide(mv.c.Phase, phase.Op{Kind: moveAction.Kind, Risk: moveAction.Risk}, phase.Operator); r.Refused() {
		return r.Reason()
	}
	switch v.State {
	case vm.StateRunning, vm.StateBlocked, vm.StatePaused, vm.StateShutOff, vm.StateCrashed:
		return ""
	}
	return v.Name + " is " + v.State.String() + ": wait until it runs or is shut off"
}

// Offer asks where v goes: the other hosts, those that are not up shown
// with why.
func (mv *Mover) Offer(v vm.VM) tea.Cmd {
	if why := mv.Unavailable(v); why != "" {
		return ui.Refuse("Cannot move "+ui.Safe(v.Name)+": "+ui.Safe(why), help.TopicHosts)
	}
	var items []ui.MenuItem
	for _, h := range vm.HostsOf(mv.c.HV) {
		if h.Name == v.Host {
			continue
		}
		it := ui.MenuItem{Label: ui.Safe(h.Name), Run: mv.ask(v, h.Name),
			Tip: fmt.Sprintf("%s: %d of %d VMs running, phase %s", ui.Safe(h.Where), h.Running, h.VMs, orUnknown(h.Phase))}
		if h.State != vm.HostUp {
			it.Disabled = h.Name + " is " + h.State.String()
			if h.Err != "" {
				it.Disabled += ": " + h.Err
			}
		}
		items = append(items, it)
	}
	return func() tea.Msg {
		return ui.OpenDialogMsg{Dialog: ui.NewMenu(mv.c, "Move "+ui.Safe(v.Name)+" to", items)}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// ask puts the phase's question, then starts the move.
func (mv *Mover) ask(v vm.VM, to string) tea.Cmd {
	how := "It is shut off: its disks are copied to " + ui.Safe(to) + ", then its definition; its volumes here are removed once it has moved."
	if v.State.Active() {
		how = "It moves live: its disks are copied while it runs, then its memory; it carries on there without a restart."
	}
	body := how + "\n\n" + ui.Safe(to) + " checks first that it can take it (name, networks, pools, media, CPU). Both hosts' trails record the move; esc cancels it while it runs."
	return mv.c.Confirm(moveAction, "Move "+ui.Safe(v.Name)+" to "+ui.Safe(to)+"?", body, v.Name, func(c vm.Confirmation) tea.Cmd { return mv.start(v, to, c) })
}

// start runs the move in the background and feeds its progress back, one
// message at a time, until a moveDoneMsg.
func (mv *Mover) start(v vm.VM, to string, answer vm.Confirmation) tea.Cmd {
	id, migrator := mv.id, mv.c.HV.(vm.Migrator)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(vm.WithConfirmation(context.Background(), answer), moveTimeout)
		ch := make(chan tea.Msg, 1)
		next := func() tea.Msg { return <-ch }
		go func() {
			defer cancel()
			err := migrator.Migrate(ctx, v.Ref(), to, func(p vm.MigrationProgress) {
				select { // drop a reading rather than hold up the move
				case ch <- moveProgressMsg{id: id, p: p, next: next}:
				default:
				}
			})
			ch <- moveDoneMsg{id: id, v: v, to: to, err: err}
		}()
		return moveStartedMsg{id: id, v: v, to: to, cancel: cancel, next: next}
	}
}

// Update follows a move; ok reports that msg was the mover's.
func (mv *Mover) Update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case moveStartedMsg:
		if msg.id != mv.id {
			return nil, false
		}
		mv.moving = &moving{v: msg.v, to: msg.to, cancel: msg.cancel, p: vm.MigrationProgress{Stage: "checking"}}
		return msg.next, true
	case moveProgressMsg:
		if msg.id != mv.id {
			return nil, false
		}
		if mv.moving != nil {
			mv.moving.p = msg.p
		}
		return msg.next, true
	case moveDoneMsg:
		if msg.id != mv.id {
			return nil, false
		}
		cancelled := mv.moving != nil && mv.moving.cancelled
		mv.moving = nil
		name := ui.Safe(msg.v.Name)
		switch {
		case msg.err == nil:
			return tea.Batch(ui.Status(ui.LevelSuccess, name+" moved to "+ui.Safe(msg.to)), ui.Signal("vm-moved", msg.v.Name)), true
		case cancelled:
			return ui.Status(ui.LevelWarning, "Move of "+name+" cancelled: it stays on "+ui.Safe(msg.v.Host)), true
		}
		return ui.Fail(msg.err), true
	}
	return nil, false
}

// Esc cancels the move under way; it reports whether there was one.
func (mv *Mover) Esc() bool {
	if mv.moving == nil || mv.moving.cancelled {
		return false
	}
	mv.moving.cancel()
	mv.moving.cancelled = true
	return true
}

// Moving reports whether a move is under way.
func (mv *Mover) Moving() bool { return mv.moving != nil }

// View is the line that says how the move goes, or "".
func (mv *Mover) View() string {
	m := mv.moving
	if m == nil {
		return ""
	}
	st, g := mv.c.Styles, mv.c.Glyphs
	if m.cancelled {
		return st.Warning.Render("Cancelling the move of " + ui.Safe(m.v.Name) + g.Ellipsis)
	}
	line := "Moving " + ui.Safe(m.v.Name) + " to " + ui.Safe(m.to) + ": " + m.p.Stage
	if pct := m.p.Percent(); pct >= 0 {
		line += fmt.Sprintf(" %d%% (%s of %s)", pct, vm.FormatBytes(float64(m.p.Done)), vm.FormatBytes(float64(m.p.Total)))
	}
	return st.Info.Render(line+g.Ellipsis) + st.Muted.Render(" esc cancels")
}
