package vm

// EventLog keeps the most recent events, for "what happened to this VM".
type EventLog struct {
	buf   []Event
	start int
	n     int
}

// NewEventLog keeps the last size events.
func NewEventLog(size int) *EventLog { return &EventLog{buf: make([]Event, max(size, 1))} }

func (l *EventLog) Add(e Event) {
	if l.n < len(l.buf) {
		l.buf[(l.start+l.n)%len(l.buf)] = e
		l.n++
		return
	}
	l.buf[l.start] = e
	l.start = (l.start + 1) % len(l.buf)
}

// Of returns up to limit events about the VM with this UUID, newest first.
func (l *EventLog) Of(uuid string, limit int) []Event {
	var out []Event
	for i := l.n - 1; i >= 0 && len(out) < limit; i-- {
		if e := l.buf[(l.start+i)%len(l.buf)]; e.UUID == uuid {
			out = append(out, e)
		}
	}
	return out
}
