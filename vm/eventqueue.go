package vm

import "sync"

// EventQueue hands events to a channel without ever blocking the sender
// (libvirt's callbacks run on its event loop; a stream reader must keep
// reading) and without dropping events when the reader is slow.
type EventQueue struct {
	out  chan Event
	done chan struct{}

	mu     sync.Mutex
	cond   *sync.Cond
	buf    []Event
	closed bool
}

// NewEventQueue starts a queue.
func NewEventQueue() *EventQueue {
	q := &EventQueue{out: make(chan Event), done: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	go q.pump()
	return q
}

// Push queues e.
func (q *EventQueue) Push(e Event) {
	q.mu.Lock()
	if !q.closed {
		q.buf = append(q.buf, e)
		q.cond.Signal()
	}
	q.mu.Unlock()
}

// Close stops delivery. The Out channel stays open (readers select on it
// alongside their own exit) but receives nothing more.
func (q *EventQueue) Close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		q.buf = nil
		close(q.done)
		q.cond.Broadcast()
	}
	q.mu.Unlock()
}

// Out delivers the events in the order pushed.
func (q *EventQueue) Out() <-chan Event { return q.out }

func (q *EventQueue) pump() {
	for {
		q.mu.Lock()
		for len(q.buf) == 0 && !q.closed {
			q.cond.Wait()
		}
		if q.closed {
			q.mu.Unlock()
			return
		}
		e := q.buf[0]
		q.buf[0] = Event{}
		q.buf = q.buf[1:]
		q.mu.Unlock()

		select {
		case q.out <- e:
		case <-q.done:
			return
		}
	}
}
