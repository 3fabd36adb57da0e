package phase

import (
	"fmt"
	"strings"
)

// HardenFacts are what the pre-checks of hardening look at. Callers read
// them (the selection, the audit log, the host file) and pass them in.
type HardenFacts struct {
	// Critical are the enabled features of critical risk; Refused the
	// other enabled features the hardened phase does not allow.
	Critical, Refused []string
	// AuditPath is the audit trail; AuditErr what audit.Log.Verify said
	// of it (nil: the chain is intact) and AuditEntries how many it checked.
	AuditPath    string
	AuditEntries int
	AuditErr     error
	// Group and Operators are the host file's operators.
	Group     string
	Operators []string
}

// Check is one pre-check: its name, whether it passes, what was found,
// and the fix when it does not pass.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// HardenChecks are the conditions for moving to the hardened phase: no
// critical feature (nor any other the phase refuses), an intact audit
// trail (hardening a host whose record was tampered with would bless the
// tampering), and operators defined (someone must be able to run it).
func HardenChecks(f HardenFacts) []Check {
	checks := []Check{
		{Name: "No critical feature is on", OK: len(f.Critical) == 0, Detail: "none"},
		{Name: "No other feature the hardened phase refuses is on", OK: len(f.Refused) == 0, Detail: "none"},
		{Name: "The audit trail is intact", OK: f.AuditErr == nil},
		{Name: "Operators are defined", OK: len(f.Operators) > 0},
	}
	if !checks[0].OK {
		checks[0].Detail = "critical features are on: " + strings.Join(f.Critical, ", ")
		checks[0].Fix = "turn them off first: hv features disable " + strings.Join(f.Critical, " ")
	}
	if !checks[1].OK {
		checks[1].Detail = "features the hardened phase refuses are on: " + strings.Join(f.Refused, ", ")
		checks[1].Fix = "turn them off first (hv features disable " + strings.Join(f.Refused, " ") + "); make sure you still have a way in"
	}
	if f.AuditErr == nil {
		checks[2].Detail = fmt.Sprintf("%s: %d entries, chain intact", f.AuditPath, f.AuditEntries)
	} else {
		checks[2].Detail = f.AuditErr.Error()
		checks[2].Fix = "find out what happened ('hv audit verify' says where, 'hv audit show' what); root must examine the log and move it aside before the host is hardened"
	}
	if len(f.Operators) > 0 {
		checks[3].Detail = "group " + f.Group + ": " + strings.Join(f.Operators, ", ")
	} else {
		checks[3].Detail = "group " + f.Group + " has no users in the host file"
		checks[3].Fix = "as root, name the operators (hv wizard, or operators.users in the host file) and apply"
	}
	return checks
}

// Passed reports whether every check passes.
func Passed(checks []Check) bool {
	for _, c := range checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Failed says what fails, in one line.
func Failed(checks []Check) string {
	var what []string
	for _, c := range checks {
		if !c.OK {
			what = append(what, c.Detail)
		}
	}
	return strings.Join(what, "; ")
}
