// Package hostcheck looks at a host the way the setup wizard explains it:
// can its CPU virtualise, can devices be passed through (IOMMU), is KVM
// there, does libvirt answer and how, is there room for disks; and what it
// offers the wizard to choose from (network interfaces, local users).
//
// It reads files at paths the caller may point at test fixtures, and
// reaches no libvirt: the caller connects and hands the result in.
package hostcheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hyper-nixos/hv/vm"
)

// Status is how a check went.
type Status int

const (
	OK      Status = iota
	Warn           // works, with a limit worth knowing
	Fail           // something VMs need is missing
	Unknown        // hv could not tell from here
)

func (s Status) String() string {
	return [...]string{"ok", "warning", "problem", "unknown"}[s]
}

// Check is one finding, in plain words: what was found, what it means for
// VMs, and what to do when it is not OK.
type Check struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status Status `json:"-"`
	State  string `json:"status"`
	Found  string `json:"found"`
	Means  string `json:"means"`
	Fix    string `json:"fix,omitempty"`
}

func check(id, title string, s Status, found, means, fix string) Check {
	return Check{ID: id, Title: title, Status: s, State: s.String(), Found: found, Means: means, Fix: fix}
}

// Paths are the files the checks read.
type Paths struct {
	CPUInfo     string // /proc/cpuinfo
	IOMMUGroups string // /sys/kernel/iommu_groups
	KVM         string // /dev/kvm
	Net         string // /sys/class/net
	Passwd      string // /etc/passwd
}

// DefaultPaths are the real ones.
func DefaultPaths() Paths {
	return Paths{CPUInfo: "/proc/cpuinfo", IOMMUGroups: "/sys/kernel/iommu_groups", KVM: "/dev/kvm",
		Net: "/sys/class/net", Passwd: "/etc/passwd"}
}

// Libvirt is what connecting to libvirt found; the caller connects.
type Libvirt struct {
	URI    string
	Access vm.Access // when Err is nil
	Err    error     // why it could not connect
	// Daemon: the hv daemon answers this user and makes their changes, so
	// read-only libvirt is all they need.
	Daemon bool
	// Accel and NoKVM are from the host's capabilities (vm.Host).
	Accel, NoKVM string
}

// Run makes every check: CPU, IOMMU, KVM, libvirt, and the free space
// where VM disks will go (poolDir).
func Run(p Paths, lv Libvirt, poolDir string) []Check {
	cpuinfo, cpuErr := os.ReadFile(p.CPUInfo)
	cpu := CPU(cpuinfo, cpuErr)
	return []Check{cpu, IOMMU(p.IOMMUGroups), KVM(p.KVM, cpu, lv), LibvirtCheck(lv), Disk(poolDir)}
}

// Flags are the CPU's virtualisation flags found in /proc/cpuinfo.
type Flags struct {
	VMX, SVM, Hypervisor bool
}

// CPUFlags reads the flags of the first processor in cpuinfo.
func CPUFlags(cpuinfo []byte) Flags {
	var f Flags
	for _, line := range strings.Split(string(cpuinfo), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) != "flags" {
			continue
		}
		for _, flag := range strings.Fields(value) {
			switch flag {
			case "vmx":
				f.VMX = true
			case "svm":
				f.SVM = true
			case "hypervisor":
				f.Hypervisor = true
			}
		}
		break
	}
	return f
}

// CPU says whether the processor can virtualise in hardware.
func CPU(cpuinfo []byte, err error) Check {
	const id, title = "cpu", "CPU virtualisation"
	if err != nil {
		return check(id, title, Unknown, "cannot read the CPU's flags: "+err.Error(),
			"hv cannot tell whether VMs will get hardware virtualisation", "")
	}
	f := CPUFlags(cpuinfo)
	switch {
	case f.VMX:
		return check(id, title, OK, "Intel VT-x (the vmx flag)", "VMs can run with hardware virtualisation", "")
	case f.SVM:
		return check(id, title, OK, "AMD-V (the svm flag)", "VMs can run with hardware virtualisation", "")
	case f.Hypervisor:
		return check(id, title, Fail, "no vmx or svm flag; this machine is itself a virtual machine",
			"VMs run with software emulation (TCG), many times slower",
			"enable nested virtualisation for this VM on its host")
	}
	return check(id, title, Fail, "no vmx or svm flag",
		"VMs run with software emulation (TCG), many times slower",
		"turn on Intel VT-x or AMD-V (SVM) in the firmware setup")
}

// IOMMU counts the IOMMU groups: without any, no PCI device can be given
// to a VM.
func IOMMU(groupsDir string) Check {
	const id, title = "iommu", "IOMMU (device passthrough)"
	entries, err := os.ReadDir(groupsDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		entries = nil
	case err != nil:
		return check(id, title, Unknown, "cannot read "+groupsDir+": "+err.Error(), "hv cannot tell whether PCI passthrough is possible", "")
	}
	if len(entries) == 0 {
		return check(id, title, Warn, "no IOMMU groups",
			"PCI devices (GPUs, NICs) cannot be passed through to VMs; everything else works",
			"for passthrough, turn on VT-d or AMD-Vi in the firmware and the iommu feature")
	}
	return check(id, title, OK, fmt.Sprintf("%d IOMMU groups", len(entries)),
		"PCI devices can be passed through to VMs (a whole group at a time)", "")
}

// KVM says whether VMs will get KVM: /dev/kvm, the CPU, and what libvirt
// decided from its capabilities, in the words libvirt's choice is given.
func KVM(dev string, cpu Check, lv Libvirt) Check {
	const id, title = "kvm", "KVM"
	_, err := os.Stat(dev)
	exists := err == nil
	switch {
	case lv.Err == nil && lv.Accel == "kvm":
		return check(id, title, OK, dev+" is there and libvirt uses it", "VMs run at near-native speed", "")
	case lv.Err == nil && lv.NoKVM != "":
		return check(id, title, Fail, lv.NoKVM, "VMs work, slowly", cpu.Fix)
	case lv.Err == nil && lv.Accel != "" && lv.Accel != "qemu":
		return check(id, title, OK, "libvirt's "+lv.Accel+" driver needs no KVM", "this is not a QEMU host (the demo, or a test driver)", "")
	case exists && cpu.Status == OK:
		return check(id, title, OK, dev+" is there", "VMs can run at near-native speed", "")
	case exists:
		return check(id, title, Fail, vm.NoHardwareVirt, "VMs work, slowly", cpu.Fix)
	case cpu.Status == OK:
		return check(id, title, Fail, "no "+dev+": the kvm module is not loaded",
			"VMs run with software emulation (TCG), many times slower",
			"load it (modprobe kvm_intel or kvm_amd); the NixOS module does with virtualisation.libvirtd")
	}
	return check(id, title, Fail, "no "+dev, "VMs run with software emulation (TCG), many times slower", cpu.Fix)
}

// LibvirtCheck says whether libvirt answered, and with what rights.
func LibvirtCheck(lv Libvirt) Check {
	const id, title = "libvirt", "libvirt"
	if lv.Err != nil {
		fix := vm.Fix(lv.Err)
		if fix == "" {
			fix = "start libvirtd (on NixOS, enable services.hyper-nixos)"
		}
		return check(id, title, Fail, "cannot reach "+lv.URI+": "+lv.Err.Error(), "hv cannot manage VMs here", fix)
	}
	switch {
	case !lv.Access.Writable() && lv.Daemon:
		return check(id, title, OK, lv.URI+" answers, read-only for you",
			"you watch VMs directly and change them through the hv daemon, which alone holds read-write libvirt", "")
	case !lv.Access.Writable():
		return check(id, title, Warn, lv.URI+" answers, read-only for you",
			"you can watch VMs, not change them", "'hv doctor' says why, and the fix")
	}
	return check(id, title, OK, lv.URI+" answers, read-write for you", "you can manage VMs without sudo", "")
}

// Disk says how much room there is where VM disks go. dir need not exist
// yet: its nearest existing parent is measured (the same file system,
// unless a mount is made there later).
func Disk(dir string) Check {
	const id, title = "disk", "Free disk space"
	at := dir
	for {
		if _, err := os.Stat(at); err == nil || at == "/" || at == "." {
			break
		}
		at = filepath.Dir(at)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(at, &st); err != nil {
		return check(id, title, Unknown, "cannot measure "+at+": "+err.Error(), "hv cannot tell how much room VM disks have", "")
	}
	free, total := st.Bavail*uint64(st.Bsize), st.Blocks*uint64(st.Bsize)
	return DiskSpace(dir, at, free, total)
}

// Thresholds of Disk: below LowDisk a few VMs fit; below TooLittleDisk
// hardly one.
const (
	LowDisk       = 20 << 30
	TooLittleDisk = 4 << 30
)

// DiskSpace judges free bytes of total at measured (dir's nearest
// existing directory).
func DiskSpace(dir, measured string, free, total uint64) Check {
	const id, title = "disk", "Free disk space"
	found := fmt.Sprintf("%s free of %s at %s", vm.FormatBytes(float64(free)), vm.FormatBytes(float64(total)), dir)
	if measured != dir {
		found += " (measured at " + measured + ", which exists)"
	}
	switch {
	case free < TooLittleDisk:
		return check(id, title, Fail, found, "hardly room for one VM disk",
			"free some space, or choose a storage location on a larger disk")
	case free < LowDisk:
		return check(id, title, Warn, found, "room for a few small VM disks only",
			"choose a storage location on a larger disk if you plan many VMs")
	}
	return check(id, title, OK, found, "room for VM disks", "")
}
