package content

import (
	"testing"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/features"
)

func TestDemoHostFileIsValid(t *testing.T) {
	h, err := nix.DecodeHost(DemoHostTOML)
	if err != nil {
		t.Fatal(err)
	}
	if r := features.Builtin().CheckHost(h); !r.OK() {
		t.Errorf("the demo host file has problems: %v", r.Err())
	}
}
