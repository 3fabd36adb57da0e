package libvirt

import (
	"context"
	"errors"
	"strings"

	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

// hinted gives a failed operation on a network, pool or volume the fix for
// a missing object, unless it already has one: the generic fix of
// ErrNotFound talks about VMs.
func hinted(err error, notFound string) error {
	var ve *vm.Error
	if errors.As(err, &ve) && ve.Hint == "" && errors.Is(ve.Kind, vm.ErrNotFound) {
		ve.Hint = notFound
	}
	return err
}

// refuse is a refusal of op on target for the reason why, with its fix.
func refuse(op, target string, kind error, why, hint string) *vm.Error {
	return &vm.Error{Op: op, Target: target, Kind: kind, Detail: why, Hint: hint}
}

// freeAll frees every object of a list libvirt returned.
func freeAll[T any, P interface {
	*T
	Free() error
}](list []T) {
	for i := range list {
		P(&list[i]).Free()
	}
}

// run adapts a function with no result to call.
func run(fn func() error) (struct{}, error) { return struct{}{}, fn() }

// object is what networks and pools have in common.
type object interface {
	IsActive() (bool, error)
	Free() error
}

// need is the state an operation on a network or pool requires.
type need int

const (
	anyState need = iota
	needActive
	needInactive
)

// onObject looks up a network or pool, checks it is in the state op needs
// (saying how to change that in hint) and runs fn on it.
func onObject[O object](ctx context.Context, b *Backend, op, name string, want need, hint string,
	lookup func(*lv.Connect) (O, error), fn func(O) error) error {
	_, err := call(ctx, b, op, name, func(c *lv.Connect) (struct{}, error) {
		o, err := lookup(c)
		if err != nil {
			return struct{}{}, err
		}
		defer o.Free()
		if want != anyState {
			active, err := o.IsActive()
			if err != nil {
				return struct{}{}, err
			}
			if active != (want == needActive) {
				return struct{}{}, refuse(op, name, vm.ErrInvalidState, "it is "+activeWord(active), hint)
			}
		}
		return run(func() error { return fn(o) })
	})
	return err
}

func activeWord(active bool) string {
	if active {
		return "active"
	}
	return "inactive"
}

// byName orders names as people read them: case aside, then exactly.
func byName(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}
