package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/security/audit"
)

// The answers to a dangerous question, as the audit trail records them.
const (
	AnswerConfirmed = audit.Confirmed
	AnswerDeclined  = audit.Declined
	AnswerWrongName = audit.WrongName
)

// answerLog records the answer to one dangerous question through
// Common.RecordAnswer: the audit trail holds who confirmed a force off, or
// typed the wrong name, not only what ran.
type answerLog struct {
	c              *Common
	action, target string
}

// then records answer, then runs next (the action, or nothing). The
// record comes first: an action never runs ahead of its confirmation's
// entry. A record that fails is shown, and does not stop the action.
func (a answerLog) then(answer string, next tea.Cmd) tea.Cmd {
	if a.c == nil || a.c.RecordAnswer == nil {
		return next
	}
	rec, action, target := a.c.RecordAnswer, a.action, a.target
	write := func() tea.Msg {
		if err := rec(action, target, answer); err != nil {
			return ErrorMsg{Err: fmt.Errorf("the answer was not written to the audit trail: %w", err)}
		}
		return nil
	}
	if next == nil {
		return write
	}
	return tea.Sequence(write, next)
}
