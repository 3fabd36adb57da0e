package vm

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckVolumeSpecAndSpace(t *testing.T) {
	s := VolumeSpec{Name: "disk.qcow2", CapacityBytes: 20 << 30}
	if err := CheckVolumeSpec("default", &s); err != nil || s.Format != "qcow2" {
		t.Errorf("a good spec: %v, format %q (want the qcow2 default)", err, s.Format)
	}
	for spec, why := range map[VolumeSpec]string{
		{Name: "", CapacityBytes: 1 << 30}:                  "name is required",
		{Name: "a/b", CapacityBytes: 1 << 30}:               "cannot contain '/'",
		{Name: "d", CapacityBytes: 1 << 30, Format: "vmdk"}: `format "vmdk" is not offered`,
		{Name: "d", CapacityBytes: 1000}:                    "at least 1M",
		{Name: "d", CapacityBytes: 1 << 60}:                 "at most",
	} {
		if err := CheckVolumeSpec("default", &spec); !errors.Is(err, ErrInvalidArg) || !strings.Contains(err.Error(), why) {
			t.Errorf("CheckVolumeSpec(%+v) = %v, want %q", spec, err, why)
		}
	}
	p := Pool{Name: "fast", Active: true, AvailableBytes: 10 << 30}
	if err := CheckSpace("create volume", "d", p, 10<<30); err != nil {
		t.Errorf("an exact fit is refused: %v", err)
	}
	err := CheckSpace("create volume", "d", p, 20<<30)
	if !errors.Is(err, ErrInvalidArg) || !strings.Contains(err.Error(), "not enough space in pool fast: needs 20G, has 10G") {
		t.Errorf("too big: %v", err)
	}
	p.Active = false
	if err := CheckSpace("create volume", "d", p, 1); !errors.Is(err, ErrInvalidState) || !strings.Contains(Fix(err), "hv pool start fast") {
		t.Errorf("inactive pool: %v (fix %q)", err, Fix(err))
	}
}
