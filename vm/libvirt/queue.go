package libvirt

import (
	"sync"

	"github.com/hyper-nixos/hv/vm"
)

// eventQueue hands events from libvirt's callbacks to a channel without ever
// blocking the callback (which runs on libvirt's event loop) and without
// dropping events when the reader is slow.
type eventQueue struct {
	out  chan vm.Event
	done chan struct{}

	mu     sync.Mutex
	cond   *sync.Cond
	buf    []vm.Event
	closed bool
}

func newEventQueue() *eventQueue {
	q := &eventQueue{out: make(chan vm.Event), done: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	go q.pump()
	return q
}

func (q *eventQueue) push(e vm.Event) {
	q.mu.Lock()
	if !q.closed {
		q.buf = append(q.buf, e)
		q.cond.Signal()
	}
	q.mu.Unlock()
}

// close stops delivery. The out channel stays open (readers select on it
// alongside their own exit) but receives nothing more.
func (q *eventQueue) close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		q.buf = nil
		close(q.done)
		q.cond.Broadcast()
	}
	q.mu.Unlock()
}

func (q *eventQueue) pump() {
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
		q.buf[0] = vm.Event{}
		q.buf = q.buf[1:]
		q.mu.Unlock()

		select {
		case q.out <- e:
		case <-q.done:
			return
		}
	}
}
