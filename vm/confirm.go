package vm

import "context"

// Confirmation is how the operator answered the question the security
// phase asks before a change (see security/phase): the hv daemon refuses
// a change it must ask about unless the request carries one, and writes
// it to the audit trail. Backends that talk to libvirt directly ignore it.
type Confirmation struct {
	// How the answer was given: "dialog" (the TUI), "prompt" (the CLI
	// asked), "--yes" (a script), "command" (a command typed on purpose
	// is its own yes below high risk).
	How string `json:"how"`
	// Name is the object's name as typed, for a question that asks for it
	// (delete a VM, delete a volume, turn on a critical feature).
	Name string `json:"name,omitempty"`
	// Bulk is how many VMs the one answer covers (0 or 1: one).
	Bulk int `json:"bulk,omitempty"`
}

type confirmationKey struct{}

// WithConfirmation carries c with the calls made under ctx.
func WithConfirmation(ctx context.Context, c Confirmation) context.Context {
	return context.WithValue(ctx, confirmationKey{}, c)
}

// ConfirmationFrom is the confirmation ctx carries, if any.
func ConfirmationFrom(ctx context.Context) (Confirmation, bool) {
	c, ok := ctx.Value(confirmationKey{}).(Confirmation)
	return c, ok
}
