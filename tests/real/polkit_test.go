package real

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/security/polkit"
	"github.com/hyper-nixos/hv/tests/need"
)

// The real polkitd of the tier decides hv's actions: the policy file and
// the rule tests/real/daemon.sh installs from nix/polkit, as the NixOS
// module does. pkcheck, polkit's own client, is the oracle.

func authority(t testing.TB) *polkit.Authority {
	t.Helper()
	realEnv(t)
	need.Root(t, "to ask polkit about other users' processes")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := polkit.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// processOf starts a process running as username, with its groups, and
// returns it as a polkit subject; it is killed when t ends.
func processOf(t testing.TB, username string) polkit.Subject {
	t.Helper()
	cred := credential(t, username)
	cmd := exec.Command("sleep", "600")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting a process as %s: %v", username, err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	s, err := polkit.ProcessSubject(int32(cmd.Process.Pid), cred.Uid)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pkcheck is polkit's answer through its own command: yes, no, or an error.
func pkcheck(t *testing.T, s polkit.Subject, action string) (bool, error) {
	t.Helper()
	out, err := exec.Command("pkcheck", "--action-id", action, "--process", fmt.Sprintf("%d,%d,%d", s.PID, s.StartTime, s.UID)).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ee) && (ee.ExitCode() == 1 || ee.ExitCode() == 2): // not authorised; would need a password
		return false, nil
	}
	return false, fmt.Errorf("pkcheck: %v: %s", err, out)
}

// TestPolkitGrantsOperatorsEveryAction: the operator may do every hv
// action, the outsider only look; polkit's own pkcheck agrees on each.
func TestPolkitGrantsOperatorsEveryAction(t *testing.T) {
	e := realEnv(t)
	need.Tool(t, "pkcheck", "apt install pkexec, or run tests/real/daemon.sh up")
	a := authority(t)
	for _, who := range []string{e.operator, e.outsider} {
		s := processOf(t, who)
		for _, action := range polkit.Actions {
			want := who == e.operator || action.Public
			got, err := a.Check(context.Background(), s, action.ID)
			if err != nil {
				t.Errorf("%s, %s: %v", who, action.ID, err)
				continue
			}
			if got != want {
				t.Errorf("%s, %s: authorised %v, want %v (mutating: %v)", who, action.ID, got, want, action.Mutating)
			}
			oracle, err := pkcheck(t, s, action.ID)
			if err != nil || oracle != got {
				t.Errorf("%s, %s: Check says %v, pkcheck says %v (%v)", who, action.ID, got, oracle, err)
			}
		}
	}
}

// TestPolkitRefusesAReusedPID: a subject whose PID now names another
// process (its start time differs), or none, is never granted.
func TestPolkitRefusesAReusedPID(t *testing.T) {
	e := realEnv(t)
	a := authority(t)
	s := processOf(t, e.operator)
	for _, action := range []string{polkit.VMDeleteStorage, polkit.Read} {
		reused := s
		reused.StartTime++
		ok, err := a.Check(context.Background(), reused, action)
		if ok || err == nil || !strings.Contains(err.Error(), "has been replaced") {
			t.Errorf("%s for a replaced process: authorised %v, error %v; want polkit's error", action, ok, err)
		}
	}
	gone := exec.Command("true")
	gone.SysProcAttr = &syscall.SysProcAttr{Credential: credential(t, e.operator)}
	if err := gone.Start(); err != nil {
		t.Fatal(err)
	}
	s, err := polkit.ProcessSubject(int32(gone.Process.Pid), s.UID)
	if err != nil {
		t.Fatal(err)
	}
	gone.Wait()
	ok, err := a.Check(context.Background(), s, polkit.VMLifecycle)
	t.Logf("an exited process: %v", err)
	if ok || err == nil {
		t.Errorf("an exited process: authorised %v, error %v; want an error", ok, err)
	}
}

// TestPolkitRefusesUnknownActions: an action polkit does not know (a typo in
// the daemon, or a policy file not installed) is an error, not a no that
// would read as "ask an admin".
func TestPolkitRefusesUnknownActions(t *testing.T) {
	e := realEnv(t)
	a := authority(t)
	ok, err := a.Check(context.Background(), processOf(t, e.operator), "org.hyper-nixos.no-such-action")
	if ok || err == nil || !strings.Contains(err.Error(), "not registered") {
		t.Errorf("an unknown action: authorised %v, error %v", ok, err)
	}
}

// BenchmarkPolkitCheck measures one decision as the daemon would ask it, for
// the operator (granted by the rule: polkitd runs its JavaScript and looks
// up the groups) and the outsider (decided by the policy's defaults), and
// reports the median and the 99th percentile.
//
//	eval "$(tests/real/daemon.sh env)"; go test ./tests/real -run '^$' -bench PolkitCheck
func BenchmarkPolkitCheck(b *testing.B) {
	for _, who := range []string{"operator", "outsider"} {
		b.Run(who, func(b *testing.B) {
			e := realEnv(b)
			a := authority(b)
			s := processOf(b, map[string]string{"operator": e.operator, "outsider": e.outsider}[who])
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				if _, err := a.Check(context.Background(), s, polkit.VMLifecycle); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(t0))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
