package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/security/audit"
)

// TestAuditVerifyFindsEachTampering: hv audit verify exits 0 on an intact
// trail, and 1 with where and what on one edited, cut or reordered.
func TestAuditVerifyFindsEachTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(lines []string) []string
		want   string
	}{
		{"intact", func(l []string) []string { return l }, ""},
		{"an entry edited", func(l []string) []string {
			l[2] = strings.Replace(l[2], `"vm.destroy"`, `"vm.start"`, 1)
			return l
		}, "audit log broken at line 3: entry 3 was edited (its hash does not match its content); the entries before line 3 are intact"},
		{"an entry removed", func(l []string) []string { return append(l[:1], l[2:]...) },
			"audit log broken at line 2: entries 2 to 2 are missing: removed"},
		{"the first entries removed", func(l []string) []string { return l[2:] },
			"audit log broken at line 1: the log starts at entry 3: the entries before it were removed"},
		{"entries swapped", func(l []string) []string { l[1], l[2] = l[2], l[1]; return l },
			"audit log broken at line 2: entry 3 follows entry 1, but entry 2 is at line 3: entries were moved"},
		{"a line that is not an entry", func(l []string) []string { l[3] = "rm -rf /"; return l },
			"audit log broken at line 4: line 4 is not an audit entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := fourEntries(t)
			path := log.Path
			data, _ := os.ReadFile(path)
			lines := tt.tamper(strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"))
			os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o640)
			code, out, errOut := cli(t, "audit", "verify")
			if tt.want == "" {
				if code != exitOK || out != fmt.Sprintf("%s: 4 entries, chain intact; anchored: entry 4 in %s\n", path, log.AnchorFile) {
					t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
				}
				return
			}
			if code != exitFailure || !strings.Contains(errOut, path+": "+tt.want) || out != "" {
				t.Errorf("exit %d, stderr %q\nwant exit 1 and %q", code, errOut, tt.want)
			}
		})
	}
}

// fourEntries writes a trail of four entries where hv looks for it.
func fourEntries(t *testing.T) *audit.Log {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log", "audit.log")
	t.Setenv(audit.PathEnv, path)
	log := audit.Open(path)
	for _, a := range []string{"vm.start", "vm.shutdown", "vm.destroy", "vm.undefine"} {
		if _, err := log.Append(audit.Entry{User: "alice", Where: "qemu:///system", Action: a, Target: "web-01", Result: audit.OK}); err != nil {
			t.Fatal(err)
		}
	}
	return log
}

// TestAuditVerifyFindsTheTailGone: what the chain alone cannot show, the
// anchor outside the log does: hv audit verify exits 1 and says what was
// removed, when it was written and what to do.
func TestAuditVerifyFindsTheTailGone(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(path string)
		want   string
	}{
		{"the last entry removed", func(path string) {
			data, _ := os.ReadFile(path)
			lines := strings.SplitAfter(string(data), "\n")
			os.WriteFile(path, []byte(strings.Join(lines[:3], "")), 0o640)
		}, "the log ends at entry 3, but entry 4 was written (anchored at %s in %s): entry 4 was removed"},
		{"the log emptied", func(path string) { os.WriteFile(path, nil, 0o640) },
			"the log is empty, but entry 4 was written (anchored at %s in %s): entries 1..4 were removed"},
		{"the log deleted", func(path string) { os.Remove(path) },
			"the log is missing, but entry 4 was written (anchored at %s in %s): it was deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := fourEntries(t)
			entries, _ := log.Read()
			at := entries[3].When().UTC().Format(time.RFC3339)
			tt.tamper(log.Path)
			code, out, errOut := cli(t, "audit", "verify")
			want := "hv: " + log.Path + ": audit log broken: " + fmt.Sprintf(tt.want, at, log.AnchorFile) +
				"; fix: restore the log from a backup"
			if code != exitFailure || out != "" || !strings.HasPrefix(errOut, want) || !strings.Contains(errOut, "remove "+log.AnchorFile) {
				t.Errorf("exit %d, stdout %q, stderr %q\nwant exit 1 and %q", code, out, errOut, want)
			}
		})
	}
}

// TestAuditVerifyNotAnchored: a trail from before anchors is sound, and
// hv says nothing vouches for its end.
func TestAuditVerifyNotAnchored(t *testing.T) {
	log := fourEntries(t)
	os.Remove(log.AnchorFile)
	code, out, errOut := cli(t, "audit", "verify")
	if code != exitOK || !strings.HasPrefix(out, log.Path+": 4 entries, chain intact; not anchored") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
