package remote_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
	"github.com/hyper-nixos/hv/vm/remote"
)

// endingStreams is a daemon's event endpoint that ends each stream after
// one event and hold, as the daemon ends the stream of a caller that fell
// behind a burst of events, or as it does when it restarts.
func endingStreams(t *testing.T, hold time.Duration) string {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "hv.sock")
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/whoami", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(api.Identity{User: "op", Allowed: []string{api.ActionRead}})
	})
	mux.HandleFunc("GET /v1/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		json.NewEncoder(w).Encode(vm.Event{Kind: vm.EventStarted, Name: "vm-" + string(rune('a'+n.Add(1)-1))})
		w.(http.Flusher).Flush()
		select {
		case <-time.After(hold):
		case <-r.Context().Done():
		}
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return socket
}

func nextEvent(t *testing.T, c *remote.Client) vm.Event {
	t.Helper()
	select {
	case e := <-c.Events():
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event in 10 s")
		return vm.Event{}
	}
}

// A stream the daemon ends is opened again at once: the caller reloads
// (EventReconnected says events may have been missed) and is not told the
// daemon went away.
func TestAnEndedEventStreamIsReopened(t *testing.T) {
	socket := endingStreams(t, 1200*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := remote.Open(ctx, remote.Unix(socket), socket)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if e := nextEvent(t, c); e.Kind != vm.EventStarted || e.Name != "vm-a" {
		t.Fatalf("first event: %+v", e)
	}
	if e := nextEvent(t, c); e.Kind != vm.EventReconnected || e.Detail != "the hv daemon's events started again (some may have been missed): reloaded" {
		t.Fatalf("after the daemon ended the stream: %+v, want a reload without 'went away'", e)
	}
	if e := nextEvent(t, c); e.Kind != vm.EventStarted || e.Name != "vm-b" {
		t.Fatalf("the re-opened stream: %+v", e)
	}
}

// A stream that ends again as soon as it is opened is a daemon in
// trouble: the caller hears that it went away (and hv keeps trying).
func TestAStreamEndingAtOnceSaysTheDaemonWentAway(t *testing.T) {
	socket := endingStreams(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := remote.Open(ctx, remote.Unix(socket), socket)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	nextEvent(t, c) // vm-a
	if e := nextEvent(t, c); e.Kind != vm.EventConnLost {
		t.Fatalf("after a stream that ended at once: %+v", e)
	}
}
