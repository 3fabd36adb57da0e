package vm

// Permitter is a backend that knows, change by change, what its user may
// do: the hv daemon's client knows the actions polkit grants, so a change
// an administrator withheld is shown unavailable before a key is pressed.
type Permitter interface {
	// Permitted says why the change, named as the audit trail names it
	// (vm.start, net.stop, volume.delete), is not granted; "" when it is.
	Permitted(change string) string
}

// Permitted asks h whether change is granted, when h knows; "" otherwise.
func Permitted(h Hypervisor, change string) string {
	if p, ok := h.(Permitter); ok && change != "" {
		return p.Permitted(change)
	}
	return ""
}
