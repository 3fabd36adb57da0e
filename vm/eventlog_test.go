package vm

import "testing"

func TestEventLogKeepsTheNewestPerVM(t *testing.T) {
	l := NewEventLog(4)
	for _, e := range []Event{{UUID: "a", Kind: EventStarted}, {UUID: "b"}, {UUID: "a", Kind: EventSuspended},
		{UUID: "a", Kind: EventResumed}, {UUID: "a", Kind: EventStopped}} {
		l.Add(e)
	}
	got := l.Of("a", 10)
	if len(got) != 3 || got[0].Kind != EventStopped || got[2].Kind != EventSuspended {
		t.Errorf("Of(a) = %v; want stopped, resumed, suspended (started fell out)", got)
	}
	if got := l.Of("a", 1); len(got) != 1 || got[0].Kind != EventStopped {
		t.Errorf("limit 1 = %v", got)
	}
}
