package daemon

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

// fanout hands every event of the one libvirt connection to each caller
// that streams them. A caller too slow to keep up is cut off (its stream
// ends, it reconnects and reloads) rather than holding up the others.
type fanout struct {
	mu     sync.Mutex
	subs   map[chan vm.Event]struct{}
	closed bool
}

// subscriberBuffer is how many events a caller may fall behind.
const subscriberBuffer = 1024

func newFanout(src <-chan vm.Event) *fanout {
	f := &fanout{subs: map[chan vm.Event]struct{}{}}
	go func() {
		for e := range src {
			f.mu.Lock()
			for ch := range f.subs {
				select {
				case ch <- e:
				default:
					delete(f.subs, ch)
					close(ch)
				}
			}
			f.mu.Unlock()
		}
	}()
	return f
}

// subscribe returns a channel of the events from now on, closed when the
// caller falls behind or the daemon stops, and the function that ends it.
func (f *fanout) subscribe() (<-chan vm.Event, func()) {
	ch := make(chan vm.Event, subscriberBuffer)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		close(ch)
		return ch, func() {}
	}
	f.subs[ch] = struct{}{}
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.subs[ch]; ok {
			delete(f.subs, ch)
			close(ch)
		}
	}
}

func (f *fanout) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for ch := range f.subs {
		delete(f.subs, ch)
		close(ch)
	}
}

// lines starts a reply of newline-delimited JSON; write sends one value
// and flushes it, and stops writing once end has been called.
type lines struct {
	mu    sync.Mutex
	w     http.ResponseWriter
	enc   *json.Encoder
	ended bool
}

func startLines(w http.ResponseWriter) *lines {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	l := &lines{w: w, enc: json.NewEncoder(w)}
	l.flush()
	return l
}

func (l *lines) write(v any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return nil
	}
	if err := l.enc.Encode(v); err != nil {
		return err
	}
	l.flush()
	return nil
}

func (l *lines) flush() {
	if f, ok := l.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (l *lines) end() {
	l.mu.Lock()
	l.ended = true
	l.mu.Unlock()
}

// streamEvents sends events as they happen until the caller leaves.
func (s *Server) streamEvents(c *call) error {
	events, stop := s.events.subscribe()
	defer stop()
	out := startLines(c.w)
	defer out.end()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return errReplied
			}
			if err := out.write(e); err != nil {
				return errReplied
			}
		case <-c.ctx.Done():
			return errReplied
		}
	}
}

// copyVolume copies with progress lines, then the new volume or the
// error as the last line. The caller closing the connection cancels the
// copy (the context ends).
func (s *Server) copyVolume(c *call) error {
	req, err := decode[api.CopyReq](c)
	if err != nil {
		return err
	}
	pool, name := c.path("pool"), c.path("name")
	if _, err := s.pool(c.ctx, c.rules, "copy volume", pool+"/"+name, pool); err != nil {
		return err
	}
	out := startLines(c.w)
	defer out.end()
	v, err := c.hv.CopyVolume(c.ctx, pool, name, req.Name, func(done, total uint64) {
		out.write(api.CopyLine{Done: done, Total: total})
	})
	if err != nil {
		_, body := api.Encode(err)
		out.write(api.CopyLine{Error: &body.Error})
	} else {
		out.write(api.CopyLine{Volume: &v})
	}
	return errReplied
}

// statsCache shares one bulk statistics call between the callers that ask
// within statsFresh of each other: every operator's hv polls every two
// seconds, and libvirt drops counters of a busy domain (NOWAIT) when
// polled by many at once.
type statsCache struct {
	mu      sync.Mutex
	at      time.Time
	samples []vm.Sample
}

const statsFresh = time.Second

// forget drops the shared reading: after a change, a caller must see its
// own effect (a VM it just started has a sample).
func (sc *statsCache) forget() {
	sc.mu.Lock()
	sc.at = time.Time{}
	sc.mu.Unlock()
}

func (sc *statsCache) read(ctx context.Context, h vm.Hypervisor) ([]vm.Sample, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if time.Since(sc.at) < statsFresh {
		return sc.samples, nil
	}
	samples, err := h.Stats(ctx)
	if err != nil {
		return nil, err
	}
	sc.at, sc.samples = time.Now(), samples
	return samples, nil
}
