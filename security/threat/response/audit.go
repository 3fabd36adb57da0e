package response

import (
	"context"
	"strings"
	"time"

	"github.com/hyper-nixos/hv/security/audit"
)

// Auditor records every action a playbook takes or would take.
type Auditor interface {
	Record(ctx context.Context, e AuditEntry) error
}

// AuditEntry is one playbook action.
type AuditEntry struct {
	Time     time.Time
	Actor    string // the operator, or "hv-monitor"
	Action   string // block-ip, pause-vm, unblock-ip...
	Target   string
	Playbook string
	Finding  int64
	Mode     string // monitor (recorded only), enforce, undo
	Result   string // "ok", "would <action>", or the error
}

// Trail writes playbook actions to hv's hash-chained audit trail, as
// threat.<action> (threat.monitor.<action> for what a monitor-only
// playbook would have done). Calls to the hypervisor a playbook makes
// (pause, snapshot) are recorded by the trail's own wrapper as well.
type Trail struct {
	Log   *audit.Log
	Where string
}

func (t *Trail) Record(_ context.Context, e AuditEntry) error {
	action := "threat." + e.Action
	if e.Mode == "monitor" {
		action = "threat.monitor." + e.Action
	}
	target := e.Target
	if e.Playbook != "" {
		target += " (playbook " + e.Playbook + ")"
	}
	ent := audit.Entry{User: e.Actor, Where: t.Where, Action: action, Target: target, Result: audit.OK}
	if e.Mode != "monitor" && e.Result != "ok" && !strings.HasPrefix(e.Result, "ok; ") {
		ent.Result, ent.Error = audit.Failed, e.Result
		if strings.HasPrefix(e.Result, ErrUnavailable.Error()+": ") {
			ent.Result = audit.Refused
		}
	}
	if !e.Time.IsZero() {
		ent.Time = e.Time.UTC().Format(time.RFC3339Nano)
	}
	_, err := t.Log.Append(ent)
	return err
}
