package polkit

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestProcessSubjectOfThisProcess: the start time is /proc/self/stat's
// field 22, read the way the kernel documents it.
func TestProcessSubjectOfThisProcess(t *testing.T) {
	s, err := ProcessSubject(int32(os.Getpid()), 1234)
	if err != nil {
		t.Fatal(err)
	}
	stat, _ := os.ReadFile("/proc/self/stat")
	fields := strings.Fields(string(stat)) // this test binary's name has no spaces
	if s.PID != uint32(os.Getpid()) || s.UID != 1234 || fields[21] != itoa(s.StartTime) || s.StartTime == 0 {
		t.Errorf("ProcessSubject = %+v; /proc/self/stat field 22 is %s", s, fields[21])
	}
}

// TestProcessSubjectWithAHostileName: a process may name itself with
// spaces and parentheses to shift the fields a naive parser reads.
func TestProcessSubjectWithAHostileName(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep on PATH")
	}
	hostile := filepath.Join(t.TempDir(), "a b) (c")
	copyFile(t, sleep, hostile)
	cmd := exec.Command(hostile, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	stat, _ := os.ReadFile("/proc/" + itoa(uint64(cmd.Process.Pid)) + "/stat")
	if !strings.Contains(string(stat), "(a b) (c)") {
		t.Fatalf("the kernel names the process differently: %s", stat)
	}
	s, err := ProcessSubject(int32(cmd.Process.Pid), 0)
	if err != nil {
		t.Fatal(err)
	}
	// It started after this process and before the next one. Counted from
	// the start of the line, field 22 would be field 20 (two extra words in
	// the name): the number of threads, 1.
	self, _ := ProcessSubject(int32(os.Getpid()), 0)
	later := exec.Command(sleep, "60")
	if err := later.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { later.Process.Kill(); later.Wait() })
	next, err := ProcessSubject(int32(later.Process.Pid), 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.StartTime < self.StartTime || s.StartTime > next.StartTime {
		t.Errorf("start time %d, not between %d (this process) and %d (one started after it): fields were miscounted", s.StartTime, self.StartTime, next.StartTime)
	}
}

func TestProcessSubjectOfNoProcess(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	_, err := ProcessSubject(int32(cmd.Process.Pid), 0) // exited and reaped
	if err == nil || !strings.Contains(err.Error(), "has exited") {
		t.Errorf("got %v, want: process has exited", err)
	}
	if _, err := ProcessSubject(0, 0); err == nil {
		t.Error("pid 0 accepted")
	}
}

func TestStartTimeOfDamagedStat(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"no name":    "42 sleep S 1 2 3",
		"too short":  "42 (sleep) S 1 2 3",
		"not number": "42 (sleep) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x 20",
	} {
		path := filepath.Join(dir, "stat")
		os.WriteFile(path, []byte(content), 0o600)
		if n, err := startTime(path); err == nil {
			t.Errorf("%s: start time %d, want an error", name, n)
		}
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
