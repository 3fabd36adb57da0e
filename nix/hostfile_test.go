package nix

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/tests/need"
)

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

const minimal = "version = 1\nphase = \"setup\"\nfeatures = []\n"

func TestLibvirtURI(t *testing.T) {
	dir := t.TempDir()
	if uri, err := LibvirtURI(filepath.Join(dir, "missing.toml")); uri != "" || err != nil {
		t.Errorf("missing file: %q, %v; want no URI and no error", uri, err)
	}
	ok := filepath.Join(dir, "ok.toml")
	write(t, ok, minimal+"[libvirt]\nuri = \"qemu+ssh://hv1/system\"\n")
	if uri, err := LibvirtURI(ok); uri != "qemu+ssh://hv1/system" || err != nil {
		t.Errorf("got %q, %v", uri, err)
	}
	bad := filepath.Join(dir, "bad.toml")
	write(t, bad, "[libvirt\nuri = 1\n")
	if _, err := LibvirtURI(bad); err == nil || !strings.Contains(err.Error(), "line 1") || !strings.Contains(err.Error(), bad) {
		t.Errorf("corrupt file: error %v, want one naming the file and line 1", err)
	}
}

// unchanged fails the test if path no longer holds want.
func unchanged(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the file is gone: %v", err)
	}
	if string(got) != want {
		t.Errorf("the file changed:\n%s\nwant\n%s", got, want)
	}
}

// noLeftovers fails if a write left temporary files in dir.
func noLeftovers(t *testing.T, dir string, keep ...string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".lock") && !slices.Contains(keep, name) {
			t.Errorf("left behind: %s", name)
		}
	}
}

func TestWriteHostCreatesThenComparesAndSwaps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "host.toml")
	first, err := WriteHost(path, NewHost("setup", []string{"ssh"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	h, raw, err := ReadHost(path)
	if err != nil || string(raw) != string(first) || h.Features[0] != "ssh" {
		t.Fatalf("read back %+v, %v", h, err)
	}
	if _, err := WriteHost(path, NewHost("setup", []string{"ssh", "audit"}), first); err != nil {
		t.Fatalf("a write with the current contents should pass: %v", err)
	}
	now, _ := os.ReadFile(path)
	// A writer holding the old contents (another operator) is refused.
	_, err = WriteHost(path, NewHost("setup", nil), first)
	if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "changed since hv read it") {
		t.Errorf("stale write: %v, want ErrChanged", err)
	}
	unchanged(t, path, string(now))
	// So is one that thinks the file does not exist yet.
	if _, err := WriteHost(path, NewHost("setup", nil), nil); !errors.Is(err, ErrChanged) {
		t.Errorf("write expecting no file: %v, want ErrChanged", err)
	}
	unchanged(t, path, string(now))
	noLeftovers(t, filepath.Dir(path), "host.toml")
}

// TestNeverOverwritesAnUnreadableFile: corrupt files, unknown versions and
// datetimes are reported; the file stays as it was.
func TestNeverOverwritesAnUnreadableFile(t *testing.T) {
	for name, body := range map[string]string{
		"corrupt":       "version = 1\nphase = [\n",
		"newer version": "version = 3\nphase = \"setup\"\nfeatures = []\n",
		"datetime":      minimal + "[meta]\nupdated = 2026-11-26T12:00:00Z\n",
		"unknown key":   minimal + "colour = \"blue\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "host.toml")
			write(t, path, body)
			_, err := UpdateHost(path, func(*Host, []byte) (*Host, error) { return NewHost("setup", nil), nil })
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(fe.Fix(), "will not overwrite") {
				t.Errorf("got %v, want a FileError saying hv will not overwrite the file", err)
			}
			unchanged(t, path, body)
		})
	}
}

func TestUnwritablePaths(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "plain-file")
	write(t, notDir, "x")
	aDir := filepath.Join(dir, "a-directory")
	if err := os.Mkdir(aDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, fix string
	}{
		{"parent is a file", filepath.Join(notDir, "host.toml"), "is not a directory"},
		{"missing directory", filepath.Join(dir, "nowhere", "host.toml"), "does not exist"},
		{"target is a directory", aDir, "directories"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WriteHost(tt.path, NewHost("setup", nil), nil)
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(fe.Fix(), tt.fix) {
				t.Errorf("got %v (fix %q), want a fix saying %q", err, fixOf(err), tt.fix)
			}
		})
	}
	noLeftovers(t, dir, "plain-file", "a-directory")
	if entries, _ := os.ReadDir(aDir); len(entries) != 0 {
		t.Errorf("the directory target got files: %v", entries)
	}
}

func fixOf(err error) string {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe.Fix()
	}
	return ""
}

// TestReadOnlyDirectory needs a user the kernel holds to permissions. Root
// is not one, so as root (as under tests/run) the test re-runs itself
// without the capability that lets root write anywhere.
func TestReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 && os.Getenv("HV_TEST_NO_DAC") == "" {
		setpriv := need.Tool(t, "setpriv", "Debian: util-linux; it drops root's right to ignore permissions")
		cmd := exec.Command(setpriv, "--bounding-set=-dac_override,-dac_read_search", os.Args[0], "-test.run=^TestReadOnlyDirectory$", "-test.v")
		cmd.Env = append(os.Environ(), "HV_TEST_NO_DAC=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestReadOnlyDirectory") {
			t.Fatalf("as root without CAP_DAC_OVERRIDE: %v\n%s", err, out)
		}
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "host.toml")
	write(t, path, minimal)
	write(t, path+".lock", "")
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	_, err := UpdateHost(path, func(*Host, []byte) (*Host, error) { return NewHost("hardened", nil), nil })
	if !strings.Contains(fixOf(err), "you may not write") {
		t.Errorf("got %v, want the permission fix", err)
	}
	unchanged(t, path, minimal)
}

func TestReadHostRefusesWhatIsNotAHostFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.toml")
	write(t, target, minimal)
	link := filepath.Join(dir, "link.toml")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadHost(link); err == nil {
		t.Error("a symlink was followed: the staged file sits in a directory operators write, and root reads it")
	}
	if _, _, err := ReadHost("/dev/null"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/null: %v", err)
	}
	big := filepath.Join(dir, "big.toml")
	write(t, big, minimal+"# "+strings.Repeat("x", maxHostFile)+"\n")
	if _, _, err := ReadHost(big); err == nil || !strings.Contains(err.Error(), "more than a host file can be") {
		t.Errorf("a huge file: %v", err)
	}
	if _, _, err := ReadHost(filepath.Join(dir, "none.toml")); !errors.Is(err, ErrNoHostFile) {
		t.Errorf("a missing file: %v, want ErrNoHostFile", err)
	}
}

func TestLockIsExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "host.toml")
	old := LockTimeout
	LockTimeout = 200 * time.Millisecond
	t.Cleanup(func() { LockTimeout = old })
	unlock, err := lock(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = WriteHost(path, NewHost("setup", nil), nil)
	if err == nil || !strings.Contains(err.Error(), "held its lock") {
		t.Errorf("a write while another holds the lock: %v", err)
	}
	unlock()
	if _, err := WriteHost(path, NewHost("setup", nil), nil); err != nil {
		t.Errorf("after unlock: %v", err)
	}
}

func TestApplyResultRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "last-apply.json")
	if r, err := ReadApplyResult(path); r != nil || err != nil {
		t.Errorf("no result yet: %v, %v", r, err)
	}
	want := &ApplyResult{Status: ApplyFailed, Message: "the rebuild failed", Started: "2026-11-26T12:00:00Z",
		Finished: "2026-11-26T12:03:00Z", Output: []string{"error: \x1b[31mboom"}}
	if err := WriteApplyResult(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadApplyResult(path)
	if err != nil || got.Status != want.Status || got.Output[0] != want.Output[0] || got.OK() {
		t.Errorf("got %+v, %v", got, err)
	}
}

// TestStagedFileTakesTheDirectorysGroup: the staging directory is setgid
// to the operators, who read what the daemon stages there; the file must
// be made in that directory, not in /tmp and moved, or it keeps root's
// group and the operators cannot read it.
func TestStagedFileTakesTheDirectorysGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the directory another group")
	}
	dir := filepath.Join(t.TempDir(), "staged")
	os.Mkdir(dir, 0o750)
	const nogroup = 65534
	if err := os.Chown(dir, 0, nogroup); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o750|os.ModeSetgid)
	path := filepath.Join(dir, "host.toml")
	if _, err := WriteHost(path, NewHost("setup", []string{}), nil); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if gid := info.Sys().(*syscall.Stat_t).Gid; gid != nogroup || info.Mode().Perm() != 0o640 {
		t.Errorf("the staged file has group %d, mode %v; want the directory's group %d, 0640", gid, info.Mode().Perm(), nogroup)
	}
}
