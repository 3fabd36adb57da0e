package ui

import "github.com/hyper-nixos/hv/vm"

// VMStates follows the state of every VM by name, for screens that must
// tell running VMs from stopped ones (what stopping a network breaks)
// without showing the VMs themselves.
type VMStates map[string]vm.State

// Set replaces the states with those of a fresh list.
func (s VMStates) Set(vms []vm.VM) {
	clear(s)
	for _, v := range vms {
		s[v.Name] = v.State
	}
}

// Apply folds in the state an event implies.
func (s VMStates) Apply(e vm.Event) {
	if st, ok := e.State(); ok {
		if _, known := s[e.Name]; known {
			s[e.Name] = st
		}
	}
}

// Split divides names into VMs that run (or are paused) and the rest.
func (s VMStates) Split(names []string) (running, stopped []string) {
	for _, name := range names {
		if s[name].Active() {
			running = append(running, name)
		} else {
			stopped = append(stopped, name)
		}
	}
	return running, stopped
}
