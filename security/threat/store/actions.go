package store

import (
	"context"
	"fmt"
	"time"
)

// Action is a response taken, or that would have been taken in
// monitor-only mode.
type Action struct {
	ID       int64
	Time     time.Time
	Finding  int64
	Playbook string
	Action   string // block-ip, pause-vm, snapshot-vm, isolate-vm, notify
	Target   string // the address or VM
	Mode     string // "monitor" (recorded only) or "enforce"
	Result   string // "ok", or the error
	Undo     string // how to reverse it, empty when nothing to undo
	Undone   bool
}

// AddAction records an action and sets its ID.
func (s *Store) AddAction(ctx context.Context, a *Action) error {
	res, err := s.conn().ExecContext(ctx, `INSERT INTO actions(time, finding, playbook, action, target, mode, result, undo) VALUES (?,?,?,?,?,?,?,?)`,
		a.Time.UnixNano(), a.Finding, a.Playbook, a.Action, a.Target, a.Mode, a.Result, a.Undo)
	if err != nil {
		return err
	}
	a.ID, err = res.LastInsertId()
	return err
}

const actionColumns = `SELECT id, time, finding, playbook, action, target, mode, result, undo, undone FROM actions`

// Actions returns the latest actions, newest first.
func (s *Store) Actions(ctx context.Context, limit int) ([]Action, error) {
	return s.actions(ctx, actionColumns+` ORDER BY id DESC LIMIT ?`, limit)
}

// Action returns one action by its id.
func (s *Store) Action(ctx context.Context, id int64) (Action, error) {
	as, err := s.actions(ctx, actionColumns+` WHERE id = ?`, id)
	if err != nil {
		return Action{}, err
	}
	if len(as) == 0 {
		return Action{}, fmt.Errorf("no action %d in the findings database (see 'hv threats actions')", id)
	}
	return as[0], nil
}

// Notifications returns the notifications carried out after action id
// after, oldest first.
func (s *Store) Notifications(ctx context.Context, after int64, limit int) ([]Action, error) {
	return s.actions(ctx, actionColumns+` WHERE id > ? AND action = 'notify' AND mode = 'enforce' AND result LIKE 'ok%' ORDER BY id LIMIT ?`, after, limit)
}

func (s *Store) actions(ctx context.Context, query string, args ...any) ([]Action, error) {
	rows, err := s.conn().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var t int64
		if err := rows.Scan(&a.ID, &t, &a.Finding, &a.Playbook, &a.Action, &a.Target, &a.Mode, &a.Result, &a.Undo, &a.Undone); err != nil {
			return nil, err
		}
		a.Time = time.Unix(0, t)
		out = append(out, a)
	}
	return out, rows.Err()
}

// MarkUndone records that an action was reversed.
func (s *Store) MarkUndone(ctx context.Context, id int64) error {
	_, err := s.conn().ExecContext(ctx, `UPDATE actions SET undone = 1 WHERE id = ?`, id)
	return err
}
