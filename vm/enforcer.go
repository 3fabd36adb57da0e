package vm

import "context"

// Enforcer is a backend that enforces a security phase itself (the hv
// daemon): the phase it reports is the one that binds, whatever host file
// this process can read.
type Enforcer interface {
	EnforcedPhase(ctx context.Context) (string, error)
}
