package vms

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// ShutdownTimeout is how long a guest may take to answer the power button
// before hv offers to force it off.
var ShutdownTimeout = 60 * time.Second

// actionTimeout bounds one action: saving a large VM's memory takes minutes.
const actionTimeout = 10 * time.Minute

type (
	// actionStartedMsg marks the rows of an action that is now running.
	actionStartedMsg struct {
		id     int
		action *ops.Action
		vms    []vm.VM
	}
	actionDoneMsg struct {
		id     int
		action *ops.Action
		vm     vm.VM
		err    error
	}
	bulkResultMsg struct {
		id     int
		action *ops.Action
		result ops.Result
		more   <-chan ops.Result
		done   bool
	}
	shutdownCheckMsg struct {
		id   int
		uuid string
	}
)

// marked returns the marked VMs in the order shown.
func (m *Model) marked() []vm.VM {
	var out []vm.VM
	for _, i := range m.visible {
		if m.rows[i].marked {
			out = append(out, m.rows[i].vm)
		}
	}
	return out
}

// targets are what an action applies to: the marked VMs, else the one
// under the cursor.
func (m *Model) targets() []vm.VM {
	if t := m.marked(); len(t) > 0 {
		return t
	}
	if v, ok := m.Selected(); ok {
		return []vm.VM{v}
	}
	return nil
}

// actionKey runs the action or opens the screen a key stands for.
func (m *Model) actionKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	v, ok := m.Selected()
	if !ok {
		return nil, false
	}
	switch {
	case key.Matches(msg, keys.Details):
		return ui.Navigate("vm", v.UUID), true
	case key.Matches(msg, keys.Console):
		return ui.Navigate("console", v.UUID), true
	case key.Matches(msg, keys.Snapshots):
		return ui.Navigate("snapshots", v.UUID), true
	case key.Matches(msg, keys.Actions):
		return m.menu(v), true
	case key.Matches(msg, keys.Autostart):
		return m.act(ops.Autostart(v)), true
	}
	for _, ak := range actionKeys {
		if key.Matches(msg, *ak.binding) {
			a := ak.action
			if a == ops.Pause && v.State == vm.StatePaused && len(m.marked()) == 0 {
				a = ops.Resume
			}
			return m.act(a), true
		}
	}
	return nil, false
}

// menu lists every action for the VM under the cursor (or the marked
// ones), with its risk and, when it cannot run, why.
func (m *Model) menu(v vm.VM) tea.Cmd {
	targets := m.targets()
	title := "Actions for " + ui.Safe(v.Name)
	if len(targets) > 1 {
		title = fmt.Sprintf("Actions for %d marked VMs", len(targets))
	}
	var items []ui.MenuItem
	if len(targets) == 1 {
		items = append(items,
			ui.MenuItem{Key: "enter", Label: "Details", Run: ui.Navigate("vm", v.UUID)},
			ui.MenuItem{Key: "c", Label: "Serial console", Run: ui.Navigate("console", v.UUID),
				Disabled: unlessRunning(v)},
			ui.MenuItem{Key: "S", Label: "Snapshots", Run: ui.Navigate("snapshots", v.UUID)})
	}
	for _, a := range append(ops.Lifecycle, ops.Autostart(v)) {
		item := ui.MenuItem{Key: keyFor(a), Label: a.Label, Badge: m.c.RiskBadge(a.Risk), Run: m.actOn(a, targets)}
		if a == ops.AutostartOn || a == ops.AutostartOff {
			item.Key = keys.Autostart.Keys()[0]
		}
		if len(targets) == 1 {
			item.Disabled = a.Unavailable(v, m.c.HV.Access())
		} else if !anyCan(a, targets, m.c.HV.Access()) {
			item.Disabled = "none of the marked VMs can " + strings.ToLower(a.Label)
		}
		items = append(items, item)
	}
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: ui.NewMenu(m.c, title, items)} }
}

func unlessRunning(v vm.VM) string {
	if v.State.Active() {
		return ""
	}
	return v.Name + " is " + v.State.String()
}

func anyCan(a *ops.Action, vms []vm.VM, access vm.Access) bool {
	for _, v := range vms {
		if a.Unavailable(v, access) == "" {
			return true
		}
	}
	return false
}

func (m *Model) act(a *ops.Action) tea.Cmd { return m.actOn(a, m.targets()) }

// actOn checks, confirms as the risk requires, then runs a on targets.
func (m *Model) actOn(a *ops.Action, targets []vm.VM) tea.Cmd {
	if len(targets) == 0 {
		return nil
	}
	if len(targets) == 1 {
		v := targets[0]
		if why := a.Unavailable(v, m.c.HV.Access()); why != "" {
			return ui.Status(ui.LevelWarning, fmt.Sprintf("Cannot %s %s: %s", strings.ToLower(a.Label), ui.Safe(v.Name), ui.Safe(why)))
		}
		return m.confirm(a, ui.Safe(v.Name), v.Name, m.run(a, v))
	}
	if !anyCan(a, targets, m.c.HV.Access()) {
		return ui.Status(ui.LevelWarning, "None of the marked VMs can "+strings.ToLower(a.Label))
	}
	what := fmt.Sprintf("%d VMs", len(targets))
	return m.confirm(a, what, fmt.Sprintf("%s %d", a.ID, len(targets)), m.runBulk(a, targets))
}

// confirm asks what a's risk requires before run.
func (m *Model) confirm(a *ops.Action, what, typed string, run tea.Cmd) tea.Cmd {
	title := a.Label + " " + what + "?"
	body := a.Impact + "\n\nRisk: " + m.c.RiskBadge(a.Risk)
	var d ui.Dialog
	switch a.Confirmation() {
	case ops.AskYesNo:
		d = ui.NewConfirm(m.c, title, body, a.Risk >= ops.High, run)
	case ops.TypeName:
		d = ui.NewTypeName(m.c, title, body, typed, run)
	default:
		return run
	}
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: d} }
}

// run performs a on one VM in the background; the row shows it meanwhile.
// Building the command does nothing: a dialog may hold it and never run it.
func (m *Model) run(a *ops.Action, v vm.VM) tea.Cmd {
	hv, id := m.c.HV, m.id
	return tea.Sequence(
		func() tea.Msg { return actionStartedMsg{id: id, action: a, vms: []vm.VM{v}} },
		func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
			defer cancel()
			return actionDoneMsg{id: id, action: a, vm: v, err: a.Run(ctx, hv, v)}
		})
}

// started shows an action as under way on the VMs that can take it.
func (m *Model) started(msg actionStartedMsg) {
	if len(msg.vms) > 1 {
		m.bulk = nil
	}
	for _, v := range msg.vms {
		if i, ok := m.byUUID[v.UUID]; ok && msg.action.Unavailable(v, m.c.HV.Access()) == "" {
			m.rows[i].pending = msg.action.Doing
		}
	}
}

func (m *Model) actionDone(msg actionDoneMsg) tea.Cmd {
	i, ok := m.byUUID[msg.vm.UUID]
	waiting := msg.err == nil && (msg.action == ops.Shutdown || msg.action == ops.Reboot)
	if ok && !waiting {
		m.rows[i].pending = ""
	}
	if msg.err != nil {
		return ui.Fail(msg.err)
	}
	cmds := []tea.Cmd{ui.Status(ui.LevelSuccess, ui.Safe(msg.vm.Name)+" "+msg.action.Done)}
	if msg.action == ops.Shutdown {
		id, uuid := m.id, msg.vm.UUID
		cmds = append(cmds, m.c.Tick(ShutdownTimeout, func(time.Time) tea.Msg { return shutdownCheckMsg{id: id, uuid: uuid} }))
	}
	return tea.Batch(cmds...)
}

// shutdownCheck offers to force off a VM that ignored the power button.
func (m *Model) shutdownCheck(uuid string) tea.Cmd {
	i, ok := m.byUUID[uuid]
	if !ok || !m.rows[i].vm.State.Active() {
		return nil
	}
	v := m.rows[i].vm
	m.rows[i].pending = ""
	body := fmt.Sprintf("%s still runs %v after the shutdown request. The guest may ignore the ACPI power button "+
		"(no ACPI daemon, or too busy).\n\n%s", ui.Safe(v.Name), ShutdownTimeout, ops.ForceOff.Impact)
	d := ui.NewConfirm(m.c, "Force off "+ui.Safe(v.Name)+"?", body, true, m.run(ops.ForceOff, v))
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: d} }
}

// runBulk runs a on many VMs, a few at a time, reporting each as it ends.
func (m *Model) runBulk(a *ops.Action, vms []vm.VM) tea.Cmd {
	hv, id := m.c.HV, m.id
	return tea.Sequence(
		func() tea.Msg { return actionStartedMsg{id: id, action: a, vms: vms} },
		func() tea.Msg {
			results := make(chan ops.Result, len(vms))
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
				defer cancel()
				ops.Bulk(ctx, hv, a, vms, func(r ops.Result) { results <- r })
				close(results)
			}()
			return nextResult(id, a, results)()
		})
}

func nextResult(id int, a *ops.Action, results <-chan ops.Result) tea.Cmd {
	return func() tea.Msg {
		r, ok := <-results
		return bulkResultMsg{id: id, action: a, result: r, more: results, done: !ok}
	}
}

func (m *Model) bulkResult(msg bulkResultMsg) tea.Cmd {
	if msg.done {
		return m.bulkSummary(msg.action)
	}
	r := msg.result
	m.bulk = append(m.bulk, r)
	if i, ok := m.byUUID[r.VM.UUID]; ok {
		// Done VMs leave the selection; skipped and failed ones stay
		// marked for the next try.
		m.rows[i].pending = ""
		m.rows[i].marked = m.rows[i].marked && !r.OK()
	}
	return nextResult(m.id, msg.action, msg.more)
}

// bulkSummary shows what happened to each VM.
func (m *Model) bulkSummary(a *ops.Action) tea.Cmd {
	ok := 0
	var lines []string
	st := m.c.Styles
	for _, r := range m.bulk {
		name := ui.Safe(r.VM.Name)
		switch {
		case r.OK():
			ok++
			lines = append(lines, st.Success.Render(" ok   ")+name)
		case r.Skipped != "":
			lines = append(lines, st.Muted.Render(" skip ")+name+st.Muted.Render(": "+ui.Safe(r.Skipped)))
		default:
			lines = append(lines, st.Danger.Render(" FAIL ")+name+": "+ui.Safe(r.Err.Error()))
		}
	}
	if len(lines) > 14 {
		lines = append(lines[:13], fmt.Sprintf(" ... and %d more", len(lines)-13))
	}
	title := fmt.Sprintf("%s: %d of %d VMs %s", a.Label, ok, len(m.bulk), a.Done)
	d := ui.NewMessage(m.c, title, strings.Join(lines, "\n"))
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: d} }
}
