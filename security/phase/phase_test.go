package phase

import (
	"errors"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/security"
)

func TestMatrix(t *testing.T) {
	const (
		A = Allow
		C = Confirm
		R = Refuse
	)
	op := func(k Kind, r security.Risk) Op { return Op{Kind: k, Risk: r} }
	tests := []struct {
		name               string
		op                 Op
		who                Who
		setup, hardened    Verdict
		hardenedWhyContain string
	}{
		{"start a VM", op(VMAction, security.Low), Operator, A, A, ""},
		{"resume a VM", op(VMAction, security.Minimal), Operator, A, A, ""},
		{"shut down a VM", op(VMAction, security.Medium), Operator, C, C, ""},
		{"force off a VM", op(VMAction, security.High), Operator, C, C, ""},
		{"delete a VM with its disks", op(VMAction, security.Critical), Operator, C, R, "in one step"},
		{"delete a VM with its disks, as root", op(VMAction, security.Critical), Root, C, R, "in one step"},
		{"pause several VMs", op(VMBulk, security.Low), Operator, A, A, ""},
		{"reboot several VMs", op(VMBulk, security.Medium), Operator, C, C, ""},
		{"force off several VMs", op(VMBulk, security.High), Operator, C, R, "one VM at a time"},
		{"delete several VMs with their disks", op(VMBulk, security.Critical), Operator, C, R, "one VM at a time"},
		{"create a VM", op(VMCreate, security.Low), Operator, A, A, ""},
		{"resize a VM", op(VMEdit, security.Medium), Operator, C, C, ""},
		{"open a console", op(VMConsole, security.Low), Operator, A, A, ""},
		{"take a snapshot", op(SnapshotCreate, security.Low), Operator, A, A, ""},
		{"revert to a snapshot", op(SnapshotRevert, security.High), Operator, C, C, ""},
		{"delete a snapshot", op(SnapshotDelete, security.High), Operator, C, C, ""},
		{"start a network", op(NetworkChange, security.Low), Operator, A, A, ""},
		{"stop a network", op(NetworkChange, security.High), Operator, C, C, ""},
		{"delete a volume", op(StorageChange, security.Critical), Operator, C, C, ""},
		{"turn on a low-risk feature", op(FeatureEnable, security.Low), Operator, A, A, ""},
		{"turn on a medium-risk feature", op(FeatureEnable, security.Medium), Operator, A, A, ""},
		{"turn on a high-risk feature", op(FeatureEnable, security.High), Operator, C, C, ""},
		{"turn on a critical feature", op(FeatureEnable, security.Critical), Operator, C, R, "critical features"},
		{"turn on a critical feature, as root", op(FeatureEnable, security.Critical), Root, C, R, "critical features"},
		{"turn a feature off", op(FeatureDisable, security.Medium), Operator, A, A, ""},
		{"turn hardening off", Op{Kind: FeatureDisable, Hardening: true}, Operator, A, R, "needs root"},
		{"turn hardening off, as root", Op{Kind: FeatureDisable, Hardening: true}, Root, A, C, ""},
		{"harden", op(PhaseHarden, 0), Operator, C, A, ""},
		{"leave the hardened phase", op(PhaseLeave, 0), Operator, A, R, "needs root"},
		{"leave the hardened phase, as root", op(PhaseLeave, 0), Root, A, C, ""},
		{"change the operators", op(OperatorsChange, 0), Operator, R, R, "needs root"},
		{"change the operators, as root", op(OperatorsChange, 0), Root, C, C, ""},
		{"an operation with no rule", op("vm.teleport", 0), Root, R, R, "no rule"},
	}
	for _, tt := range tests {
		s, h := Decide(Setup, tt.op, tt.who), Decide(Hardened, tt.op, tt.who)
		if s.Verdict != tt.setup || h.Verdict != tt.hardened {
			t.Errorf("%s: setup %v, hardened %v; want %v, %v", tt.name, s.Verdict, h.Verdict, tt.setup, tt.hardened)
		}
		if !strings.Contains(h.Why, tt.hardenedWhyContain) {
			t.Errorf("%s: hardened says %q, want it to mention %q", tt.name, h.Why, tt.hardenedWhyContain)
		}
		for _, r := range []Rule{s, h} {
			if r.Refused() && (r.Why == "" || r.Fix == "") {
				t.Errorf("%s: a refusal must say why and how to do it anyway: %+v", tt.name, r)
			}
		}
	}
}

// TestNoPhaseIsLaxerThanSetup: hardening never allows what setup refuses
// or asks about, whoever asks.
func TestHardenedIsNeverLaxer(t *testing.T) {
	for _, r := range Matrix() {
		if r.Hardened.Verdict < r.Setup.Verdict && r.Op.Kind != PhaseHarden {
			t.Errorf("%s: hardened %v is laxer than setup %v", r.What, r.Hardened.Verdict, r.Setup.Verdict)
		}
		if r.RootHardened.Verdict > r.Hardened.Verdict {
			t.Errorf("%s: root is refused what operators may do", r.What)
		}
	}
	if len(Stricter()) < 4 {
		t.Errorf("hardening should change something for operators: %+v", Stricter())
	}
}

func TestParseAndOf(t *testing.T) {
	for in, want := range map[string]Phase{"": Setup, "setup": Setup, "hardened": Hardened} {
		if p, err := Parse(in); err != nil || p != want {
			t.Errorf("Parse(%q) = %v, %v", in, p, err)
		}
	}
	if _, err := Parse("production"); err == nil || !strings.Contains(err.Error(), "setup and hardened") {
		t.Errorf("Parse of an unknown phase: %v", err)
	}
	if Of("production") != Hardened {
		t.Error("an unknown phase must count as the strictest")
	}
}

func TestRefusalIsAnErrorWithItsFix(t *testing.T) {
	r := Decide(Hardened, Op{Kind: PhaseLeave}, Operator)
	err := r.Check("phase setup", Hardened)
	var pe *Error
	if !errors.As(err, &pe) || pe.Fix() == "" || !strings.Contains(err.Error(), "needs root") {
		t.Fatalf("got %v", err)
	}
	if Decide(Setup, Op{Kind: VMAction, Risk: security.High}, Operator).Check("destroy", Setup) != nil {
		t.Error("a confirmed action is not an error")
	}
}

func TestHardenChecks(t *testing.T) {
	ok := HardenFacts{AuditPath: "/var/log/hyper-nixos/audit.log", AuditEntries: 12, Group: "hvoperators", Operators: []string{"alice"}}
	if cs := HardenChecks(ok); !Passed(cs) || Failed(cs) != "" {
		t.Fatalf("all should pass: %+v", cs)
	}
	bad := ok
	bad.Critical = []string{"remote-tcp"}
	bad.Refused = []string{"ssh-passwords"}
	bad.AuditErr = errors.New("audit log broken at line 3: entry 3 was edited")
	bad.Operators = nil
	cs := HardenChecks(bad)
	if Passed(cs) {
		t.Fatal("nothing should pass")
	}
	for _, c := range cs {
		if c.OK || c.Fix == "" || c.Detail == "" {
			t.Errorf("%s: %+v", c.Name, c)
		}
	}
	for _, want := range []string{"remote-tcp", "ssh-passwords", "line 3", "no users"} {
		if !strings.Contains(Failed(cs), want) {
			t.Errorf("Failed() = %q lacks %q", Failed(cs), want)
		}
	}
}

// TestQuestions: the one mapping from the matrix's verdict to what is
// asked, in a dialog and for a command typed on purpose.
func TestQuestions(t *testing.T) {
	tests := []struct {
		name       string
		op         Op
		ask, typed Question
	}{
		{"start", Op{Kind: VMAction, Risk: security.Low}, NoQuestion, NoQuestion},
		{"shut down", Op{Kind: VMAction, Risk: security.Medium}, YesNo, NoQuestion},
		{"force off", Op{Kind: VMAction, Risk: security.High}, YesNo, YesNo},
		{"delete keeping disks", Op{Kind: VMAction, Risk: security.High, Irreversible: true}, TypeName, TypeName},
		{"delete with disks", Op{Kind: VMAction, Risk: security.Critical}, TypeName, TypeName},
		{"volume delete", Op{Kind: StorageChange, Risk: security.Critical}, TypeName, TypeName},
		{"snapshot revert", Op{Kind: SnapshotRevert, Risk: security.High}, YesNo, YesNo},
		{"harden", Op{Kind: PhaseHarden}, YesNo, YesNo},
		{"critical feature", Op{Kind: FeatureEnable, Risk: security.Critical}, TypeName, TypeName},
		{"take a snapshot", Op{Kind: SnapshotCreate}, NoQuestion, NoQuestion},
	}
	for _, tt := range tests {
		r := Decide(Setup, tt.op, Operator)
		if r.Ask != tt.ask || r.Typed != tt.typed {
			t.Errorf("%s: asks %v, typed %v; want %v, %v", tt.name, r.Ask, r.Typed, tt.ask, tt.typed)
		}
	}
}
