package hostcheck

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/vm"
)

func cpuinfo(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestCPU(t *testing.T) {
	for _, tt := range []struct {
		file   string
		status Status
		found  string
	}{
		{"cpuinfo-intel", OK, "Intel VT-x"},
		{"cpuinfo-amd", OK, "AMD-V"},
		{"cpuinfo-guest", Fail, "itself a virtual machine"},
	} {
		c := CPU(cpuinfo(t, tt.file), nil)
		if c.Status != tt.status || !strings.Contains(c.Found, tt.found) || (c.Status != OK) != (c.Fix != "") {
			t.Errorf("%s: %+v", tt.file, c)
		}
	}
	if c := CPU(nil, errors.New("permission denied")); c.Status != Unknown {
		t.Errorf("unreadable: %+v", c)
	}
}

func TestIOMMU(t *testing.T) {
	dir := t.TempDir()
	if c := IOMMU(dir); c.Status != Warn || !strings.Contains(c.Means, "cannot be passed through") {
		t.Errorf("no groups: %+v", c)
	}
	if c := IOMMU(filepath.Join(dir, "missing")); c.Status != Warn {
		t.Errorf("no directory: %+v", c)
	}
	for _, g := range []string{"0", "1", "2"} {
		os.Mkdir(filepath.Join(dir, g), 0o755)
	}
	if c := IOMMU(dir); c.Status != OK || c.Found != "3 IOMMU groups" {
		t.Errorf("three groups: %+v", c)
	}
}

// TestKVMSaysWhatLibvirtDecided: /dev/kvm without the CPU flag is worded
// as libvirt's own choice of software emulation.
func TestKVMSaysWhatLibvirtDecided(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "kvm")
	os.WriteFile(dev, nil, 0o600)
	intel, guest := CPU(cpuinfo(t, "cpuinfo-intel"), nil), CPU(cpuinfo(t, "cpuinfo-guest"), nil)
	for _, tt := range []struct {
		name   string
		dev    string
		cpu    Check
		lv     Libvirt
		status Status
		found  string
	}{
		{"libvirt uses KVM", dev, intel, Libvirt{Accel: "kvm"}, OK, "libvirt uses it"},
		{"this machine", dev, guest, Libvirt{Accel: "qemu", NoKVM: vm.NoHardwareVirt}, Fail, "no vmx or svm flag"},
		{"no libvirt answer, /dev/kvm without the flag", dev, guest, Libvirt{Err: errors.New("down")}, Fail, vm.NoHardwareVirt},
		{"no /dev/kvm", filepath.Join(dir, "none"), intel, Libvirt{Err: errors.New("down")}, Fail, "kvm module is not loaded"},
		{"the demo", filepath.Join(dir, "none"), guest, Libvirt{Accel: "test"}, OK, "needs no KVM"},
	} {
		c := KVM(tt.dev, tt.cpu, tt.lv)
		if c.Status != tt.status || !strings.Contains(c.Found, tt.found) {
			t.Errorf("%s: %+v", tt.name, c)
		}
	}
}

func TestLibvirtCheck(t *testing.T) {
	if c := LibvirtCheck(Libvirt{URI: "qemu:///system", Access: vm.ReadWrite}); c.Status != OK || !strings.Contains(c.Found, "read-write") {
		t.Errorf("%+v", c)
	}
	if c := LibvirtCheck(Libvirt{URI: "qemu:///system", Access: vm.ReadOnly}); c.Status != Warn || !strings.Contains(c.Fix, "hv doctor") {
		t.Errorf("%+v", c)
	}
	// An operator: read-only libvirt, changes through the hv daemon.
	if c := LibvirtCheck(Libvirt{URI: "qemu:///system", Access: vm.ReadOnly, Daemon: true}); c.Status != OK || !strings.Contains(c.Means, "hv daemon") {
		t.Errorf("%+v", c)
	}
	err := &vm.ConnectError{URI: "qemu:///system", Cause: vm.CauseNoDaemon}
	if c := LibvirtCheck(Libvirt{URI: "qemu:///system", Err: err}); c.Status != Fail || c.Fix == "" {
		t.Errorf("%+v", c)
	}
}

func TestDisk(t *testing.T) {
	const gib = 1 << 30
	for _, tt := range []struct {
		free   uint64
		status Status
	}{{200 * gib, OK}, {10 * gib, Warn}, {1 * gib, Fail}} {
		if c := DiskSpace("/var/lib/libvirt/images", "/var/lib", tt.free, 500*gib); c.Status != tt.status || !strings.Contains(c.Found, "measured at /var/lib") {
			t.Errorf("%d GiB free: %+v", tt.free/gib, c)
		}
	}
	dir := t.TempDir()
	if c := Disk(filepath.Join(dir, "not", "yet")); c.Status == Unknown || !strings.Contains(c.Found, "measured at "+dir) {
		t.Errorf("a directory to be created is measured at its parent: %+v", c)
	}
}

func TestInterfaces(t *testing.T) {
	dir, devices := t.TempDir(), t.TempDir()
	link := func(name, target string, withDevice bool) {
		real := filepath.Join(devices, target)
		os.MkdirAll(real, 0o755)
		os.WriteFile(filepath.Join(real, "operstate"), []byte("up\n"), 0o644)
		os.WriteFile(filepath.Join(real, "address"), []byte("52:54:00:12:34:56\n"), 0o644)
		if withDevice {
			os.Mkdir(filepath.Join(real, "device"), 0o755)
		}
		os.Symlink(real, filepath.Join(dir, name))
	}
	link("lo", "virtual/net/lo", false)
	link("virbr0", "virtual/net/virbr0", false)
	link("br0", "virtual/net/br0", false)
	os.Mkdir(filepath.Join(devices, "virtual", "net", "br0", "bridge"), 0o755)
	link("enp3s0", "pci0000:00/0000:00:03.0/net/enp3s0", true)
	link("wg0", "virtual/net/wg0", false)
	got, err := Interfaces(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range got {
		names = append(names, in.Name)
		if in.Physical != (in.Name == "enp3s0") {
			t.Errorf("%s: physical %v", in.Name, in.Physical)
		}
	}
	if want := []string{"enp3s0", "wg0"}; !reflect.DeepEqual(names, want) {
		t.Errorf("interfaces %v, want %v (physical first; no loopback, no bridge)", names, want)
	}
	if got[0].State != "up" || got[0].MAC == "" {
		t.Errorf("%+v", got[0])
	}
}

func TestUsers(t *testing.T) {
	users, err := Users(filepath.Join("testdata", "passwd"))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"root": true, "alice": true, "bob": true}; !reflect.DeepEqual(users, want) {
		t.Errorf("users %v", users)
	}
}
