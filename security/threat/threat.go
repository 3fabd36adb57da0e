// Package threat holds the vocabulary of hv's threat detection: the log
// record every source produces, the severity scale, and the finding every
// detector emits. The work is done in its subpackages: logline parses
// syslog lines, rules loads detection rules, engine runs them, anomaly
// learns each VM's normal behaviour, intel holds blocklists, response runs
// playbooks, store keeps findings, source reads journald, files, libvirt
// events and VM metrics, and monitor ties them into the daemon.
package threat

import (
	"fmt"
	"strings"
	"time"
)

// Severity orders findings. The zero value is Info.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity accepts the names String returns, in any case.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames[:], ", "))
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Severities lists every severity, lowest first.
func Severities() []Severity { return []Severity{Info, Low, Medium, High, Critical} }

// Record is one event as a source read it: a log line, a journal entry, a
// libvirt event. Message is untrusted: attackers choose parts of it.
type Record struct {
	Time    time.Time
	Host    string
	Program string // syslog identifier: "sshd", "sshd-session", "kernel", "libvirtd"...
	PID     int
	Message string
	Source  string // where it came from: a file path, "journal", "libvirt"
	Line    int    // 1-based line number within a file source; 0 otherwise
}

// Kind says how a finding came about.
type Kind string

const (
	KindMatch     Kind = "match"     // one record matched a rule
	KindThreshold Kind = "threshold" // a rule matched N times in T for one key
	KindAnomaly   Kind = "anomaly"   // a VM metric left its learned baseline
)

// Finding is what detection reports. Fields extracted from logs (User, VM,
// Evidence) are untrusted text: sanitise before drawing them.
type Finding struct {
	ID       int64 // assigned by the store; 0 until stored
	Time     time.Time
	Rule     string
	Title    string
	Severity Severity
	Kind     Kind
	MITRE    string
	Tags     []string

	IP      string // source address, validated
	User    string
	VM      string
	Service string
	Fields  map[string]string // any other extracted fields

	Count    int    // events behind a threshold finding; 1 for a match
	Evidence string // the record's message, or a description
	Source   string
	Line     int
	Intel    string // the blocklist that matched, if any

	State  State // open, acknowledged, resolved
	Action string
}

// HasTag reports whether the finding carries tag t.
func (f *Finding) HasTag(t string) bool {
	for _, x := range f.Tags {
		if x == t {
			return true
		}
	}
	return false
}

// Activity reports whether f records normal activity (a login, a sudo
// command: its rule is tagged TagActivity): kept for the record, never
// ranked among a dashboard's sources and targets. A threshold on such a
// rule (a reboot loop) is no longer activity.
func (f *Finding) Activity() bool { return f.Kind == KindMatch && f.HasTag(TagActivity) }

// State is where an operator is with a finding.
type State string

const (
	Open         State = "open"
	Acknowledged State = "acknowledged"
	Resolved     State = "resolved"
)

// TagAuthFailure marks every per-line authentication failure, whatever the
// service: the tag fail2ban-style counting and brute-force correlation use.
const TagAuthFailure = "auth-failure"

// TagActivity marks rules that record normal activity rather than a threat
// (Finding.Activity).
const TagActivity = "activity"
