package libvirt

import (
	"fmt"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

// onLifecycle runs on libvirt's event loop. The domain belongs to libvirt
// for the duration of the call: read what we need, never Free it.
func (b *Backend) onLifecycle(_ *lv.Connect, d *lv.Domain, ev *lv.DomainEventLifecycle) {
	kind, detail, ok := lifecycle(ev.Event, ev.Detail)
	if !ok {
		return
	}
	b.push(d, kind, detail)
}

// onReboot reports each reboot once: QEMU resets a rebooting guest in
// steps, and libvirt sends a reboot event for each, a fraction of a second
// apart.
func (b *Backend) onReboot(_ *lv.Connect, d *lv.Domain) {
	uuid, _ := d.GetUUIDString()
	if b.reboots.first(uuid, time.Now()) {
		b.push(d, vm.EventRebooted, "")
	}
}

// rebootEcho is how long after a reported reboot further reboot events of
// the same VM count as the same reboot: no guest boots again that fast.
const rebootEcho = 2 * time.Second

// echoes tells the first event of a burst from its echoes, per VM. Used on
// libvirt's event loop only.
type echoes map[string]time.Time

// first reports whether an event about uuid at t starts a new burst, and
// forgets bursts long over.
func (e echoes) first(uuid string, t time.Time) bool {
	if last, ok := e[uuid]; ok && t.Sub(last) < rebootEcho {
		return false
	}
	for id, last := range e {
		if t.Sub(last) >= rebootEcho {
			delete(e, id)
		}
	}
	e[uuid] = t
	return true
}

// named is what a domain, network and pool have for an event to name them.
type named interface {
	GetName() (string, error)
	GetUUIDString() (string, error)
}

// push sends an event about o. Called on libvirt's event loop, where o is
// libvirt's: read it, never Free it.
func (b *Backend) push(o named, kind vm.EventKind, detail string) {
	e := vm.Event{Kind: kind, Detail: detail, At: time.Now()}
	e.Name, _ = o.GetName()
	e.UUID, _ = o.GetUUIDString()
	b.events.Push(e)
}

// lifecycleEvents names libvirt's lifecycle events and their detail codes.
var lifecycleEvents = map[lv.DomainEventType]struct {
	kind    vm.EventKind
	details map[int]string
}{
	lv.DOMAIN_EVENT_DEFINED: {vm.EventDefined, map[int]string{
		int(lv.DOMAIN_EVENT_DEFINED_ADDED): "added", int(lv.DOMAIN_EVENT_DEFINED_UPDATED): "updated",
		int(lv.DOMAIN_EVENT_DEFINED_RENAMED): "renamed", int(lv.DOMAIN_EVENT_DEFINED_FROM_SNAPSHOT): "from snapshot",
	}},
	lv.DOMAIN_EVENT_UNDEFINED: {vm.EventUndefined, map[int]string{
		int(lv.DOMAIN_EVENT_UNDEFINED_REMOVED): "removed", int(lv.DOMAIN_EVENT_UNDEFINED_RENAMED): "renamed",
	}},
	lv.DOMAIN_EVENT_STARTED: {vm.EventStarted, map[int]string{
		int(lv.DOMAIN_EVENT_STARTED_BOOTED): "booted", int(lv.DOMAIN_EVENT_STARTED_MIGRATED): "migrated",
		int(lv.DOMAIN_EVENT_STARTED_RESTORED): "restored", int(lv.DOMAIN_EVENT_STARTED_FROM_SNAPSHOT): "from snapshot",
		int(lv.DOMAIN_EVENT_STARTED_WAKEUP): "woken up", int(lv.DOMAIN_EVENT_STARTED_RECREATED): "recreated",
	}},
	lv.DOMAIN_EVENT_SUSPENDED: {vm.EventSuspended, map[int]string{
		int(lv.DOMAIN_EVENT_SUSPENDED_PAUSED): "paused", int(lv.DOMAIN_EVENT_SUSPENDED_MIGRATED): "migrating",
		int(lv.DOMAIN_EVENT_SUSPENDED_IOERROR): "I/O error", int(lv.DOMAIN_EVENT_SUSPENDED_WATCHDOG): "watchdog",
		int(lv.DOMAIN_EVENT_SUSPENDED_RESTORED): "restored", int(lv.DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT): "from snapshot",
		int(lv.DOMAIN_EVENT_SUSPENDED_API_ERROR): "API error", int(lv.DOMAIN_EVENT_SUSPENDED_POSTCOPY): "post-copy",
		int(lv.DOMAIN_EVENT_SUSPENDED_POSTCOPY_FAILED): "post-copy failed", int(lv.DOMAIN_EVENT_SUSPENDED_GUEST_SHUTDOWN): "guest shut down",
	}},
	lv.DOMAIN_EVENT_RESUMED: {vm.EventResumed, map[int]string{
		int(lv.DOMAIN_EVENT_RESUMED_UNPAUSED): "unpaused", int(lv.DOMAIN_EVENT_RESUMED_MIGRATED): "migrated",
		int(lv.DOMAIN_EVENT_RESUMED_FROM_SNAPSHOT): "from snapshot", int(lv.DOMAIN_EVENT_RESUMED_POSTCOPY): "post-copy",
		int(lv.DOMAIN_EVENT_RESUMED_POSTCOPY_FAILED): "post-copy failed",
	}},
	lv.DOMAIN_EVENT_STOPPED: {vm.EventStopped, map[int]string{
		int(lv.DOMAIN_EVENT_STOPPED_SHUTDOWN): "shut down", int(lv.DOMAIN_EVENT_STOPPED_DESTROYED): "forced off",
		int(lv.DOMAIN_EVENT_STOPPED_CRASHED): "crashed", int(lv.DOMAIN_EVENT_STOPPED_MIGRATED): "migrated",
		int(lv.DOMAIN_EVENT_STOPPED_SAVED): "saved", int(lv.DOMAIN_EVENT_STOPPED_FAILED): "failed",
		int(lv.DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT): "from snapshot", int(lv.DOMAIN_EVENT_STOPPED_RECREATED): "recreated",
	}},
	lv.DOMAIN_EVENT_SHUTDOWN: {vm.EventShutdown, map[int]string{
		int(lv.DOMAIN_EVENT_SHUTDOWN_FINISHED): "finished", int(lv.DOMAIN_EVENT_SHUTDOWN_GUEST): "by the guest",
		int(lv.DOMAIN_EVENT_SHUTDOWN_HOST): "by the host",
	}},
	lv.DOMAIN_EVENT_PMSUSPENDED: {vm.EventPMSuspended, map[int]string{
		int(lv.DOMAIN_EVENT_PMSUSPENDED_MEMORY): "to memory", int(lv.DOMAIN_EVENT_PMSUSPENDED_DISK): "to disk",
	}},
	lv.DOMAIN_EVENT_CRASHED: {vm.EventCrashed, map[int]string{
		int(lv.DOMAIN_EVENT_CRASHED_PANICKED): "guest panicked", int(lv.DOMAIN_EVENT_CRASHED_CRASHLOADED): "crash kernel loaded",
	}},
}

// lifecycle translates libvirt's event and detail codes.
func lifecycle(event lv.DomainEventType, detail int) (vm.EventKind, string, bool) {
	e, ok := lifecycleEvents[event]
	return e.kind, e.details[detail], ok
}

// registerThreatEvents subscribes to the events threat detection watches.
// A driver that lacks one (the test driver lacks several) just does not
// deliver it. It returns how to deregister what it registered.
func (b *Backend) registerThreatEvents(c *lv.Connect) []func() {
	var undo []func()
	add := func(id int, err error) {
		if err == nil {
			undo = append(undo, func() { _ = c.DomainEventDeregister(id) })
		}
	}
	add(c.DomainEventWatchdogRegister(nil, func(_ *lv.Connect, d *lv.Domain, ev *lv.DomainEventWatchdog) {
		b.push(d, vm.EventWatchdog, watchdogActions[ev.Action])
	}))
	add(c.DomainEventIOErrorReasonRegister(nil, func(_ *lv.Connect, d *lv.Domain, ev *lv.DomainEventIOErrorReason) {
		b.push(d, vm.EventIOError, fmt.Sprintf("%s %s (%s): %s", ioErrorActions[ev.Action], ev.DevAlias, ev.SrcPath, ev.Reason))
	}))
	add(c.DomainEventDeviceAddedRegister(nil, func(_ *lv.Connect, d *lv.Domain, ev *lv.DomainEventDeviceAdded) {
		b.push(d, vm.EventDeviceAdded, ev.DevAlias)
	}))
	add(c.DomainEventDeviceRemovedRegister(nil, func(_ *lv.Connect, d *lv.Domain, ev *lv.DomainEventDeviceRemoved) {
		b.push(d, vm.EventDeviceRemoved, ev.DevAlias)
	}))
	add(c.DomainEventGraphicsRegister(nil, func(_ *lv.Connect, d *lv.Domain, ev *lv.DomainEventGraphics) {
		kind := vm.EventGraphicsConnect
		switch ev.Phase {
		case lv.DOMAIN_EVENT_GRAPHICS_DISCONNECT:
			kind = vm.EventGraphicsDisconnect
		case lv.DOMAIN_EVENT_GRAPHICS_INITIALIZE:
			return // the connect event came already
		}
		b.push(d, kind, graphicsDetail(ev))
	}))
	add(c.DomainEventMigrationIterationRegister(nil, func(_ *lv.Connect, d *lv.Domain, ev *lv.DomainEventMigrationIteration) {
		b.push(d, vm.EventMigration, fmt.Sprintf("iteration %d", ev.Iteration))
	}))
	return undo
}

var watchdogActions = map[lv.DomainEventWatchdogAction]string{
	lv.DOMAIN_EVENT_WATCHDOG_NONE: "none", lv.DOMAIN_EVENT_WATCHDOG_PAUSE: "pause",
	lv.DOMAIN_EVENT_WATCHDOG_RESET: "reset", lv.DOMAIN_EVENT_WATCHDOG_POWEROFF: "power off",
	lv.DOMAIN_EVENT_WATCHDOG_SHUTDOWN: "shut down", lv.DOMAIN_EVENT_WATCHDOG_DEBUG: "debug",
	lv.DOMAIN_EVENT_WATCHDOG_INJECTNMI: "inject NMI",
}

var ioErrorActions = map[lv.DomainEventIOErrorAction]string{
	lv.DOMAIN_EVENT_IO_ERROR_NONE: "none", lv.DOMAIN_EVENT_IO_ERROR_PAUSE: "pause",
	lv.DOMAIN_EVENT_IO_ERROR_REPORT: "report",
}

// graphicsDetail is "<auth scheme> from <address>[ as <user>]".
func graphicsDetail(ev *lv.DomainEventGraphics) string {
	from := ev.Remote.Node
	if ev.Remote.Family == lv.DOMAIN_EVENT_GRAPHICS_ADDRESS_UNIX || from == "" {
		from = "local"
	}
	s := fmt.Sprintf("%s from %s", ev.AuthScheme, from)
	for _, id := range ev.Subject {
		if id.Type == "saslUsername" || id.Type == "x509dname" {
			s += " as " + id.Name
			break
		}
	}
	return s
}
