// Package remote is the vm.Hypervisor that talks to an hv daemon: what an
// operator's hv uses, since read-write libvirt is the daemon's alone. It
// reaches the daemon through a Dialer: its unix socket here, or a stdio
// bridge on another host (ssh host hv dial-stdio). Every call is one HTTP
// request of vm/api; events come as one long stream, re-opened when the
// daemon restarts.
package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

// Dialer opens a connection to a daemon.
type Dialer func(ctx context.Context) (net.Conn, error)

// Unix dials the daemon's socket at path.
func Unix(path string) Dialer {
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
}

// Client is a vm.Hypervisor served by an hv daemon.
type Client struct {
	dial   Dialer
	where  string // the daemon, for people: its socket or host
	http   *http.Client
	id     api.Identity
	events *vm.EventQueue
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

var _ vm.Hypervisor = (*Client)(nil)

// Open connects to the daemon dial reaches, named where for people, and
// learns who it takes this user for. Errors are *vm.ConnectError.
func Open(ctx context.Context, dial Dialer, where string) (*Client, error) {
	c := &Client{dial: dial, where: where, events: vm.NewEventQueue()}
	c.http = &http.Client{Transport: &http.Transport{
		DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
		MaxIdleConnsPerHost: 8,
		DisableCompression:  true,
	}}
	if err := c.get(ctx, api.Find("whoami"), nil, &c.id); err != nil {
		c.http.CloseIdleConnections()
		return nil, connectError(where, err)
	}
	streamCtx, stop := context.WithCancel(context.Background())
	c.stop = stop
	c.wg.Add(1)
	go c.followEvents(streamCtx)
	return c, nil
}

// connectError explains a daemon that cannot be reached.
func connectError(where string, err error) error {
	ce := &vm.ConnectError{URI: where, Detail: err.Error(), Daemon: true}
	var ve *vm.Error
	switch {
	case strings.Contains(where, "ssh://") && errors.Is(err, vm.ErrConnLost) && errors.As(err, &ve):
		// ssh's own words: refused, no key, unknown host key, no hv there.
		ce.Cause, ce.Detail = vm.CauseUnreachable, strings.TrimPrefix(ve.Detail, "the hv daemon is unreachable: ")
	case errors.Is(err, vm.ErrConnLost):
		ce.Cause = vm.CauseNoDaemon
		if errors.As(err, &ve) {
			ce.Detail = strings.TrimPrefix(ve.Detail, "the hv daemon is unreachable: ")
		}
	case errors.Is(err, vm.ErrDenied):
		ce.Cause = vm.CauseDenied
	}
	return ce
}

// Identity is who the daemon takes this user for, and what polkit grants.
func (c *Client) Identity() api.Identity { return c.id }

// URI names the connection: the libvirt URI behind the daemon.
func (c *Client) URI() string { return c.id.URI + " via the hv daemon" }

// Access is read-write when polkit grants this user any change at all;
// which changes exactly, Allowed says.
func (c *Client) Access() vm.Access {
	for _, a := range c.id.Allowed {
		if a != api.ActionRead && a != api.ActionAuditRead {
			return vm.ReadWrite
		}
	}
	return vm.ReadOnly
}

// Allowed reports whether polkit grants this user action.
func (c *Client) Allowed(action string) bool { return slices.Contains(c.id.Allowed, action) }

// Close ends the event stream and idle connections.
func (c *Client) Close() error {
	c.stop()
	c.wg.Wait()
	c.events.Close()
	c.http.CloseIdleConnections()
	return nil
}

// Events delivers the daemon's events, with EventConnLost and
// EventReconnected when the daemon itself goes and comes back.
func (c *Client) Events() <-chan vm.Event { return c.events.Out() }

// request builds a call of rt: path arguments, query, JSON body, and the
// operator's answer from ctx as headers.
func (c *Client) request(ctx context.Context, rt api.Route, args []string, query url.Values, in any) (*http.Request, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	u := "http://hv" + rt.URL(args...)
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, rt.Method, u, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a, ok := vm.ConfirmationFrom(ctx); ok && a.How != "" {
		req.Header.Set(api.HeaderConfirm, a.How)
		if a.Name != "" {
			req.Header.Set(api.HeaderConfirmName, a.Name)
		}
		if a.Bulk > 1 {
			req.Header.Set(api.HeaderBulk, strconv.Itoa(a.Bulk))
		}
	}
	return req, nil
}

// call performs rt and decodes its reply into out (nil: none).
func (c *Client) call(ctx context.Context, rt api.Route, args []string, query url.Values, in, out any) error {
	req, err := c.request(ctx, rt, args, query, in)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(ctx, rt, args, err)
	}
	defer finish(resp)
	if resp.StatusCode >= 300 {
		return replyError(rt, resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return &vm.Error{Op: rt.Name, Kind: vm.ErrConnLost, Detail: "the daemon's reply was cut: " + err.Error()}
	}
	return nil
}

// finish reads what is left of a reply (the newline after its JSON) and
// closes it: a reply read to its end leaves its connection for the next
// call, which matters when a connection is an SSH session.
func finish(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

func (c *Client) get(ctx context.Context, rt api.Route, args []string, out any) error {
	return c.call(ctx, rt, args, nil, nil, out)
}

// replyError decodes an error reply.
func replyError(rt api.Route, resp *http.Response) error {
	var body api.ErrorBody
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err := json.Unmarshal(data, &body); err != nil || body.Error.Kind == "" {
		return &vm.Error{Op: rt.Name, Detail: fmt.Sprintf("the daemon answered %s", resp.Status)}
	}
	return api.Decode(body.Error)
}

// transportError explains a call that got no reply.
func transportError(ctx context.Context, rt api.Route, args []string, err error) error {
	target := ""
	if len(args) > 0 {
		target = args[0]
	}
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		// Leaving cancels the call on the daemon's side too: a copy stops
		// there and deletes what it made.
		return &vm.Error{Op: rt.Name, Target: target, Kind: vm.ErrCancelled}
	case ctx.Err() != nil:
		return &vm.Error{Op: rt.Name, Target: target, Kind: vm.ErrTimeout, Detail: "the hv daemon did not answer in time"}
	}
	why := err.Error()
	var ne *net.OpError
	var ue *url.Error
	switch {
	case errors.As(err, &ne):
		why = ne.Err.Error() // "connect: no such file or directory", without the request around it
	case errors.As(err, &ue):
		why = ue.Err.Error() // ssh's words, without the request around them
	}
	return &vm.Error{Op: rt.Name, Target: target, Kind: vm.ErrConnLost, Detail: "the hv daemon is unreachable: " + why,
		Hint: "check that it runs (systemctl status hv.socket hv.service); hv reconnects by itself"}
}

// followEvents streams events until ctx ends, re-opening the stream with
// backoff when the daemon goes away. A stream the daemon ends (this
// client fell behind a burst of events, or the daemon restarted) is
// re-opened at once: callers reload what they show, and hear that the
// daemon went away only when it cannot be reached.
func (c *Client) followEvents(ctx context.Context) {
	defer c.wg.Done()
	backoff := 250 * time.Millisecond
	lost, resumed := false, false
	for ctx.Err() == nil {
		var opened time.Time
		err := c.streamEvents(ctx, func() {
			opened = time.Now()
			switch {
			case lost:
				c.events.Push(vm.Event{Kind: vm.EventReconnected, Detail: "the hv daemon is back", At: opened})
			case resumed:
				c.events.Push(vm.Event{Kind: vm.EventReconnected, Detail: "the hv daemon's events started again (some may have been missed): reloaded", At: opened})
			}
			lost, resumed = false, false
			backoff = 250 * time.Millisecond
		})
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errStreamEnded) && !lost && !resumed && time.Since(opened) > time.Second {
			resumed = true // once: a stream that ends again at once is a daemon in trouble
			continue
		}
		if !lost {
			lost, resumed = true, false
			c.events.Push(vm.Event{Kind: vm.EventConnLost, Detail: "the hv daemon went away: " + err.Error(), At: time.Now()})
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// errStreamEnded is the daemon ending an event stream in good order.
var errStreamEnded = errors.New("the event stream ended")

// streamEvents reads one event stream to its end; opened runs once the
// daemon has answered.
func (c *Client) streamEvents(ctx context.Context, opened func()) error {
	rt := api.Find("events")
	req, err := c.request(ctx, rt, nil, nil, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return replyError(rt, resp)
	}
	opened()
	dec := json.NewDecoder(bufio.NewReader(resp.Body))
	for {
		var e vm.Event
		if err := dec.Decode(&e); err != nil {
			if errors.Is(err, io.EOF) {
				return errStreamEnded
			}
			return err
		}
		if e.Kind == vm.EventReconnected && e.Host == "" {
			// The daemon's own libvirt connection is back (its Detail is
			// the daemon's access, which says nothing to this caller).
			e.Detail = "libvirt is back behind the hv daemon"
		}
		c.events.Push(e)
	}
}

// Permitted says why polkit withholds the change (a route's name, as the
// audit trail names it) from this user, or "".
func (c *Client) Permitted(change string) string {
	for _, r := range api.Routes {
		if r.Name == change && !c.Allowed(r.Action) {
			return "polkit does not grant " + r.Action + " to " + c.id.User + ": ask an administrator (hv doctor says how)"
		}
	}
	return ""
}

// EnforcedPhase asks the daemon which security phase it enforces now.
func (c *Client) EnforcedPhase(ctx context.Context) (string, error) {
	var id api.Identity
	err := c.get(ctx, api.Find("whoami"), nil, &id)
	return id.Phase, err
}

// Whoami asks the daemon dial reaches who it takes this user for, in one
// request, without opening a Client.
func Whoami(ctx context.Context, dial Dialer) (api.Identity, error) {
	c := &Client{dial: dial, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) }}}}
	defer c.http.CloseIdleConnections()
	var id api.Identity
	err := c.get(ctx, api.Find("whoami"), nil, &id)
	return id, err
}
