package libvirt

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/hyper-nixos/hv/vm"
)

// guest is what the host's capabilities offer for a new VM.
type guest struct {
	domainType string // kvm when available, else qemu (TCG), else the driver's own
	arch       string
	emulator   string
	// noKVM says why a host that lists kvm does not get it: the CPU, or
	// $HV_ACCEL. "" when kvm is used or never offered.
	noKVM string
}

var hostArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}[runtime.GOARCH]

// hostCPUModel is the host CPU's model as libvirt names it (what a VM with
// the host's own CPU gets), or "" when the capabilities do not say.
func hostCPUModel(capsXML string) string {
	var caps libvirtxml.Caps
	if caps.Unmarshal(capsXML) != nil || caps.Host.CPU == nil || caps.Host.CPU.Model == "" {
		return ""
	}
	if v := caps.Host.CPU.Vendor; v != "" {
		return v + " " + caps.Host.CPU.Model
	}
	return caps.Host.CPU.Model
}

// pickGuest chooses the fastest hvm guest type, preferring the host's own
// architecture: kvm, then qemu (TCG), then whatever the driver offers.
// libvirt lists kvm whenever /dev/kvm exists, but in a VM without nested
// virtualisation KVM fails at the first real guest instruction; the host
// CPU's vmx or svm flag says whether it can work, so without it TCG is
// chosen. $HV_ACCEL (kvm or tcg) overrides the choice.
func pickGuest(capsXML string) (guest, error) {
	var caps libvirtxml.Caps
	if err := caps.Unmarshal(capsXML); err != nil {
		return guest{}, fmt.Errorf("reading host capabilities: %w", err)
	}
	rank := map[string]int{"kvm": 2, "qemu": 1}
	noKVM := ""
	switch os.Getenv("HV_ACCEL") {
	case "tcg", "qemu":
		rank["kvm"], noKVM = -1, "$HV_ACCEL asks for software emulation"
	case "kvm":
	default:
		if !hardwareVirt(caps) {
			rank["kvm"], noKVM = -1, vm.NoHardwareVirt
		}
	}
	score := func(g guest) int {
		s := rank[g.domainType]
		if g.arch == hostArch {
			s += 10
		}
		return s
	}
	var best guest
	offersKVM := false
	for _, cg := range caps.Guests {
		if cg.OSType != "hvm" {
			continue
		}
		for _, d := range cg.Arch.Domains {
			g := guest{domainType: d.Type, arch: cg.Arch.Name, emulator: cg.Arch.Emulator}
			if d.Emulator != "" {
				g.emulator = d.Emulator
			}
			offersKVM = offersKVM || d.Type == "kvm"
			if best.domainType == "" || score(g) > score(best) {
				best = g
			}
		}
	}
	if best.domainType == "" {
		return guest{}, &vm.Error{Op: "define", Kind: vm.ErrUnsupported, Detail: "the host offers no hvm guest type"}
	}
	if offersKVM && best.domainType != "kvm" {
		best.noKVM = noKVM
	}
	return best, nil
}

// hardwareVirt reports whether the host CPU can run KVM guests: x86 needs
// vmx (Intel) or svm (AMD); other architectures are trusted as listed.
func hardwareVirt(caps libvirtxml.Caps) bool {
	if caps.Host.CPU == nil || !strings.Contains(caps.Host.CPU.Arch, "86") {
		return true
	}
	for _, f := range caps.Host.CPU.FeatureFlags {
		if f.Name == "vmx" || f.Name == "svm" {
			return true
		}
	}
	return false
}

// medium is a volume as a domain's disk needs it: its path and format.
type medium struct{ path, format string }

func mediumOf(v vm.Volume) medium {
	format := v.Format
	if format == "" || format == "iso" {
		format = "raw"
	}
	return medium{v.Path, format}
}

// domainXML builds the definition of a new VM: its disks and CD-ROM (the
// spec's volumes, resolved), a NIC, a serial console, a memory balloon
// that reports statistics, and ACPI so that the power button (Shutdown)
// reaches the guest.
func domainXML(s vm.Spec, g guest, disks []medium, iso *medium) (string, error) {
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
		Devices:    &libvirtxml.DomainDeviceList{},
	}
	if iso != nil {
		d.OS.BootDevices = []libvirtxml.DomainBootDevice{{Dev: "cdrom"}, {Dev: "hd"}}
	}
	for i, disk := range disks {
		d.Devices.Disks = append(d.Devices.Disks, libvirtxml.DomainDisk{
			Device: "disk",
			Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: disk.format},
			Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: disk.path}},
			Target: &libvirtxml.DomainDiskTarget{Dev: "vd" + string(rune('a'+i)), Bus: "virtio"},
		})
	}
	if iso != nil {
		d.Devices.Disks = append(d.Devices.Disks, libvirtxml.DomainDisk{
			Device:   "cdrom",
			Driver:   &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "raw"},
			Source:   &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: iso.path}},
			Target:   &libvirtxml.DomainDiskTarget{Dev: "sda", Bus: "sata"},
			ReadOnly: &libvirtxml.DomainDiskReadOnly{},
		})
	}
	if s.Network != "" {
		d.Devices.Interfaces = append(d.Devices.Interfaces, libvirtxml.DomainInterface{
			Source: &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: s.Network}},
			Model:  &libvirtxml.DomainInterfaceModel{Type: "virtio"},
		})
	}
	if g.domainType == "test" {
		return d.Marshal() // the test driver models no other devices
	}
	if s.Firmware == "uefi" {
		d.OS.Firmware = "efi"
	}
	d.Features = &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}, APIC: &libvirtxml.DomainFeatureAPIC{}}
	d.Devices.Emulator = g.emulator
	d.Devices.Serials = []libvirtxml.DomainSerial{{Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}}}}
	d.Devices.Consoles = []libvirtxml.DomainConsole{{
		Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
		Target: &libvirtxml.DomainConsoleTarget{Type: "serial"},
	}}
	d.Devices.MemBalloon = &libvirtxml.DomainMemBalloon{Model: "virtio", Stats: &libvirtxml.DomainMemBalloonStats{Period: 2}}
	if s.VNC {
		d.Devices.Graphics = []libvirtxml.DomainGraphic{{VNC: &libvirtxml.DomainGraphicVNC{
			AutoPort: "yes", Listeners: []libvirtxml.DomainGraphicListener{{Address: &libvirtxml.DomainGraphicListenerAddress{Address: "127.0.0.1"}}},
		}}}
	}
	return d.Marshal()
}
