// Package daemon is the hv daemon: the only holder of read-write libvirt
// on a host. It serves the API of vm/api on a unix socket, takes the
// caller's identity from the socket's peer credentials, asks polkit
// whether hv's action for the call is granted, applies the permission
// matrix of the security phase (refusing, or wanting the operator's
// answer) and the payload policy (volumes of approved pools, no host
// paths or devices), runs the change through libvirt, and writes the
// audit trail, which nobody else can write.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hyper-nixos/hv/security"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
	"github.com/hyper-nixos/hv/vm/libvirt"
	"github.com/hyper-nixos/hv/vm/ops"
	"github.com/hyper-nixos/hv/vm/remote"
)

// Authorizer decides whether a peer may do what a polkit action covers.
type Authorizer interface {
	Allowed(ctx context.Context, p Peer, action string) (bool, error)
}

// Rules are what the host file makes the daemon enforce, read afresh for
// every change (the host file changes when a new one is applied).
type Rules struct {
	Phase phase.Phase
	Roots Roots // where approved pools may lie
	Peers Peers // the other hv hosts VMs may move to
}

// Server is the daemon's state: one read-write connection to libvirt
// shared by every caller, the authority, the trail.
type Server struct {
	HV       vm.Hypervisor
	Auth     Authorizer
	Log      *audit.Log
	Rules    func() (Rules, error)
	URI      string // the libvirt connection, for the trail and whoami
	Version  string
	Hostname string
	// Stager, when set, stages host-file changes (features, phase) for
	// callers; its Log should be the daemon's.
	Stager *hostchange.Stager
	// DialPeer reaches another host's daemon while a VM moves there;
	// nil: DialPeerSSH.
	DialPeer func(ctx context.Context, a remote.Address) (PeerDaemon, error)

	tickets tickets // the VMs this host accepted from others
	events  *fanout
	stats   statsCache
	once    sync.Once
}

// init starts what the server shares between requests.
func (s *Server) init() {
	s.once.Do(func() {
		s.events = newFanout(s.HV.Events())
		if b, ok := s.HV.(*libvirt.Backend); ok {
			b.SetGuard(guard(s.Rules))
		}
	})
}

// Handler is the API: every route of api.Routes, guarded.
func (s *Server) Handler() http.Handler {
	s.init()
	mux := http.NewServeMux()
	handlers := s.handlers()
	for _, rt := range api.Routes {
		h, ok := handlers[rt.Name]
		if !ok {
			panic("daemon: no handler for route " + rt.Name)
		}
		mux.Handle(rt.Method+" "+rt.Path, s.guarded(rt, h))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		api.WriteError(w, &vm.Error{Op: r.Method + " " + r.URL.Path, Kind: vm.ErrNotFound, Detail: "no such call in API " + api.Version,
			Hint: "see docs/api.md for the calls"})
	})
	return mux
}

// Serve answers on l until ctx ends, then lets requests under way finish
// for a few seconds.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ConnContext: withPeer, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shut)
	s.events.close()
	return nil
}

// call is one request being served.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context // carries the operator's answer, once checked
	route api.Route
	peer  Peer
	rules Rules
	hv    *audit.Hypervisor // audited as the caller
	given vm.Confirmation   // the answer the request carries, checked or not
	// selfAudited: the handler writes its own entry, refusals included.
	selfAudited bool
}

func (c *call) path(name string) string { return c.r.PathValue(name) }

type handler func(s *Server, c *call) error

// guarded runs h for rt once the caller is known, authorised by polkit,
// allowed by the phase and has answered what the phase asks; refusals of
// a change are written to the trail like the changes themselves.
func (s *Server) guarded(rt api.Route, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, ok := peerOf(r.Context())
		if !ok {
			api.WriteError(w, &vm.Error{Op: rt.Name, Kind: vm.ErrDenied, Detail: "the daemon cannot tell who is calling",
				Hint: "connect through the daemon's unix socket (" + api.DefaultSocket + ")"})
			return
		}
		bulk, _ := strconv.Atoi(r.Header.Get(api.HeaderBulk))
		c := &call{w: w, r: r, ctx: r.Context(), route: rt, peer: peer,
			given: vm.Confirmation{How: r.Header.Get(api.HeaderConfirm), Name: r.Header.Get(api.HeaderConfirmName), Bulk: bulk}}
		c.hv = audit.Wrap(s.HV, s.Log, peer.User, s.where(peer))
		err := s.admit(c)
		if err == nil && rt.In == nil && r.ContentLength != 0 {
			// A call without a body given one is refused, not read past:
			// a path sent to save the VM to must not be silently dropped.
			err = &vm.Error{Op: rt.Name, Target: c.target(), Kind: vm.ErrInvalidArg, Detail: "this call takes no body",
				Hint: "see docs/api.md: " + rt.Method + " " + rt.Path + " takes no request body"}
		}
		if err == nil {
			err = h(s, c)
			if rt.Op.Kind != "" {
				s.stats.forget()
			}
		}
		// A change refused before it reached libvirt (polkit, the phase,
		// the policy, a bad body) goes to the trail too.
		if err != nil && !errors.Is(err, errReplied) && c.hv.Entries() == 0 && !c.selfAudited && rt.Action != api.ActionRead && rt.Action != api.ActionAuditRead {
			s.refused(c, err)
		}
		if err != nil {
			if errors.Is(err, errReplied) {
				return
			}
			api.WriteError(w, err)
		}
	})
}

// errReplied: the handler wrote its reply (a stream) and ended with the
// error in it, or the connection is gone.
var errReplied = errors.New("replied")

// where names the connection in the trail: the libvirt URI and the pid.
func (s *Server) where(p Peer) string {
	return "hv daemon (" + s.URI + ", pid " + strconv.Itoa(int(p.PID)) + ")"
}

// admit checks polkit, then the permission matrix and the answer.
func (s *Server) admit(c *call) error {
	allowed, err := s.Auth.Allowed(c.ctx, c.peer, c.route.Action)
	if err != nil {
		slog.Error("polkit", "action", c.route.Action, "err", err)
		return &vm.Error{Op: c.route.Name, Kind: vm.ErrDenied, Detail: "the daemon could not ask polkit: " + err.Error(),
			Hint: "check that polkitd runs (systemctl status polkit)"}
	}
	if !allowed {
		return &vm.Error{Op: c.route.Name, Target: c.target(), Kind: vm.ErrDenied,
			Detail: "polkit does not grant " + c.route.Action + " to " + c.peer.User,
			Hint:   "ask an administrator to add you to the operators group (services.hyper-nixos.operators), or to grant " + c.route.Action + " with a polkit rule"}
	}
	if c.route.Op.Kind == "" {
		return nil
	}
	if c.rules, err = s.Rules(); err != nil {
		return fmt.Errorf("reading the host file's rules: %w", err)
	}
	op := c.route.Op
	if c.given.Bulk > 1 && op.Kind == phase.VMAction {
		op.Kind = phase.VMBulk
	}
	if raise, ok := riskRaisers[c.route.Name]; ok {
		op.Risk = max(op.Risk, raise(c.ctx, s.HV, c.path("name")))
	}
	who := phase.Operator
	if c.peer.Root() {
		who = phase.Root
	}
	rule := phase.Decide(c.rules.Phase, op, who)
	if err := rule.Check(c.route.Name+" "+c.target(), c.rules.Phase); err != nil {
		return err
	}
	// What cannot happen now is said before asking to confirm it.
	if pre, ok := prechecks[c.route.Name]; ok {
		if err := pre(c.ctx, s.HV, c); err != nil {
			return err
		}
	}
	answer := c.given
	switch {
	case rule.Typed == phase.NoQuestion:
	case answer.How == "":
		return &phase.Unconfirmed{Op: c.route.Name, Target: c.target(), Question: rule.Typed, Why: rule.Why}
	case rule.Typed == phase.TypeName:
		want, err := c.objectName(s)
		if err != nil {
			return err
		}
		if answer.Name != want {
			return &phase.Unconfirmed{Op: c.route.Name, Target: c.target(), Question: phase.TypeName, Name: want,
				Why: fmt.Sprintf("the name typed (%q) is not %q", answer.Name, want)}
		}
	}
	if answer.How != "" {
		c.ctx = vm.WithConfirmation(c.ctx, answer)
	}
	return nil
}

// target is what the call acts on, for messages: its path's wildcards.
func (c *call) target() string {
	var t string
	for _, k := range []string{"ref", "pool", "name", "target", "mac"} {
		if v := c.path(k); v != "" {
			if t != "" {
				t += "/"
			}
			t += v
		}
	}
	return t
}

// objectName is the name a name question wants: a VM's (ref may be its
// UUID), else the path's name.
func (c *call) objectName(s *Server) (string, error) {
	if c.route.Names != "ref" {
		return c.path(c.route.Names), nil
	}
	v, err := s.HV.Lookup(c.ctx, c.path("ref"))
	return v.Name, err
}

// refused writes a refused (or failed) attempt to the trail.
func (s *Server) refused(c *call, err error) {
	s.record(c, c.route.Name, c.target(), audit.Refused, err, audit.ConfirmationNote(vm.WithConfirmation(c.ctx, c.given)))
}

// riskRaisers make a route riskier for the object it acts on: stopping
// a network or pool that running VMs use cuts them off.
var riskRaisers = map[string]func(ctx context.Context, h vm.Hypervisor, name string) security.Risk{
	"net.stop": func(ctx context.Context, h vm.Hypervisor, name string) security.Risk {
		n, err := h.Network(ctx, name)
		if err != nil {
			return 0
		}
		return ops.StopRisk(running(ctx, h, n.UsedBy))
	},
	"pool.stop": func(ctx context.Context, h vm.Hypervisor, name string) security.Risk {
		p, err := h.Pool(ctx, name)
		if err != nil {
			return 0
		}
		return ops.StopRisk(running(ctx, h, p.UsedBy))
	},
}

// prechecks refuse, before any question, a change the object's state
// rules out: forgetting an active network or pool, deleting a running VM.
var prechecks = map[string]func(ctx context.Context, h vm.Hypervisor, c *call) error{
	"net.undefine": func(ctx context.Context, h vm.Hypervisor, c *call) error {
		n, err := h.Network(ctx, c.path("name"))
		return inactive(err, n.Active, "undefine network", n.Name, "stop it first: hv net stop "+n.Name)
	},
	"pool.undefine": poolInactive("undefine pool"),
	"pool.delete":   poolInactive("delete pool"),
}

// poolInactive refuses op on an active pool.
func poolInactive(op string) func(ctx context.Context, h vm.Hypervisor, c *call) error {
	return func(ctx context.Context, h vm.Hypervisor, c *call) error {
		p, err := h.Pool(ctx, c.path("name"))
		return inactive(err, p.Active, op, p.Name, "stop it first: hv pool stop "+p.Name)
	}
}

// inactive refuses an operation on an object that is active; a lookup
// error is left for the operation itself to report.
func inactive(lookupErr error, active bool, op, name, hint string) error {
	if lookupErr != nil || !active {
		return nil
	}
	return &vm.Error{Op: op, Target: name, Kind: vm.ErrInvalidState, Detail: "it is active", Hint: hint}
}

// running counts the VMs named in names that are active now.
func running(ctx context.Context, h vm.Hypervisor, names []string) int {
	all, err := h.List(ctx)
	if err != nil {
		return len(names) // unknown: assume the worst
	}
	n := 0
	for _, v := range all {
		if v.State.Active() && slices.Contains(names, v.Name) {
			n++
		}
	}
	return n
}
