package nix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLibvirtURI(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if uri, err := LibvirtURI(filepath.Join(dir, "missing.toml")); uri != "" || err != nil {
		t.Errorf("missing file: %q, %v; want no URI and no error", uri, err)
	}
	if uri, err := LibvirtURI(write("ok.toml", "[libvirt]\nuri = \"qemu+ssh://hv1/system\"\n")); uri != "qemu+ssh://hv1/system" || err != nil {
		t.Errorf("got %q, %v", uri, err)
	}
	_, err := LibvirtURI(write("bad.toml", "[libvirt\nuri = 1\n"))
	if err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("corrupt file: error %v, want one naming line 1", err)
	}
}
