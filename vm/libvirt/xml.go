package libvirt

import (
	"fmt"
	"runtime"

	"libvirt.org/go/libvirtxml"

	"github.com/hyper-nixos/hv/vm"
)

// guest is what the host's capabilities offer for a new VM.
type guest struct {
	domainType string // kvm when available, else qemu (TCG), else the driver's own
	arch       string
	emulator   string
}

var hostArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}[runtime.GOARCH]

// pickGuest chooses the fastest hvm guest type, preferring the host's own
// architecture: kvm, then qemu (TCG), then whatever the driver offers.
func pickGuest(capsXML string) (guest, error) {
	var caps libvirtxml.Caps
	if err := caps.Unmarshal(capsXML); err != nil {
		return guest{}, fmt.Errorf("reading host capabilities: %w", err)
	}
	score := func(g guest) int {
		s := map[string]int{"kvm": 2, "qemu": 1}[g.domainType]
		if g.arch == hostArch {
			s += 10
		}
		return s
	}
	var best guest
	for _, cg := range caps.Guests {
		if cg.OSType != "hvm" {
			continue
		}
		for _, d := range cg.Arch.Domains {
			g := guest{domainType: d.Type, arch: cg.Arch.Name, emulator: cg.Arch.Emulator}
			if d.Emulator != "" {
				g.emulator = d.Emulator
			}
			if best.domainType == "" || score(g) > score(best) {
				best = g
			}
		}
	}
	if best.domainType == "" {
		return guest{}, &vm.Error{Op: "define", Kind: vm.ErrUnsupported, Detail: "the host offers no hvm guest type"}
	}
	return best, nil
}

// domainXML builds the definition of a minimal VM: a serial console, a
// memory balloon that reports statistics, and no disks yet.
func domainXML(s vm.Spec, g guest) (string, error) {
	d := libvirtxml.Domain{
		Type:          g.domainType,
		Name:          s.Name,
		Memory:        &libvirtxml.DomainMemory{Value: uint(s.MemoryMiB), Unit: "MiB"},
		CurrentMemory: &libvirtxml.DomainCurrentMemory{Value: uint(s.MemoryMiB), Unit: "MiB"},
		VCPU:          &libvirtxml.DomainVCPU{Value: uint(s.VCPUs)},
		OS: &libvirtxml.DomainOS{
			Type: &libvirtxml.DomainOSType{Type: "hvm", Arch: g.arch},
		},
		OnPoweroff: "destroy",
		OnReboot:   "restart",
		OnCrash:    "destroy",
	}
	if g.domainType != "test" {
		d.Devices = &libvirtxml.DomainDeviceList{
			Emulator: g.emulator,
			Serials:  []libvirtxml.DomainSerial{{Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}}}},
			Consoles: []libvirtxml.DomainConsole{{
				Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
				Target: &libvirtxml.DomainConsoleTarget{Type: "serial"},
			}},
			MemBalloon: &libvirtxml.DomainMemBalloon{Model: "virtio", Stats: &libvirtxml.DomainMemBalloonStats{Period: 2}},
		}
	}
	return d.Marshal()
}
