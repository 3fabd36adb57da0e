package daemon

// Moving VMs between hosts. The operator asks both hosts' daemons, each as
// the user SSH makes them there: the destination accepts the VM (polkit,
// its phase, what the VM needs of it: vm.migrate.accept) and hands back a
// ticket; the source moves it (vm.migrate). The source's daemon claims the
// ticket from the destination's daemon itself, as root over SSH, with the
// VM as it reads it, so that neither host takes the operator's word for
// what the other allowed; both trails record every step. The move itself
// is libvirt's: peer to peer over SSH, live with its disks (NBD) when the
// VM runs, disks then definition when it is shut off.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
	"github.com/hyper-nixos/hv/vm/libvirt"
	"github.com/hyper-nixos/hv/vm/remote"
)

// PeerDaemon is what a daemon asks of another host's daemon while it
// moves a VM there.
type PeerDaemon interface {
	ClaimMigration(ctx context.Context, ticket string, m vm.Move) error
	FinishMigration(ctx context.Context, ticket string, end error) error
	Close() error
}

// DialPeerSSH reaches a peer's daemon as root over SSH (ssh root@HOST hv
// dial-stdio): the daemons trust each other as their hosts' roots do.
func DialPeerSSH(ctx context.Context, a remote.Address) (PeerDaemon, error) {
	return remote.Open(ctx, remote.SSH(a.As("root")), a.As("root").String())
}

// Peers are the other hv hosts the host file names (hosts.peers), by
// hostname.
type Peers map[string]remote.Address

// ParsePeers reads hosts.peers entries, HOSTNAME=ssh://ADDRESS.
func ParsePeers(entries []string) (Peers, error) {
	p := Peers{}
	for _, e := range entries {
		name, addr, ok := strings.Cut(e, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("hosts.peers: %q is not HOSTNAME=ssh://ADDRESS", e)
		}
		a, err := remote.ParseAddress(addr)
		if err != nil {
			return nil, fmt.Errorf("hosts.peers: %w", err)
		}
		p[name] = a
	}
	return p, nil
}

// libvirtPeer is how this host's libvirt reaches the peer at a: its URI
// (root over SSH, like the daemons), where QEMU sends the VM's memory and
// disks, and the address the peer's QEMU listens on for them.
func libvirtPeer(a remote.Address) libvirt.Migration {
	host := a.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	uri := "qemu+ssh://root@" + host
	if a.Port != 0 {
		uri += ":" + strconv.Itoa(a.Port)
	}
	return libvirt.Migration{PeerURI: uri + "/system", DataURI: "tcp://" + host, Listen: a.Host}
}

// migrator is the backend's own move (vm/libvirt).
type migrator interface {
	Migrate(ctx context.Context, ref string, m libvirt.Migration, progress func(vm.MigrationProgress)) error
}

// vetter checks a VM's definition with the payload policy (vm/libvirt).
type vetter interface {
	Vet(ctx context.Context, ref string) error
}

// cpuChecker says whether this host can give a VM a named CPU model.
type cpuChecker interface {
	CPUUsable(ctx context.Context, model, arch string) error
}

// ticket is one VM a destination accepted.
type ticket struct {
	user    string // who accepted it here
	move    vm.Move
	expires time.Time
	claimed bool
}

// tickets are the destination's acceptances, in memory: a daemon that
// restarts forgets them, and the operator asks again.
type tickets struct {
	mu sync.Mutex
	m  map[string]*ticket
}

// ticketLife is how long an acceptance waits for its move to start.
const ticketLife = 10 * time.Minute

func (ts *tickets) add(t *ticket) string {
	b := make([]byte, 16)
	rand.Read(b)
	id := hex.EncodeToString(b)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.m == nil {
		ts.m = map[string]*ticket{}
	}
	for k, old := range ts.m {
		if time.Now().After(old.expires) {
			delete(ts.m, k)
		}
	}
	ts.m[id] = t
	return id
}

// claim marks ticket id taken, for a move of VM m; a ticket is claimed
// once, for the VM it was given for.
func (ts *tickets) claim(id string, m vm.Move) (ticket, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.m[id]
	switch {
	case !ok || time.Now().After(t.expires):
		return ticket{}, errors.New("this host has no such ticket (it expires after " + ticketLife.String() + ", and a daemon that restarted forgets it)")
	case t.claimed:
		return ticket{}, errors.New("the ticket was used already")
	case t.move.UUID != m.UUID || t.move.Name != m.Name:
		return ticket{}, fmt.Errorf("the ticket is for %s, not %s", t.move.Name, m.Name)
	}
	t.claimed = true
	return *t, nil
}

// end forgets ticket id, returning it.
func (ts *tickets) end(id string) (ticket, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.m[id]
	delete(ts.m, id)
	if !ok {
		return ticket{}, false
	}
	return *t, true
}

// checkMove says whether VM m may come to this host: nothing of its name
// here, its networks active, a pool for each disk's directory (approved,
// with room, no volume of that name), its media here, its CPU.
func (s *Server) checkMove(ctx context.Context, rules Rules, m vm.Move) error {
	refuse := func(rule, remedy string) error {
		return &vm.Refusal{Op: "accept", Target: m.Name + " from " + m.From, Rule: rule, Remedy: remedy}
	}
	if err := vm.ValidName("VM", m.Name); err != nil {
		return refuse(err.Error(), "")
	}
	for _, ref := range []string{m.Name, m.UUID} {
		if ref == "" {
			continue
		}
		if v, err := s.HV.Lookup(ctx, ref); err == nil {
			return refuse("this host has a VM "+v.Name+" ("+v.UUID+") already", "rename or delete one of them first")
		}
	}
	for _, name := range m.Networks {
		n, err := s.HV.Network(ctx, name)
		if err != nil {
			return refuse("this host has no network "+name, "define it here first (hv net create), or detach the VM's NIC")
		}
		if !n.Active {
			return refuse("network "+name+" is not running here", "start it here first (hv net start "+name+")")
		}
	}
	pools, err := s.HV.Pools(ctx)
	if err != nil {
		return err
	}
	need := map[string]uint64{}
	for _, d := range m.Disks {
		i := slices.IndexFunc(pools, func(p vm.Pool) bool { return p.Path == d.Dir() })
		if i < 0 {
			return refuse("no pool here holds "+d.Dir()+", where its disk "+d.Target+" lies", "define a pool at "+d.Dir()+" here (hv pool create)")
		}
		p := pools[i]
		if !p.Active {
			return refuse("pool "+p.Name+" is not running here", "start it here (hv pool start "+p.Name+")")
		}
		if !rules.Roots.holds(p.Path) {
			return refuse("pool "+p.Name+" ("+p.Path+") is not under an approved root here: "+ruleRoots, remedyRoots)
		}
		if _, err := s.HV.VolumeByPath(ctx, d.Path); err == nil {
			return refuse("pool "+p.Name+" here has a volume at "+d.Path+" already", "delete it here, or rename the VM's disk first")
		}
		need[p.Name] += d.CapacityBytes
		if need[p.Name] > p.AvailableBytes {
			return refuse(fmt.Sprintf("pool %s here has %s free, the disks need %s", p.Name, vm.FormatBytes(float64(p.AvailableBytes)), vm.FormatBytes(float64(need[p.Name]))),
				"make room in pool "+p.Name+" here")
		}
	}
	for _, path := range m.Media {
		if _, err := s.HV.VolumeByPath(ctx, path); err != nil || !rules.Roots.holds(path) {
			return refuse("its medium "+path+" is not a volume of an approved pool here", "copy the medium to the same path here, or eject it first")
		}
	}
	if !m.Live {
		return nil
	}
	host, err := s.HV.Host(ctx)
	if err != nil {
		return err
	}
	if m.MemoryKiB > host.MemoryKiB {
		return refuse(fmt.Sprintf("it has %s of memory, this host %s", vm.FormatKiB(m.MemoryKiB), vm.FormatKiB(host.MemoryKiB)), "shrink its memory first")
	}
	switch m.CPUMode {
	case "host-passthrough":
		if m.HostCPU != host.CPUModel {
			return refuse("it runs with its host's own CPU (host-passthrough: "+m.HostCPU+"), and this host's is "+host.CPUModel,
				"shut it down and move it offline, or give it a named CPU model both hosts have")
		}
	case "custom":
		if c, ok := s.HV.(cpuChecker); ok && m.CPUModel != "" {
			if err := c.CPUUsable(ctx, m.CPUModel, m.Arch); err != nil {
				return refuse("its CPU model "+m.CPUModel+" is not available here", "shut it down and move it offline, or give it a CPU model both hosts have")
			}
		}
	}
	return nil
}

// acceptMigration serves vm.migrate.accept: the operator, as they are
// here, asks this host to take a VM.
func (s *Server) acceptMigration(c *call) error {
	m, err := decode[vm.Move](c)
	if err != nil {
		return err
	}
	c.selfAudited = true
	target := m.Name + " from " + m.From
	if err := s.checkMove(c.ctx, c.rules, m); err != nil {
		s.record(c, "vm.migrate.accept", target, audit.Refused, err, "")
		return err
	}
	expires := time.Now().Add(ticketLife)
	id := s.tickets.add(&ticket{user: c.peer.User, move: m, expires: expires})
	s.record(c, "vm.migrate.accept", target, audit.OK, nil, kind(m)+", ticket "+id[:8])
	return replyJSON(c, api.Ticket{ID: id, Expires: expires})
}

// claimMigration serves migration.claim, for the source's daemon only.
func (s *Server) claimMigration(c *call) error {
	if !c.peer.Root() {
		return &vm.Error{Op: "claim a migration", Kind: vm.ErrDenied, Detail: "only the daemon of the VM's host (root over SSH) claims a ticket",
			Hint: "ask for the move on the VM's host: hv vm migrate NAME HOST"}
	}
	m, err := decode[vm.Move](c)
	if err != nil {
		return err
	}
	c.selfAudited = true
	id := c.path("ticket")
	target := m.Name + " from " + m.From
	t, err := s.tickets.claim(id, m)
	if err == nil {
		// No phase question here (it was asked at acceptance), so the
		// host file's rules are read for the check.
		if c.rules, err = s.Rules(); err == nil {
			err = s.checkMove(c.ctx, c.rules, m)
		}
	}
	if err != nil {
		s.record(c, "vm.migrate.in", target, audit.Refused, err, "")
		return err
	}
	s.record(c, "vm.migrate.in", target, "started", nil, kind(m)+", accepted by "+t.user+", ticket "+id[:8])
	return done(c, nil)
}

// finishMigration serves migration.finish: the end of a move, for this
// host's trail.
func (s *Server) finishMigration(c *call) error {
	if !c.peer.Root() {
		return &vm.Error{Op: "finish a migration", Kind: vm.ErrDenied, Detail: "only the daemon of the VM's host reports how a move ended"}
	}
	end, err := decode[api.MigrationEnd](c)
	if err != nil {
		return err
	}
	c.selfAudited = true
	t, ok := s.tickets.end(c.path("ticket"))
	if !ok {
		return &vm.Error{Op: "finish a migration", Kind: vm.ErrNotFound, Detail: "no such ticket"}
	}
	result, note := audit.OK, kind(t.move)+", accepted by "+t.user
	var failure error
	if end.Error != nil {
		result, failure = audit.Failed, api.Decode(*end.Error)
	}
	s.record(c, "vm.migrate.in", t.move.Name+" from "+t.move.From, result, failure, note)
	return done(c, nil)
}

// migrate serves vm.migrate: the move itself, from this host.
func (s *Server) migrate(c *call) error {
	req, err := decode[api.MigrateReq](c)
	if err != nil {
		return err
	}
	ref := c.path("ref")
	addr, ok := c.rules.Peers[req.To]
	if !ok {
		return &vm.Refusal{Op: "migrate", Target: ref, Rule: "this host's peers (hosts.peers in the host file) do not name " + req.To,
			Remedy: "an administrator adds " + req.To + "=ssh://ADDRESS to hosts.peers in the host file, and declares its keys in services.hyper-nixos.peers (nix/README.md)"}
	}
	mv, ok := s.HV.(migrator)
	if !ok {
		return &vm.Error{Op: "migrate", Target: ref, Kind: vm.ErrUnsupported, Detail: "this daemon's hypervisor does not migrate VMs"}
	}
	m, err := s.moveOf(c.ctx, ref)
	if err != nil {
		return err
	}
	if v, ok := s.HV.(vetter); ok && !c.peer.Root() {
		var re *vm.Refusal
		if err := v.Vet(c.ctx, ref); errors.As(err, &re) {
			return &vm.Refusal{Op: "migrate", Target: m.Name, Rule: re.Rule, Remedy: "root moves a VM made by hand (hv vm migrate as root)"}
		} else if err != nil {
			return err
		}
	}
	c.selfAudited = true
	target := m.Name + " to " + req.To
	peer, err := s.dialPeer(c.ctx, addr)
	if err != nil {
		err = &vm.Error{Op: "migrate", Target: m.Name, Kind: vm.ErrConnLost, Detail: "this host's daemon cannot reach " + req.To + "'s: " + err.Error(),
			Hint: trustHint(s.Hostname, req.To, addr)}
		s.record(c, "vm.migrate", target, audit.Failed, err, "")
		return err
	}
	defer peer.Close()
	if err := peer.ClaimMigration(c.ctx, req.Ticket, m); err != nil {
		s.record(c, "vm.migrate", target, audit.Refused, err, "the destination refused")
		return err
	}
	note := kind(m)
	if answer := audit.ConfirmationNote(c.ctx); answer != "" {
		note += ", " + answer
	}
	s.record(c, "vm.migrate", target, "started", nil, note)
	out := startLines(c.w)
	defer out.end()
	err = mv.Migrate(c.ctx, m.UUID, libvirtPeer(addr), func(p vm.MigrationProgress) {
		out.write(api.MigrateLine{Progress: &p})
	})
	end := api.MigrationEnd{}
	if err != nil {
		_, body := api.Encode(err)
		end.Error = &body.Error
	}
	// The destination records the end even when the operator has gone.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), 30*time.Second)
	defer cancel()
	if ferr := peer.FinishMigration(fctx, req.Ticket, err); ferr != nil {
		slog.Warn("migration: telling the destination how it ended", "vm", m.Name, "to", req.To, "err", ferr)
	}
	if err != nil {
		s.record(c, "vm.migrate", target, audit.Failed, err, kind(m))
		out.write(api.MigrateLine{Error: end.Error})
		return errReplied
	}
	s.record(c, "vm.migrate", target, audit.OK, nil, kind(m))
	out.write(api.MigrateLine{Done: true})
	return errReplied
}

// moveOf is VM ref as a move from this host.
func (s *Server) moveOf(ctx context.Context, ref string) (vm.Move, error) {
	d, err := s.HV.Details(ctx, ref)
	if err != nil {
		return vm.Move{}, err
	}
	host, err := s.HV.Host(ctx)
	if err != nil {
		return vm.Move{}, err
	}
	return vm.MoveOf(d, s.Hostname, host.CPUModel, func(path string) (vm.Volume, error) { return s.HV.VolumeByPath(ctx, path) })
}

// trustHint says how the root trust between this host (self) and its peer
// to at a is set up: by the NixOS module on both hosts, or by hand.
func trustHint(self, to string, a remote.Address) string {
	return "the hosts' roots must trust each other: declare " + to + " here (services.hyper-nixos.peers." + to +
		", with its SSH host key and its daemon's key, " + nix.PeerIdentity + ".pub there: 'hv hosts peer-config' as root on " + to +
		" prints it) and " + self + " on " + to + " the same way, and rebuild both; without the module, root here needs a key root on " + to +
		" accepts and its host key in known_hosts. As root here, '" + sshCommandLine(a) + "' shows what fails"
}

// sshCommandLine is, in short, what the daemon runs to reach the peer at a.
func sshCommandLine(a remote.Address) string {
	cmd := "ssh -o BatchMode=yes -l root"
	if a.Port != 0 {
		cmd += " -p " + strconv.Itoa(a.Port)
	}
	return cmd + " " + a.Host + " hv dial-stdio"
}

func (s *Server) dialPeer(ctx context.Context, a remote.Address) (PeerDaemon, error) {
	dial := s.DialPeer
	if dial == nil {
		dial = DialPeerSSH
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return dial(ctx, a)
}

// kind says how a VM moves, for the trail.
func kind(m vm.Move) string {
	what := "offline"
	if m.Live {
		what = "live"
	}
	return fmt.Sprintf("%s, %d disk(s) copied", what, len(m.Disks))
}

// record writes one step of a move to the trail.
func (s *Server) record(c *call, action, target, result string, err error, note string) {
	e := audit.Entry{User: c.peer.User, Where: s.where(c.peer), Action: action, Target: target, Result: result, Note: note}
	if err != nil {
		e.Error = err.Error()
	}
	if _, werr := s.Log.Append(e); werr != nil {
		slog.Error("audit", "err", werr)
	}
}
