package polkit

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite nix/polkit/org.hyper-nixos.policy from Actions")

const policyFile = "../../nix/polkit/org.hyper-nixos.policy"

// TestPolicyFileIsGenerated: the policy file the NixOS module and the real
// tier install is exactly what the catalogue generates.
func TestPolicyFileIsGenerated(t *testing.T) {
	want := Policy()
	if *update {
		if err := os.WriteFile(policyFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(policyFile)
	if err != nil {
		t.Fatalf("%v (go test ./security/polkit -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from Actions: run go test ./security/polkit -update and review the diff", policyFile)
	}
}

// TestPolicyDefaults: only reading is open to everyone; every other action,
// reading the audit trail included, needs a rule.
func TestPolicyDefaults(t *testing.T) {
	var doc struct {
		Actions []struct {
			ID       string `xml:"id,attr"`
			Message  string `xml:"message"`
			Defaults struct {
				Any      string `xml:"allow_any"`
				Inactive string `xml:"allow_inactive"`
				Active   string `xml:"allow_active"`
			} `xml:"defaults"`
		} `xml:"action"`
	}
	if err := xml.Unmarshal(Policy(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Actions) != 13 {
		t.Fatalf("the policy has %d actions, want the 13 of the catalogue", len(doc.Actions))
	}
	seen := map[string]bool{}
	for _, a := range doc.Actions {
		d := a.Defaults.Any + "/" + a.Defaults.Inactive + "/" + a.Defaults.Active
		want := "no/no/auth_admin"
		if a.ID == Read {
			want = "yes/yes/yes"
		}
		if d != want {
			t.Errorf("%s defaults to %s, want %s", a.ID, d, want)
		}
		if !strings.HasPrefix(a.ID, "org.hyper-nixos.") || a.Message == "" || seen[a.ID] {
			t.Errorf("action %q: ids are unique, under org.hyper-nixos. (the rule grants that prefix), with a message", a.ID)
		}
		seen[a.ID] = true
	}
	for _, id := range []string{Read, VMLifecycle, VMCreate, VMEdit, VMDelete, VMDeleteStorage, VMConsole, Snapshot, Network, Storage, FeatureStage, AuditRead} {
		if !seen[id] {
			t.Errorf("%s is not in the policy", id)
		}
	}
}

// TestOnlyReadingIsHarmless: the daemon treats every action but the two
// reads as a change (audited, phase-checked).
func TestOnlyReadingIsHarmless(t *testing.T) {
	for _, a := range Actions {
		reads := a.ID == Read || a.ID == AuditRead
		if a.Mutating == reads {
			t.Errorf("%s: Mutating = %v", a.ID, a.Mutating)
		}
	}
}
