package daemon

import (
	"context"
	"fmt"
	"net"
	"os/user"
	"strconv"

	"golang.org/x/sys/unix"
)

// Peer is the process at the other end of a connection, as the kernel
// tells it (SO_PEERCRED): nothing the client says about itself counts.
type Peer struct {
	PID  int32
	UID  uint32
	GID  uint32
	User string // the user's name, or the uid in digits when it has none
}

// Root reports whether the peer runs as root.
func (p Peer) Root() bool { return p.UID == 0 }

type peerKey struct{}

// peerOf is the peer a request's connection carries, set by withPeer.
func peerOf(ctx context.Context) (Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(Peer)
	return p, ok
}

// withPeer is http.Server's ConnContext: it reads the credentials of a
// unix socket's peer once per connection. A connection whose peer cannot
// be told carries none, and every request on it is refused.
func withPeer(ctx context.Context, c net.Conn) context.Context {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return ctx
	}
	p, err := peerCredentials(uc)
	if err != nil {
		return ctx
	}
	return context.WithValue(ctx, peerKey{}, p)
}

func peerCredentials(c *net.UnixConn) (Peer, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return Peer{}, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Peer{}, err
	}
	if credErr != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials: %w", credErr)
	}
	p := Peer{PID: cred.Pid, UID: cred.Uid, GID: cred.Gid, User: strconv.FormatUint(uint64(cred.Uid), 10)}
	if u, err := user.LookupId(p.User); err == nil {
		p.User = u.Username
	}
	return p, nil
}
