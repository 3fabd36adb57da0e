// Package need lets a test say what it needs from the machine: a command,
// root, a prepared setting. Under tests/run, which installs and starts all
// of it and sets HV_REQUIRE_ALL=1, a missing need fails the test, so no
// tier is skipped in CI by accident; under a plain `go test` it skips the
// test and says how to include it.
package need

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// Strict reports whether every tier must run.
func Strict() bool { return os.Getenv("HV_REQUIRE_ALL") == "1" }

// Missing skips t with msg, or fails it when every tier must run.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if Strict() {
		t.Fatal(msg + " (HV_REQUIRE_ALL=1: tests/run should have set this up)")
	}
	t.Skip(msg)
}

// Tool returns the path of the command name, or calls Missing saying what
// the test does with it and how to install it.
func Tool(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not on PATH ("+install+")")
	}
	return path
}

// Root calls Missing unless the test runs as root; why says what for.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "needs root "+why)
	}
}

// Lock holds the exclusive lock at path until t ends: tests of different
// packages (which go test runs side by side) that change the same
// machine state take turns. It waits for the lock as long as it takes.
func Lock(t testing.TB, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("lock %s: %v", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("lock %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
}
