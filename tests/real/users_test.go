package real

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// The real tier runs hv and its own test binary as other users; these
// helpers put files where those users can reach them and switch to them.

// sharedDir is a temporary directory other users may enter with mode
// (t.TempDir's parent is private to root), removed when t ends.
func sharedDir(t *testing.T, prefix string, mode os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

// credential is how to run a process as username, with its groups.
func credential(t testing.TB, username string) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup(username)
	if err != nil {
		t.Fatalf("user %s: %v (tests/real/daemon.sh up creates it)", username, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	groups, _ := u.GroupIds()
	var gids []uint32
	for _, g := range groups {
		n, _ := strconv.Atoi(g)
		gids = append(gids, uint32(n))
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: gids}
}

var hvBuild struct {
	once     sync.Once
	dir, bin string
	err      error
}

// buildHV builds the hv command once per run, where every user can run it.
func buildHV(t *testing.T) string {
	t.Helper()
	hvBuild.once.Do(func() {
		if hvBuild.dir, hvBuild.err = os.MkdirTemp("", "hv-bin-"); hvBuild.err != nil {
			return
		}
		os.Chmod(hvBuild.dir, 0o755)
		hvBuild.bin = filepath.Join(hvBuild.dir, "hv")
		if out, err := exec.Command("go", "build", "-o", hvBuild.bin, "github.com/hyper-nixos/hv/cmd/hv").CombinedOutput(); err != nil {
			hvBuild.err = errors.New(err.Error() + "\n" + string(out))
		}
	})
	if hvBuild.err != nil {
		t.Fatalf("building hv: %v", hvBuild.err)
	}
	return hvBuild.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if hvBuild.dir != "" {
		os.RemoveAll(hvBuild.dir)
	}
	os.Exit(code)
}

// runHV runs hv as username ("" or root: as the test itself) with a home
// of its own and env on top, and returns its output and exit code.
func runHV(t *testing.T, bin, username string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	home := sharedDir(t, "hv-home-", 0o777)
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"HOME=" + home, "XDG_STATE_HOME=" + home, "PATH=/usr/bin:/bin", "USER=" + username}, env...)
	if username != "" && username != "root" {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: credential(t, username)}
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running hv %v as %s: %v", args, username, err)
	}
	return out.String(), errOut.String(), code
}

// runHVAs runs hv as username with env, expects it to succeed and returns
// its stdout.
func runHVAs(t *testing.T, bin, username string, env []string, args ...string) string {
	t.Helper()
	out, errOut, code := runHV(t, bin, username, env, args...)
	if code != 0 {
		t.Fatalf("hv %v as %s: exit %d\n%s%s", args, username, code, out, errOut)
	}
	return out
}
