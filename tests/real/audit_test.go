package real

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/tests/need"
)

// TestAuditAnchorWithoutTheRightToIt: as the NixOS module lays the trail
// out today, operators may append to the log but not write root's anchor.
// Their entries are kept (the anchor stays behind, which is no alarm), and
// root's next entry anchors the whole log again, so its end is guarded.
func TestAuditAnchorWithoutTheRightToIt(t *testing.T) {
	e := realEnv(t)
	need.Root(t, "to lay the trail out as the module does and switch to the operator")
	g, err := user.LookupGroup("hvoperators")
	if err != nil {
		t.Fatal(err)
	}
	gid, _ := strconv.Atoi(g.Gid)
	dir := sharedDir(t, "hv-audit-", 0o755) // root's: the anchor's directory cannot be made here by others
	logs := filepath.Join(dir, "log")
	os.Mkdir(logs, 0o770)
	os.Chown(logs, 0, gid)
	path := filepath.Join(logs, "audit.log")
	log := audit.Open(path)
	if _, err := log.Append(audit.Entry{User: "root", Action: "vm.start", Target: "a", Result: audit.OK}); err != nil {
		t.Fatal(err)
	}
	os.Chown(path, 0, gid)
	os.Chmod(path, 0o660)

	out, err := runAs(t, e.operator, "^TestAuditAppendAsOperator$", []string{"HV_REAL_AUDIT_LOG=" + path})
	if err != nil {
		t.Fatalf("as %s: %v\n%s", e.operator, err, out)
	}
	if n, err := log.Verify(); err != nil || n != 2 {
		t.Fatalf("after the operator's entry: Verify = %d, %v", n, err)
	}
	if found, _, _ := log.Anchors(); len(found) != 1 || found[0].Seq != 1 {
		t.Errorf("the anchor root wrote: %+v, want entry 1 still", found)
	}

	if _, err := log.Append(audit.Entry{User: "root", Action: "vm.stop", Target: "a", Result: audit.OK}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	os.WriteFile(path, []byte(strings.Join(lines[:2], "")), 0o660)
	if _, err := log.Verify(); err == nil || !strings.Contains(err.Error(), "the log ends at entry 2, but entry 3 was written") {
		t.Errorf("root's entry removed: Verify = %v", err)
	}
}

// TestAuditAppendAsOperator is run by TestAuditAnchorWithoutTheRightToIt
// as the operator.
func TestAuditAppendAsOperator(t *testing.T) {
	path := os.Getenv("HV_REAL_AUDIT_LOG")
	if path == "" {
		t.Skip("run by TestAuditAnchorWithoutTheRightToIt as the operator")
	}
	log := audit.Open(path)
	if _, err := log.Append(audit.Entry{User: "hvop", Action: "vm.start", Target: "b", Result: audit.OK}); err != nil {
		t.Fatalf("an operator's entry: %v", err)
	}
	if _, err := os.Stat(log.AnchorFile); err != nil {
		t.Fatalf("the operator cannot even see root's anchor: %v", err)
	}
	if n, err := log.Verify(); err != nil || n != 2 {
		t.Errorf("Verify as the operator = %d, %v", n, err)
	}
}
