package libvirt

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

// Backend is a vm.Hypervisor over one libvirt connection URI.
type Backend struct {
	uri      string
	readOnly bool // asked for read-only, so reconnects stay read-only
	local    bool // libvirtd runs on this machine (see measure)
	events   *vm.EventQueue
	reboots  echoes
	done     chan struct{}

	mu        sync.Mutex
	conn      *lv.Connect // nil while reconnecting
	access    vm.Access
	callbacks []func() // deregister the event callbacks of conn
	consoles  map[*console]struct{}
	closing   closings // consoles being released
	closed    bool
	guard     Guard          // vets definitions; nil: none
	wg        sync.WaitGroup // the reconnect goroutine
}

var _ vm.Hypervisor = (*Backend)(nil)

var (
	loopOnce sync.Once
	loopErr  error
)

// startEventLoop registers libvirt's default event loop, once per process,
// and runs it. It must happen before the first connection is opened, or
// events are late and keepalive drops the connection.
func startEventLoop() error {
	loopOnce.Do(func() {
		if loopErr = lv.EventRegisterDefaultImpl(); loopErr != nil {
			return
		}
		go func() {
			for {
				if err := lv.EventRunDefaultImpl(); err != nil {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	})
	return loopErr
}

// RouteLogs sends libvirt's own log messages to path instead of stderr,
// where they would tear the TUI. It must run before Open and does nothing
// when the user chose an output with LIBVIRT_LOG_OUTPUTS.
func RouteLogs(path string) {
	if _, set := os.LookupEnv("LIBVIRT_LOG_OUTPUTS"); set {
		return
	}
	os.Setenv("LIBVIRT_LOG_OUTPUTS", "3:file:"+path)
}

// Open connects to uri. A user refused read-write access (by socket
// permissions or polkit) is connected read-only instead, and Access says so.
// Errors are *vm.ConnectError.
func Open(ctx context.Context, uri string) (*Backend, error) { return open(ctx, uri, false) }

// OpenReadOnly connects read-only even when more is allowed: a safe way to
// look around a production host.
func OpenReadOnly(ctx context.Context, uri string) (*Backend, error) { return open(ctx, uri, true) }

func open(ctx context.Context, uri string, readOnly bool) (*Backend, error) {
	if err := startEventLoop(); err != nil {
		return nil, &vm.ConnectError{URI: uri, Cause: vm.CauseNoLibvirt, Detail: err.Error()}
	}
	type result struct {
		c      *lv.Connect
		access vm.Access
		err    error
	}
	ch := make(chan result, 1)
	go func() {
		c, a, err := dial(uri, readOnly)
		ch <- result{c, a, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		go func() { // close whatever the late dial returns
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, &vm.ConnectError{URI: uri, Detail: "libvirt did not answer in time"}
	}
	if r.err != nil {
		return nil, r.err
	}
	b := &Backend{uri: uri, readOnly: readOnly, local: onThisHost(uri), events: vm.NewEventQueue(), reboots: echoes{}, consoles: map[*console]struct{}{}, done: make(chan struct{})}
	if err := b.attach(r.c, r.access); err != nil {
		r.c.Close()
		b.events.Close()
		return nil, connectError(uri, err)
	}
	return b, nil
}

func dial(uri string, readOnly bool) (*lv.Connect, vm.Access, error) {
	if readOnly {
		c, err := lv.NewConnectReadOnly(uri)
		if err != nil {
			return nil, 0, connectError(uri, err)
		}
		return c, vm.ReadOnlyAsked, nil
	}
	c, err := lv.NewConnect(uri)
	if err == nil {
		return c, vm.ReadWrite, nil
	}
	if denied(err) {
		if c, roErr := lv.NewConnectReadOnly(uri); roErr == nil {
			return c, vm.ReadOnly, nil
		}
	}
	return nil, 0, connectError(uri, err)
}

// errClosed is attach's refusal of a connection for a closed backend.
var errClosed = errors.New("the backend is closed")

// attach makes c the live connection: registers event and close callbacks
// and turns on keepalive so a hung daemon is noticed. It refuses c once the
// backend is closed, which may happen while a reconnect attaches.
func (b *Backend) attach(c *lv.Connect, access vm.Access) error {
	lifecycle, err := c.DomainEventLifecycleRegister(nil, b.onLifecycle)
	if err != nil {
		return err
	}
	undo := []func(){func() { _ = c.DomainEventDeregister(lifecycle) }}
	if reboot, err := c.DomainEventRebootRegister(nil, b.onReboot); err == nil {
		undo = append(undo, func() { _ = c.DomainEventDeregister(reboot) })
	}
	undo = append(undo, b.registerObjectEvents(c)...)
	undo = append(undo, b.registerThreatEvents(c)...)
	// The callback gets a fresh wrapper of the connection, never equal to
	// ours: close over c so lost() can tell which connection died.
	if err := c.RegisterCloseCallback(func(_ *lv.Connect, reason lv.ConnectCloseReason) { b.onClose(c, reason) }); err != nil {
		detach(c, undo)
		return err
	}
	_ = c.SetKeepAlive(5, 3) // unsupported by local drivers such as test://; harmless

	b.mu.Lock()
	closed := b.closed
	if !closed {
		b.conn, b.access, b.callbacks = c, access, undo
	}
	b.mu.Unlock()
	if closed {
		detach(c, undo)
		return errClosed
	}
	return nil
}

// detach undoes attach on a connection that is being dropped: undo holds
// the deregistration of each event callback.
func detach(c *lv.Connect, undo []func()) {
	for _, u := range undo {
		u()
	}
	_ = c.UnregisterCloseCallback()
}

func (b *Backend) URI() string { return b.uri }

func (b *Backend) Access() vm.Access {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.access
}

func (b *Backend) Events() <-chan vm.Event { return b.events.Out() }

// Close drops the connection and stops reconnecting. Events stops delivering.
func (b *Backend) Close() error {
	_, err := b.close()
	return err
}

// close also returns how many references to the connection were still held
// when it was closed: anything above zero is a libvirt object not freed.
func (b *Backend) close() (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return 0, nil
	}
	b.closed = true
	close(b.done)
	c, ids := b.conn, b.callbacks
	b.conn = nil
	b.mu.Unlock()

	b.wg.Wait()
	b.events.Close()
	if c == nil {
		return 0, nil
	}
	detach(c, ids)
	return c.Close()
}

// acquire returns the live connection with a reference the caller must drop
// with Close, or ErrConnLost while reconnecting.
func (b *Backend) acquire() (*lv.Connect, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn == nil {
		return nil, vm.ErrConnLost
	}
	if err := b.conn.Ref(); err != nil {
		return nil, vm.ErrConnLost
	}
	return b.conn, nil
}

// call runs fn on the live connection in its own goroutine, so the caller
// waits no longer than ctx allows even when libvirtd hangs. A connection
// found dead afterwards starts a reconnect.
func call[T any](ctx context.Context, b *Backend, op, target string, fn func(*lv.Connect) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, wrap(op, target, ended(err))
	}
	c, err := b.acquire()
	if err != nil {
		return zero, wrap(op, target, err)
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer c.Close()
		v, err := fn(c)
		if err != nil {
			if alive, aerr := c.IsAlive(); aerr != nil || !alive {
				b.lost(c, "the connection failed during "+op)
			}
		}
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, wrap(op, target, r.err)
	case <-ctx.Done():
		return zero, wrap(op, target, ended(ctx.Err()))
	}
}

// ended is the sentinel for a context's end: cancelled, or out of time.
func ended(err error) error {
	if errors.Is(err, context.Canceled) {
		return vm.ErrCancelled
	}
	return vm.ErrTimeout
}

func (b *Backend) onClose(c *lv.Connect, reason lv.ConnectCloseReason) {
	why := "libvirtd closed the connection"
	switch reason {
	case lv.CONNECT_CLOSE_REASON_KEEPALIVE:
		why = "libvirtd stopped answering (keepalive)"
	case lv.CONNECT_CLOSE_REASON_ERROR:
		why = "the connection failed"
	}
	// Never block libvirt's event loop: reconnecting needs it.
	go b.lost(c, why)
}

// lost handles the loss of connection c once: it tells listeners and
// reconnects with backoff until it succeeds or the backend is closed.
func (b *Backend) lost(c *lv.Connect, why string) {
	b.mu.Lock()
	if b.closed || b.conn != c {
		b.mu.Unlock()
		return
	}
	ids := b.callbacks
	b.conn, b.callbacks = nil, nil
	b.wg.Add(1)
	b.mu.Unlock()

	detach(c, ids)
	c.Close()
	b.endConsoles(c)
	b.events.Push(vm.Event{Kind: vm.EventConnLost, Detail: why, At: time.Now()})
	go b.reconnect()
}

// Backoff bounds for reconnecting; variables so tests can shorten them.
var (
	reconnectMin = 250 * time.Millisecond
	reconnectMax = 5 * time.Second
)

func (b *Backend) reconnect() {
	defer b.wg.Done()
	wait := reconnectMin
	for {
		select {
		case <-b.done:
			return
		case <-time.After(wait):
		}
		c, access, err := dial(b.uri, b.readOnly)
		if err == nil {
			if err = b.attach(c, access); err == nil {
				b.events.Push(vm.Event{Kind: vm.EventReconnected, Detail: access.String(), At: time.Now()})
				return
			}
			c.Close()
			if err == errClosed {
				return
			}
		}
		wait = min(wait*2, reconnectMax)
	}
}

// Probe tries uri read-write and read-only, each on a connection of its
// own closed at once, and returns what each answered (nil: allowed): the
// facts behind 'hv doctor', where Open would quietly fall back.
func Probe(ctx context.Context, uri string) (readWrite, readOnly error) {
	try := func(connect func(string) (*lv.Connect, error)) error {
		ch := make(chan error, 1)
		go func() {
			c, err := connect(uri)
			if err == nil {
				c.Close()
				ch <- nil
				return
			}
			ch <- connectError(uri, err)
		}()
		select {
		case err := <-ch:
			return err
		case <-ctx.Done():
			return &vm.ConnectError{URI: uri, Detail: "libvirt did not answer in time"}
		}
	}
	return try(lv.NewConnect), try(lv.NewConnectReadOnly)
}
