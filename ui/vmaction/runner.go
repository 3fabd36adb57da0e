// Package vmaction runs VM actions from any screen: it checks an action is
// available and says why not, asks the confirmation its risk needs, runs it
// in the background (one VM or many), tracks what is under way, and offers
// to force off a guest that ignores the power button.
package vmaction

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

// ShutdownTimeout is how long a guest may take to answer the power button
// before hv offers to force it off.
var ShutdownTimeout = 60 * time.Second

// actionTimeout bounds one action: saving a large VM's memory takes minutes.
const actionTimeout = 10 * time.Minute

// Messages, addressed to one Runner by id.
type (
	startedMsg struct {
		id     int
		action *ops.Action
		vms    []vm.VM
	}
	doneMsg struct {
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
	// ShutdownCheckMsg fires ShutdownTimeout after shutdown request n.
	ShutdownCheckMsg struct {
		id, n int
		VM    vm.VM
	}
)

var lastID atomic.Int64

// Runner runs actions for one screen.
type Runner struct {
	c       *ui.Common
	id      int
	pending map[string]string // UUID -> what is under way ("starting")
	// shutdowns holds the shutdown requests still waiting for the VM to
	// stop (UUID -> request number): a VM that stopped, even if started
	// again since, is never offered to be forced off.
	shutdowns map[string]int
	asked     int
	bulk      []ops.Result
	// state tells the runner a VM's current state, for the shutdown check.
	state func(uuid string) (vm.State, bool)
}

// New returns a runner; state reports what the screen knows of a VM's
// state (the runner needs it to see whether a shutdown happened).
func New(c *ui.Common, state func(uuid string) (vm.State, bool)) *Runner {
	return &Runner{c: c, id: int(lastID.Add(1)), pending: map[string]string{}, shutdowns: map[string]int{}, state: state}
}

// Pending says what is under way on a VM, or "".
func (r *Runner) Pending(uuid string) string { return r.pending[uuid] }

// ShutdownCheck is the message the check of v's last shutdown request
// would send, for tests.
func (r *Runner) ShutdownCheck(v vm.VM) tea.Msg {
	return ShutdownCheckMsg{id: r.id, n: r.shutdowns[v.UUID], VM: v}
}

// Act checks, confirms as the risk requires, then runs a on targets.
func (r *Runner) Act(a *ops.Action, targets []vm.VM) tea.Cmd {
	access := r.c.HV.Access()
	switch {
	case len(targets) == 0:
		return nil
	case len(targets) == 1:
		v := targets[0]
		if why := a.UnavailableOn(v, r.c.HV); why != "" {
			return ui.Refuse(fmt.Sprintf("Cannot %s %s: %s", strings.ToLower(a.Label), ui.Safe(v.Name), ui.Safe(why)), refusalTopic(access))
		}
		if why := a.RefusedIn(r.c.Phase, 1); why != "" {
			return ui.Refuse(fmt.Sprintf("Cannot %s %s: %s", strings.ToLower(a.Label), ui.Safe(v.Name), why), help.TopicPhases)
		}
		return r.confirm(a, 1, ui.Safe(v.Name), v.Name, v.Name, func(c vm.Confirmation) tea.Cmd { return r.run(a, v, c) })
	}
	if why := vm.Permitted(r.c.HV, a.Audit); why != "" {
		return ui.Refuse(fmt.Sprintf("Cannot %s: %s", strings.ToLower(a.Label), ui.Safe(why)), refusalTopic(access))
	}
	// The question is about the VMs that will change: the others are
	// skipped, and said so.
	can := Can(a, targets, access)
	if len(can) == 0 {
		return ui.Refuse("None of the marked VMs can "+strings.ToLower(a.Label), refusalTopic(access))
	}
	if why := a.RefusedIn(r.c.Phase, len(can)); why != "" {
		return ui.Refuse(fmt.Sprintf("Cannot %s %d VMs: %s", strings.ToLower(a.Label), len(can), why), help.TopicPhases)
	}
	if len(can) == 1 {
		return r.Act(a, can)
	}
	which := "\n\nThey are: " + ui.NameList(nameList(can), 12) + "."
	if skipped := len(targets) - len(can); skipped > 0 {
		which += fmt.Sprintf(" %s skipped: %s cannot %s now.", ui.Count(skipped, "marked VM")+map[bool]string{true: " is", false: " are"}[skipped == 1],
			map[bool]string{true: "it", false: "they"}[skipped == 1], strings.ToLower(a.Label))
	}
	return r.confirm(a, len(can), fmt.Sprintf("%d VMs", len(can)), fmt.Sprintf("%s %d", a.ID, len(can)), names(can),
		func(c vm.Confirmation) tea.Cmd { return r.runBulk(a, targets, c) }, which)
}

// Can lists the VMs of vms that a can run on now.
func Can(a *ops.Action, vms []vm.VM, access vm.Access) []vm.VM {
	var out []vm.VM
	for _, v := range vms {
		if a.Unavailable(v, access) == "" {
			out = append(out, v)
		}
	}
	return out
}

// refusalTopic is the help topic behind a refusal: access, or the
// states and reasons that make an action unavailable.
func refusalTopic(access vm.Access) string {
	if !access.Writable() {
		return help.TopicReadOnly
	}
	return help.TopicUnavailable
}

// confirm asks what a's risk requires before run, in as many words as the
// operator's level wants: experts get the impact and the risk, others what
// the risk means, and beginners why (on '?' for the others). The answer to
// a high-risk question goes to the audit trail, naming target.
func (r *Runner) confirm(a *ops.Action, n int, what, typed, target string, run func(vm.Confirmation) tea.Cmd, which ...string) tea.Cmd {
	rule := a.Policy(r.c.Phase, n)
	if rule.Ask == phase.NoQuestion {
		return run(vm.Confirmation{})
	}
	answered := run(vm.Confirmation{How: "dialog", Bulk: n})
	title := a.Label + " " + what + "?"
	body := a.Impact + strings.Join(which, "") + "\n\nRisk: " + r.c.RiskBadge(a.Risk)
	risk, _ := r.c.Help.Explain(help.Risks, a.Risk.String())
	switch {
	case r.c.Level == help.Expert:
	case rule.Ask == phase.TypeName: // not the yes/no question the risk's text describes
		body += " It cannot be undone: you type the name to confirm, so that it never happens by reflex."
	case r.c.Level == help.Beginner:
		body += " " + risk.Beginner
	default:
		body += " " + risk.Tip
	}
	why := r.c.Help.Action(a).Why(r.c.Level)
	var d ui.Dialog = ui.NewConfirm(r.c, title, body, a.Risk >= ops.High, answered).WithWhy(why).Audited(a.Audit, target)
	if rule.Ask == phase.TypeName {
		d = ui.NewTypeName(r.c, title, body, typed, answered).WithWhy(why).Audited(a.Audit, target)
	}
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: d} }
}

// run performs a on one VM in the background. Building the command does
// nothing: a dialog may hold it and never run it.
func (r *Runner) run(a *ops.Action, v vm.VM, c vm.Confirmation) tea.Cmd {
	hv, id := r.c.HV, r.id
	return tea.Sequence(
		func() tea.Msg { return startedMsg{id: id, action: a, vms: []vm.VM{v}} },
		func() tea.Msg {
			ctx, cancel := confirmed(c)
			defer cancel()
			return doneMsg{id: id, action: a, vm: v, err: a.Run(ctx, hv, v)}
		})
}

// runBulk runs a on many VMs, a few at a time, reporting each as it ends.
func (r *Runner) runBulk(a *ops.Action, vms []vm.VM, c vm.Confirmation) tea.Cmd {
	hv, id := r.c.HV, r.id
	return tea.Sequence(
		func() tea.Msg { return startedMsg{id: id, action: a, vms: vms} },
		func() tea.Msg {
			results := make(chan ops.Result, len(vms))
			go func() {
				ctx, cancel := confirmed(c)
				defer cancel()
				ops.Bulk(ctx, hv, a, vms, func(res ops.Result) { results <- res })
				close(results)
			}()
			return nextResult(id, a, results)()
		})
}

// confirmed is the context of an action run after answer c (none when
// How is empty), bounded by actionTimeout.
func confirmed(c vm.Confirmation) (context.Context, context.CancelFunc) {
	ctx := context.Background()
	if c.How != "" {
		ctx = vm.WithConfirmation(ctx, c)
	}
	return context.WithTimeout(ctx, actionTimeout)
}

func nextResult(id int, a *ops.Action, results <-chan ops.Result) tea.Cmd {
	return func() tea.Msg {
		res, ok := <-results
		return bulkResultMsg{id: id, action: a, result: res, more: results, done: !ok}
	}
}

// Update handles the runner's messages and events. It returns the command
// to run next, and the bulk results that just came in (the VM list unmarks
// the VMs done).
func (r *Runner) Update(msg tea.Msg) (tea.Cmd, []ops.Result) {
	switch msg := msg.(type) {
	case startedMsg:
		if msg.id == r.id {
			r.started(msg)
		}
	case doneMsg:
		if msg.id == r.id {
			return r.done(msg), nil
		}
	case bulkResultMsg:
		if msg.id != r.id {
			return nil, nil
		}
		if msg.done {
			return r.summary(msg.action), nil
		}
		r.bulk = append(r.bulk, msg.result)
		delete(r.pending, msg.result.VM.UUID)
		return nextResult(r.id, msg.action, msg.more), []ops.Result{msg.result}
	case ShutdownCheckMsg:
		if msg.id == r.id {
			return r.shutdownCheck(msg), nil
		}
	case ui.VMEventMsg:
		return r.event(msg.Event), nil
	}
	return nil, nil
}

// event notes what an event finished: the state an action was heading for
// has come (a shutdown's own "shutting down" event is only the start of
// it), or the reboot. The outcome of a shutdown or reboot asked here
// replaces the status that it was asked.
func (r *Runner) event(e vm.Event) tea.Cmd {
	was := r.pending[e.UUID]
	if _, ok := e.State(); (ok && e.Kind != vm.EventShutdown) || e.Kind == vm.EventRebooted {
		delete(r.pending, e.UUID)
	}
	_, asked := r.shutdowns[e.UUID]
	switch e.Kind {
	case vm.EventStopped:
		delete(r.shutdowns, e.UUID)
		if asked {
			return ui.Status(ui.LevelSuccess, ui.Safe(e.Name)+" shut down")
		}
	case vm.EventRebooted:
		if was == ops.Reboot.Doing {
			return ui.Status(ui.LevelSuccess, ui.Safe(e.Name)+" rebooted")
		}
	case vm.EventReconnected:
		// A stop while the connection was down went unseen: better no
		// offer than one to pull the plug on a VM just booted.
		clear(r.shutdowns)
	}
	return nil
}

func (r *Runner) started(msg startedMsg) {
	if len(msg.vms) > 1 {
		r.bulk = nil
	}
	for _, v := range msg.vms {
		if msg.action.Unavailable(v, r.c.HV.Access()) == "" {
			r.pending[v.UUID] = msg.action.Doing
		}
	}
	// Noted before the call: a guest may be off before it returns.
	if msg.action == ops.Shutdown && len(msg.vms) == 1 {
		r.asked++
		r.shutdowns[msg.vms[0].UUID] = r.asked
	}
}

func (r *Runner) done(msg doneMsg) tea.Cmd {
	v := msg.vm
	_, underWay := r.pending[v.UUID] // a shutdown or reboot whose event has not come
	n, asked := r.shutdowns[v.UUID]
	if msg.err != nil || (msg.action != ops.Shutdown && msg.action != ops.Reboot) {
		delete(r.pending, v.UUID)
	}
	if msg.err != nil {
		delete(r.shutdowns, v.UUID)
		return ui.Fail(msg.err)
	}
	switch {
	case msg.action == ops.Shutdown && !asked:
		return ui.Status(ui.LevelSuccess, ui.Safe(v.Name)+" shut down") // off already
	case msg.action == ops.Reboot && !underWay:
		return ui.Status(ui.LevelSuccess, ui.Safe(v.Name)+" rebooted")
	}
	cmds := []tea.Cmd{ui.Status(ui.LevelSuccess, ui.Safe(v.Name)+" "+msg.action.Done)}
	if msg.action == ops.Shutdown {
		id := r.id
		cmds = append(cmds, r.c.Tick(ShutdownTimeout, func(time.Time) tea.Msg { return ShutdownCheckMsg{id: id, n: n, VM: v} }))
	}
	return tea.Batch(cmds...)
}

// shutdownCheck offers to force off a VM that ignored the power button:
// one that has not stopped since this request (nor been asked again).
func (r *Runner) shutdownCheck(msg ShutdownCheckMsg) tea.Cmd {
	v := msg.VM
	if n, ok := r.shutdowns[v.UUID]; !ok || n != msg.n {
		return nil
	}
	delete(r.shutdowns, v.UUID)
	if st, ok := r.state(v.UUID); !ok || !st.Active() {
		return nil
	}
	delete(r.pending, v.UUID)
	body := fmt.Sprintf("%s still runs %v after the shutdown request. The guest may ignore the ACPI power button "+
		"(no ACPI daemon, or too busy).\n\n%s", ui.Safe(v.Name), ShutdownTimeout, ops.ForceOff.Impact)
	d := ui.NewConfirm(r.c, "Force off "+ui.Safe(v.Name)+"?", body, true, r.run(ops.ForceOff, v, vm.Confirmation{How: "dialog"})).Audited(ops.ForceOff.Audit, v.Name)
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: d} }
}

// names lists the VMs for the audit trail.
func names(vms []vm.VM) string { return strings.Join(nameList(vms), " ") }

func nameList(vms []vm.VM) []string {
	out := make([]string, len(vms))
	for i, v := range vms {
		out[i] = v.Name
	}
	return out
}

// summary shows what happened to each VM of a bulk action.
func (r *Runner) summary(a *ops.Action) tea.Cmd {
	ok, skipped := 0, 0
	var lines []string
	st := r.c.Styles
	for _, res := range r.bulk {
		name := ui.Safe(res.VM.Name)
		switch {
		case res.OK():
			ok++
			lines = append(lines, st.Success.Render(" ok   ")+name)
		case res.Skipped != "":
			skipped++
			lines = append(lines, st.Muted.Render(" skip ")+name+st.Muted.Render(": "+ui.Safe(res.Skipped)))
		default:
			lines = append(lines, st.Danger.Render(" FAIL ")+name+": "+ui.Safe(res.Err.Error()))
		}
	}
	title := fmt.Sprintf("%s: %d of %d VMs %s", a.Label, ok, len(r.bulk)-skipped, a.Done)
	if skipped > 0 {
		title += fmt.Sprintf(", %d skipped", skipped)
	}
	d := ui.NewMessage(r.c, title, strings.Join(lines, "\n"))
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: d} }
}
