package vm

import "testing"

func TestResolveURIOrder(t *testing.T) {
	tests := []struct{ flag, env, host, want, source string }{
		{"test:///default", "qemu:///session", "qemu+ssh://h/system", "test:///default", "--connect"},
		{"", "qemu:///session", "qemu+ssh://h/system", "qemu:///session", "$LIBVIRT_DEFAULT_URI"},
		{"", "", "qemu+ssh://h/system", "qemu+ssh://h/system", "host configuration"},
		{"", "", "", "qemu:///system", "default"},
	}
	for _, tt := range tests {
		got, src := ResolveURI(tt.flag, tt.env, tt.host)
		if got != tt.want || src != tt.source {
			t.Errorf("ResolveURI(%q,%q,%q) = %q (%s), want %q (%s)", tt.flag, tt.env, tt.host, got, src, tt.want, tt.source)
		}
	}
}
