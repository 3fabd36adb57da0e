package vm

import (
	"fmt"
	"time"
)

// EventKind is what happened.
type EventKind int

const (
	EventDefined EventKind = iota
	EventUndefined
	EventStarted
	EventSuspended
	EventResumed
	EventStopped
	EventShutdown // the guest began shutting down
	EventPMSuspended
	EventCrashed
	EventRebooted

	// Connection events concern the whole backend, not one VM.
	EventConnLost    // libvirt went away; the backend is reconnecting
	EventReconnected // back again: callers should reload what they show

	// Object events concern a network or a storage pool named in Name; Detail
	// says what happened (defined, undefined, started, stopped).
	EventNetwork
	EventPool

	// Events threat detection watches. Detail says more: the watchdog's
	// action, the failing disk, the device alias, "<auth> from <address>".
	EventWatchdog
	EventIOError
	EventDeviceAdded
	EventDeviceRemoved
	EventGraphicsConnect
	EventGraphicsDisconnect
	EventMigration // an iteration of a live migration
)

var eventNames = [...]string{
	EventDefined: "defined", EventUndefined: "undefined", EventStarted: "started",
	EventSuspended: "suspended", EventResumed: "resumed", EventStopped: "stopped",
	EventShutdown: "shutdown", EventPMSuspended: "pm-suspended", EventCrashed: "crashed",
	EventRebooted: "rebooted", EventConnLost: "connection lost", EventReconnected: "reconnected",
	EventNetwork: "network changed", EventPool: "pool changed",
	EventWatchdog: "watchdog", EventIOError: "io-error", EventDeviceAdded: "device-added",
	EventDeviceRemoved: "device-removed", EventGraphicsConnect: "graphics-connect",
	EventGraphicsDisconnect: "graphics-disconnect", EventMigration: "migration",
}

func (k EventKind) String() string {
	if k < 0 || int(k) >= len(eventNames) {
		return "unknown"
	}
	return eventNames[k]
}

// MarshalText writes the kind's name, as JSON shows it.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (k *EventKind) UnmarshalText(b []byte) error {
	for i, n := range eventNames {
		if n == string(b) {
			*k = EventKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown event kind %q", b)
}

// AboutVM reports whether events of this kind concern one VM.
func (k EventKind) AboutVM() bool { return k <= EventRebooted }

// Event is a change reported by the hypervisor, as it happens.
type Event struct {
	Kind   EventKind `json:"kind"`
	UUID   string    `json:"uuid,omitempty"`
	Name   string    `json:"name,omitempty"`
	Detail string    `json:"detail,omitempty"` // libvirt's reason, e.g. "destroyed", "booted", "from snapshot"
	At     time.Time `json:"at"`
	// Host is the host the event comes from when hv spans several
	// (vm/fleet): a connection event with a Host concerns that host
	// alone, the others carry on.
	Host string `json:"host,omitempty"`
}

// Ref names the event's VM for calls, as VM.Ref does.
func (e Event) Ref() string { return hostRef(e.Host, e.UUID) }

// State returns the VM state an event implies, if it implies one.
func (e Event) State() (State, bool) {
	switch e.Kind {
	case EventStarted, EventResumed:
		return StateRunning, true
	case EventSuspended:
		return StatePaused, true
	case EventStopped:
		return StateShutOff, true
	case EventShutdown:
		return StateShuttingDown, true
	case EventPMSuspended:
		return StateSuspended, true
	case EventCrashed:
		return StateCrashed, true
	}
	return StateUnknown, false
}
