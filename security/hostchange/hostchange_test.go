package hostchange

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
)

func stager(t *testing.T, applied *nix.Host) *Stager {
	t.Helper()
	dir := t.TempDir()
	paths := nix.PathsIn(dir)
	os.MkdirAll(filepath.Dir(paths.Staged), 0o755)
	if applied != nil {
		if _, err := nix.WriteHost(paths.Host, applied, nil); err != nil {
			t.Fatal(err)
		}
	}
	return &Stager{Paths: paths, Catalog: features.Builtin(), Log: audit.Open(filepath.Join(dir, "audit.log")), Where: "test",
		Now: func() time.Time { return time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC) }}
}

func yes(name string) context.Context {
	return vm.WithConfirmation(context.Background(), vm.Confirmation{How: "--yes", Name: name})
}

// TestTheStagerAsksWhatTheMatrixAsks: a change is refused without the
// answer its question wants, and the name typed must be the feature's.
func TestTheStagerAsksWhatTheMatrixAsks(t *testing.T) {
	s := stager(t, nix.NewHost("setup", []string{}))
	next := nix.NewHost("setup", []string{"console-network"}) // critical
	rule, name := Question(s.Catalog, nix.NewHost("setup", []string{}), next, phase.Operator)
	if rule.Ask != phase.TypeName || name != "console-network" {
		t.Fatalf("a critical feature asks %v %q", rule.Ask, name)
	}
	var ue *phase.Unconfirmed
	if _, err := s.Stage(context.Background(), phase.Operator, "alice", Request{Next: next, Action: "features.stage"}); !errors.As(err, &ue) {
		t.Errorf("staged without an answer: %v", err)
	}
	if _, err := s.Stage(yes("console"), phase.Operator, "alice", Request{Next: next, Action: "features.stage"}); !errors.As(err, &ue) {
		t.Errorf("staged with the wrong name typed: %v", err)
	}
	if _, err := s.Stage(yes("console-network"), phase.Operator, "alice", Request{Next: next, Action: "features.stage"}); err != nil {
		t.Errorf("staged with the name typed: %v", err)
	}
	entries, _ := s.Log.Read()
	var got []string
	for _, e := range entries {
		got = append(got, e.Result)
	}
	if strings.Join(got, ",") != "refused,refused,ok" {
		t.Errorf("the trail: %v", got)
	}
}

// TestRootsPendingStageBindsOperators: root staged the hardened phase but
// nothing is applied yet; an operator's change may not take it back.
func TestRootsPendingStageBindsOperators(t *testing.T) {
	s := stager(t, nix.NewHost("setup", []string{"ssh"}))
	hard := nix.NewHost("hardened", []string{"ssh", "audit"})
	hard.Operators.Users = []string{"alice"}
	if _, err := s.Stage(yes(""), phase.Root, "root", Request{Next: hard, Action: "phase.harden"}); err != nil {
		t.Fatal(err)
	}
	st := nix.ReadState(s.Paths)
	back := *st.Staged
	back.Phase = "setup"
	_, err := s.Stage(yes(""), phase.Operator, "alice", Request{Next: &back, Expected: st.StagedRaw, Action: "features.stage"})
	var r *Refusal
	if !errors.As(err, &r) || !strings.Contains(err.Error(), "needs root") {
		t.Fatalf("an operator undoing root's pending hardening: %v", err)
	}
}
