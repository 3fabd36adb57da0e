package libvirt

import (
	"testing"
)

func caps(features string) string {
	return `<capabilities><host><cpu><arch>x86_64</arch><model>Broadwell</model>` + features + `</cpu></host>
<guest><os_type>hvm</os_type><arch name='x86_64'><emulator>/usr/bin/qemu-system-x86_64</emulator>
<domain type='qemu'/><domain type='kvm'/></arch></guest></capabilities>`
}

func TestPickGuestUsesKVMOnlyWithHardwareSupport(t *testing.T) {
	for _, tt := range []struct {
		name, caps, accel, want string
	}{
		{"vmx host", caps(`<feature name='vmx'/>`), "", "kvm"},
		{"svm host", caps(`<feature name='svm'/>`), "", "kvm"},
		{"a VM without nested virtualisation", caps(`<feature name='hypervisor'/>`), "", "qemu"},
		{"forced to TCG", caps(`<feature name='vmx'/>`), "tcg", "qemu"},
		{"forced to KVM", caps(``), "kvm", "kvm"},
	} {
		t.Setenv("HV_ACCEL", tt.accel)
		g, err := pickGuest(tt.caps)
		if err != nil || g.domainType != tt.want || g.arch != "x86_64" || g.emulator == "" {
			t.Errorf("%s: picked %+v, %v; want %s", tt.name, g, err, tt.want)
		}
		if (g.domainType == "qemu") != (g.noKVM != "") {
			t.Errorf("%s: why not KVM: %q", tt.name, g.noKVM)
		}
	}
}
