package vm

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// HostState is how one of several hosts answers.
type HostState int

const (
	HostConnecting HostState = iota // not reached yet
	HostUp                          // answering
	HostSlow                        // did not answer the last call in time; its VMs are the last known
	HostDown                        // unreachable; hv retries by itself
)

var hostStateNames = [...]string{"connecting", "up", "slow", "down"}

func (s HostState) String() string {
	if s < 0 || int(s) >= len(hostStateNames) {
		return "unknown"
	}
	return hostStateNames[s]
}

// MarshalText writes the state's name, as JSON shows it.
func (s HostState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (s *HostState) UnmarshalText(b []byte) error {
	for i, n := range hostStateNames {
		if n == string(b) {
			*s = HostState(i)
			return nil
		}
	}
	return fmt.Errorf("unknown host state %q", b)
}

// HostStatus is what hv knows of one host when it spans several.
type HostStatus struct {
	Name  string    `json:"name"`  // as the operator calls it
	Where string    `json:"where"` // how it is reached: ssh://..., a socket, a URI
	State HostState `json:"state"`
	Err   string    `json:"error,omitempty"` // why it is down or slow
	Since time.Time `json:"since"`           // in this state since
	// Primary is the host hv was opened on: networks, storage and new
	// VMs are its.
	Primary bool `json:"primary,omitempty"`
	// Latency is how long the last list took.
	Latency time.Duration `json:"latency_ns"`

	// What the host's daemon says of itself ("" when unknown).
	Hostname string `json:"hostname,omitempty"`
	Version  string `json:"version,omitempty"`
	Phase    string `json:"phase,omitempty"`

	// From its last list and host reading: its VMs, and what the running
	// ones take of its CPUs and memory (the load of a VM host).
	VMs           int    `json:"vms"`
	Running       int    `json:"running"`
	VCPUs         int    `json:"vcpus"` // of running VMs
	CPUs          int    `json:"cpus"`
	MemoryKiB     uint64 `json:"memory_kib"` // of running VMs
	HostMemoryKiB uint64 `json:"host_memory_kib"`
}

// Count adds VMs to the status: how many, how many run, and what the
// running ones take.
func (s *HostStatus) Count(vms []VM) {
	for _, v := range vms {
		s.VMs++
		if v.State.Active() {
			s.Running++
			s.VCPUs += v.VCPUs
			s.MemoryKiB += v.MemoryKiB
		}
	}
}

// Alone is the status of the one host h reaches, when it spans no others.
func Alone(ctx context.Context, h Hypervisor) (HostStatus, error) {
	s := HostStatus{Where: h.URI(), State: HostUp, Primary: true}
	host, err := h.Host(ctx)
	if err != nil {
		return s, err
	}
	s.Name, s.Hostname, s.CPUs, s.HostMemoryKiB = host.Hostname, host.Hostname, host.CPUs, host.MemoryKiB
	vms, err := h.List(ctx)
	s.Count(vms)
	return s, err
}

// Load is what the running VMs take of the host, for people: vCPUs per
// CPU and memory ("12/16 vCPU 40% mem"), "-" when the host is not known.
func (h HostStatus) Load() string {
	if h.CPUs == 0 {
		return "-"
	}
	s := fmt.Sprintf("%d/%d vCPU", h.VCPUs, h.CPUs)
	if h.HostMemoryKiB > 0 {
		s += fmt.Sprintf(" %d%% mem", h.MemoryKiB*100/h.HostMemoryKiB)
	}
	return s
}

// Spanning is a Hypervisor over several hosts (vm/fleet): VMs carry their
// host, and calls about a VM go to it.
type Spanning interface {
	Hosts() []HostStatus
}

// HostsOf lists the hosts behind h: those of a Spanning hypervisor, else
// none (one host, the connection itself).
func HostsOf(h Hypervisor) []HostStatus {
	if s, ok := h.(Spanning); ok {
		return s.Hosts()
	}
	return nil
}

// Reach is the hypervisor of host for calls that must reach that host
// and no other (a screen of its networks or pools, a VM's own volumes):
// h itself when h spans no hosts or host is "" (the host hv opened), else
// the member, or why it cannot be reached now.
func Reach(h Hypervisor, host string) (Hypervisor, error) {
	hosts := HostsOf(h)
	if hosts == nil || host == "" {
		return h, nil
	}
	if s, ok := h.(interface {
		Member(name string) (Hypervisor, bool)
	}); ok {
		if m, ok := s.Member(host); ok {
			return m, nil
		}
	}
	for _, s := range hosts {
		if strings.EqualFold(s.Name, host) {
			why := s.Err
			if why == "" {
				why = "not reached yet"
			}
			return nil, &Error{Op: "reach", Target: host, Kind: ErrConnLost, Detail: s.State.String() + ": " + why,
				Hint: "hv keeps trying; the Hosts screen shows when it is back"}
		}
	}
	return nil, &Error{Op: "reach", Target: host, Kind: ErrNotFound, Detail: "no host is called " + host,
		Hint: "the Hosts screen (or 'hv hosts') lists them"}
}

// Migrator moves VMs between the hosts of a Spanning hypervisor: live
// with their disks when they run, offline when they are shut off.
type Migrator interface {
	Migrate(ctx context.Context, ref, host string, progress func(MigrationProgress)) error
}
