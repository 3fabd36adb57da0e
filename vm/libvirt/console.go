package libvirt

import (
	"context"
	"io"
	"sync"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

// console is a serial console over a non-blocking libvirt stream: a
// blocking Recv would stall every other call on the connection for
// seconds, so reads happen in the stream's event callback.
type console struct {
	b    *Backend
	conn *lv.Connect // our reference, held while the console is open
	st   *lv.Stream
	out  chan []byte
	done chan struct{}

	mu     sync.Mutex
	err    error
	closed bool
}

// OpenConsole attaches to the VM's first serial console, taking it over
// from a session that may have been left open.
func (b *Backend) OpenConsole(ctx context.Context, ref string) (vm.Console, error) {
	b.closing.wait(ctx)
	c, err := b.acquire()
	if err != nil {
		return nil, wrap("open the console of", ref, err)
	}
	cn, err := call(ctx, b, "open the console of", ref, func(*lv.Connect) (*console, error) {
		d, err := lookup(c, ref)
		if err != nil {
			return nil, err
		}
		defer d.Free()
		if active, err := d.IsActive(); err != nil || !active {
			if err == nil {
				err = &vm.Error{Kind: vm.ErrInvalidState, Detail: "it is not running"}
			}
			return nil, err
		}
		st, err := c.NewStream(lv.STREAM_NONBLOCK)
		if err != nil {
			return nil, err
		}
		if err := d.OpenConsole("", st, lv.DOMAIN_CONSOLE_FORCE); err != nil {
			st.Free()
			return nil, err
		}
		cn := &console{b: b, conn: c, st: st, out: make(chan []byte, 1024), done: make(chan struct{})}
		if err := st.EventAddCallback(lv.STREAM_EVENT_READABLE|lv.STREAM_EVENT_ERROR|lv.STREAM_EVENT_HANGUP, cn.onEvent); err != nil {
			st.Abort()
			st.Free()
			return nil, err
		}
		return cn, nil
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	if !b.track(cn) { // the connection died meanwhile
		cn.finish(connLostConsole)
	}
	return cn, nil
}

// connLostConsole is why consoles end with their connection: a stream
// never hears that libvirtd went away, so the backend tells it.
var connLostConsole = &vm.Error{Op: "console", Kind: vm.ErrConnLost, Detail: "the console closed: libvirtd restarted or went away"}

// track registers an open console, so that losing its connection ends it;
// false when that connection is already gone.
func (b *Backend) track(cn *console) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn != cn.conn {
		return false
	}
	b.consoles[cn] = struct{}{}
	return true
}

// endConsoles ends the consoles of lost connection c.
func (b *Backend) endConsoles(c *lv.Connect) {
	b.mu.Lock()
	var ended []*console
	for cn := range b.consoles {
		if cn.conn == c {
			ended = append(ended, cn)
		}
	}
	b.mu.Unlock()
	for _, cn := range ended {
		cn.finish(connLostConsole)
	}
}

func (cn *console) Output() <-chan []byte { return cn.out }
func (cn *console) Done() <-chan struct{} { return cn.done }

func (cn *console) Err() error {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.err
}

// onEvent runs on libvirt's event loop: drain what is readable, never block.
func (cn *console) onEvent(_ *lv.Stream, events lv.StreamEventType) {
	if events&lv.STREAM_EVENT_READABLE != 0 {
		buf := make([]byte, 4096)
		for {
			n, err := cn.st.Recv(buf)
			if err == io.EOF {
				cn.finish(&vm.Error{Op: "console", Kind: vm.ErrInvalidState, Detail: "the console closed: the VM stopped or restarted"})
				return
			}
			if err != nil {
				cn.finish(wrap("read the console", "", err))
				return
			}
			if n <= 0 { // -2: nothing more for now
				break
			}
			select {
			case cn.out <- append([]byte(nil), buf[:n]...):
			default: // the reader is far behind: drop rather than stall libvirt
			}
		}
	}
	if events&(lv.STREAM_EVENT_ERROR|lv.STREAM_EVENT_HANGUP) != 0 {
		cn.finish(&vm.Error{Op: "console", Kind: vm.ErrInvalidState, Detail: "the console closed: the VM stopped or restarted"})
	}
}

// Write sends keystrokes, retrying briefly while the stream is full.
func (cn *console) Write(p []byte) (int, error) {
	written := 0
	deadline := time.Now().Add(2 * time.Second)
	for written < len(p) {
		cn.mu.Lock()
		closed, err := cn.closed, cn.err
		cn.mu.Unlock()
		if closed {
			if err == nil {
				err = io.ErrClosedPipe
			}
			return written, err
		}
		n, err := cn.st.Send(p[written:])
		if err != nil {
			err = wrap("write to the console", "", err)
			cn.finish(err)
			return written, err
		}
		if n > 0 {
			written += n
			continue
		}
		if time.Now().After(deadline) {
			return written, &vm.Error{Op: "write to the console", Kind: vm.ErrTimeout}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return written, nil
}

// finish records why the console ended and releases the stream, once.
func (cn *console) finish(err error) {
	cn.mu.Lock()
	if cn.closed {
		cn.mu.Unlock()
		return
	}
	cn.closed, cn.err = true, err
	cn.mu.Unlock()
	cn.b.mu.Lock()
	delete(cn.b.consoles, cn)
	cn.b.mu.Unlock()
	cn.b.closing.begin()
	close(cn.done)
	// This may run inside the stream's own callback: release the stream
	// from another goroutine, after the callback has returned.
	go func() {
		defer cn.b.closing.end()
		cn.st.EventRemoveCallback()
		cn.st.Abort()
		cn.st.Free()
		cn.conn.Close()
	}()
}

// closings counts consoles being released. libvirt 9.0's daemon deadlocks
// (for good: every call hangs) when a console stream is aborted while the
// same console is opened with FORCE, so an open waits for the releases
// under way. Never blocks in begin: it may run in a libvirt callback.
type closings struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0
}

func (c *closings) begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == 0 {
		c.idle = make(chan struct{})
	}
	c.n++
}

func (c *closings) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n--; c.n == 0 {
		close(c.idle)
	}
}

// wait returns once no console is being released, or when ctx ends.
func (c *closings) wait(ctx context.Context) {
	c.mu.Lock()
	idle, busy := c.idle, c.n > 0
	c.mu.Unlock()
	if busy {
		select {
		case <-idle:
		case <-ctx.Done():
		}
	}
}

func (cn *console) Close() error {
	cn.finish(nil)
	return nil
}
