package uitest

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Live runs a model the way Bubble Tea does, for tests against a live
// backend where events and ticks keep coming: commands run concurrently and
// their messages are handed to update one at a time, on the test's
// goroutine, so the test may read the model between messages.
type Live struct {
	t      testing.TB
	update func(tea.Msg) tea.Cmd
	msgs   chan tea.Msg
	stop   chan struct{}
}

// NewLive starts init and returns the loop; it stops with the test.
func NewLive(t testing.TB, update func(tea.Msg) tea.Cmd, init tea.Cmd) *Live {
	l := &Live{t: t, update: update, msgs: make(chan tea.Msg, 256), stop: make(chan struct{})}
	t.Cleanup(func() { close(l.stop) })
	l.start(init)
	return l
}

func (l *Live) start(cmd tea.Cmd) {
	if cmd != nil {
		go l.deliver(cmd)
	}
}

// deliver runs cmd and hands its message to the loop, unpacking batches
// (concurrently) and sequences (in order), as Bubble Tea does.
func (l *Live) deliver(cmd tea.Cmd) {
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			l.start(c)
		}
		return
	}
	if seq := sequence(msg); seq != nil {
		for _, c := range seq {
			if c != nil {
				l.deliver(c)
			}
		}
		return
	}
	if msg == nil {
		return
	}
	select {
	case l.msgs <- msg:
	case <-l.stop:
	}
}

// Send hands msg to the model now, as a key press or a resize would come.
func (l *Live) Send(msgs ...tea.Msg) {
	for _, msg := range msgs {
		l.start(l.update(msg))
	}
}

// Until runs the loop until ok holds (checked after every message) or d
// passes; then the test fails, saying what it waited for and showing
// screen.
func (l *Live) Until(what string, d time.Duration, ok func() bool, screen func() string) {
	l.t.Helper()
	if !l.For(d, ok) {
		l.t.Fatalf("%s did not happen within %v; the screen shows:\n%s", what, d, screen())
	}
}

// For runs the loop for up to d, returning early (true) once ok holds.
// A nil ok runs the loop for all of d.
func (l *Live) For(d time.Duration, ok func() bool) bool {
	timeout := time.After(d)
	for {
		if ok != nil && ok() {
			return true
		}
		select {
		case msg := <-l.msgs:
			l.start(l.update(msg))
		case <-timeout:
			return false
		}
	}
}
