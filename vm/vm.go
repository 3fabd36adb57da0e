// Package vm holds the domain model of hv: virtual machines, their states and
// statistics, lifecycle events, the Hypervisor interface every backend
// implements, and the errors callers can test for. It has no cgo and no UI.
package vm

import "strings"

// State is the run state of a VM as libvirt reports it.
type State int

const (
	StateUnknown State = iota
	StateRunning
	StateBlocked
	StatePaused
	StateShuttingDown
	StateShutOff
	StateCrashed
	StateSuspended // guest power management suspend (S3)
)

var stateNames = [...]string{
	StateUnknown:      "unknown",
	StateRunning:      "running",
	StateBlocked:      "blocked",
	StatePaused:       "paused",
	StateShuttingDown: "shutting down",
	StateShutOff:      "shut off",
	StateCrashed:      "crashed",
	StateSuspended:    "pm-suspended",
}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return stateNames[StateUnknown]
	}
	return stateNames[s]
}

// MarshalText writes the state's name, as JSON shows it.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText writes; an unknown name is unknown.
func (s *State) UnmarshalText(b []byte) error {
	*s, _ = ParseState(string(b))
	return nil
}

// Active reports whether the VM has a running QEMU process (it uses host
// resources), as opposed to being only a definition.
func (s State) Active() bool {
	switch s {
	case StateRunning, StateBlocked, StatePaused, StateShuttingDown, StateSuspended:
		return true
	}
	return false
}

// The states lifecycle operations start from. Backends refuse the others
// alike, naming the state, and ops offers each action only from these.
var (
	FromStopped = []State{StateShutOff, StateCrashed}              // start, delete
	FromRunning = []State{StateRunning, StateBlocked}              // shut down, reboot, pause
	FromSavable = []State{StateRunning, StateBlocked, StatePaused} // managed save
	FromPaused  = []State{StatePaused}                             // resume
	FromActive  = []State{StateRunning, StateBlocked, StatePaused, // force off, link state
		StateShuttingDown, StateSuspended, StateCrashed}
)

// ParseState accepts the names printed by String and common short forms
// ("off", "shutoff", "stopped", "on").
func ParseState(s string) (State, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "off", "shutoff", "shut-off", "stopped", "inactive":
		return StateShutOff, true
	case "on", "run", "active":
		return StateRunning, true
	case "pause", "suspended":
		return StatePaused, true
	case "pmsuspended", "pm-suspended":
		return StateSuspended, true
	case "shutdown", "shutting-down":
		return StateShuttingDown, true
	}
	for i, n := range stateNames {
		if s == n {
			return State(i), true
		}
	}
	return StateUnknown, false
}

// VM is what the VM list knows of one virtual machine.
type VM struct {
	UUID       string `json:"uuid"`
	Name       string `json:"name"`
	State      State  `json:"state"`
	VCPUs      int    `json:"vcpus"`
	MemoryKiB  uint64 `json:"memory_kib"`
	Autostart  bool   `json:"autostart"`
	Persistent bool   `json:"persistent"`
	// Host is the host the VM is on when hv spans several (vm/fleet);
	// "" for a connection to one host.
	Host string `json:"host,omitempty"`
}

// Ref names the VM for calls: its UUID, with its host first when hv spans
// several ("hv2/UUID"), so that a call reaches that host even while the VM
// is on two (mid-migration). A name may not hold '/', so a ref never
// reads two ways.
func (v VM) Ref() string { return hostRef(v.Host, v.UUID) }

func hostRef(host, ref string) string {
	if host == "" {
		return ref
	}
	return host + "/" + ref
}

// Host describes the machine behind a connection.
type Host struct {
	Hostname       string `json:"hostname"`
	Hypervisor     string `json:"hypervisor"` // driver name, e.g. "QEMU", "TEST"
	HypervisorVer  string `json:"hypervisor_version"`
	LibvirtVersion string `json:"libvirt_version"` // of the daemon (or library for local drivers)
	CPUModel       string `json:"cpu_model"`
	CPUs           int    `json:"cpus"`
	MemoryKiB      uint64 `json:"memory_kib"`
	// Accel is how new VMs run: "kvm" (hardware virtualisation), "qemu"
	// (software emulation, many times slower) or the driver's own ("test").
	Accel string `json:"accel"`
	// NoKVM says why a host that lists KVM does not use it, or "".
	NoKVM string `json:"no_kvm,omitempty"`
}

// NoHardwareVirt is why a host whose libvirt lists KVM (because /dev/kvm
// exists) still gets software emulation: Host.NoKVM says it, and the setup
// wizard's host check in the same words.
const NoHardwareVirt = "/dev/kvm exists but the CPU has no vmx or svm flag (a VM without nested virtualisation): KVM would fail at the first guest instruction, so VMs run with software emulation (TCG)"

// Tally counts VMs by what an operator cares about at a glance.
type Tally struct {
	Total, Running, Paused, Off int
}

// Add counts one VM in state s: paused and guest-suspended VMs are paused,
// other active ones running, the rest off.
func (t *Tally) Add(s State) {
	t.Total++
	switch {
	case s == StatePaused || s == StateSuspended:
		t.Paused++
	case s.Active():
		t.Running++
	default:
		t.Off++
	}
}
