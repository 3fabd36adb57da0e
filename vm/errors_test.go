package vm

import (
	"errors"
	"testing"
)

func TestNamedSwapsTheUUIDForTheName(t *testing.T) {
	v := VM{UUID: "1be1faf5-2dd2-55aa-8e6d-061331e1304b", Name: "web-01"}
	err := Named(&Error{Op: "start", Target: v.UUID, Kind: ErrDenied}, v)
	if err.Error() != "start web-01: permission denied" || !errors.Is(err, ErrDenied) {
		t.Errorf("got %v", err)
	}
	if Named(nil, v) != nil {
		t.Error("nil stays nil")
	}
}
