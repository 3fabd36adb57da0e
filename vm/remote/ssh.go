package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// SSHEnv names the ssh command to run instead of plain "ssh", split on
// spaces, as git's GIT_SSH_COMMAND: e.g. "ssh -F /etc/hv/ssh_config".
const SSHEnv = "HV_SSH"

// Address is where an hv daemon on another host is reached over SSH:
// ssh://[USER@]HOST[:PORT].
type Address struct {
	User, Host string
	Port       int // 0: ssh's own default
}

// ParseAddress reads an ssh:// address.
func ParseAddress(s string) (Address, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "ssh" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Opaque != "" {
		return Address{}, fmt.Errorf("%q is not an SSH address: write ssh://[USER@]HOST[:PORT]", s)
	}
	a := Address{User: u.User.Username(), Host: u.Hostname()}
	if _, set := u.User.Password(); set {
		return Address{}, fmt.Errorf("%q holds a password: hv uses SSH keys (ssh-agent, ~/.ssh/config)", s)
	}
	if p := u.Port(); p != "" {
		if a.Port, err = strconv.Atoi(p); err != nil || a.Port < 1 || a.Port > 65535 {
			return Address{}, fmt.Errorf("%q: the port must be a number from 1 to 65535", s)
		}
	}
	if strings.HasPrefix(a.Host, "-") || strings.HasPrefix(a.User, "-") {
		return Address{}, fmt.Errorf("%q: a host or user may not start with '-'", s)
	}
	return a, nil
}

func (a Address) String() string {
	s := "ssh://"
	if a.User != "" {
		s += a.User + "@"
	}
	s += a.Host
	if a.Port != 0 {
		s += ":" + strconv.Itoa(a.Port)
	}
	return s
}

// As is the same host reached as another user.
func (a Address) As(user string) Address { a.User = user; return a }

// Args are ssh's arguments to run command there, after the ssh command
// itself: no terminal, never a password prompt (which would draw over the
// TUI), and a dead host noticed within seconds.
func (a Address) Args(command ...string) []string {
	args := []string{"-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
		"-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"}
	if a.Port != 0 {
		args = append(args, "-p", strconv.Itoa(a.Port))
	}
	if a.User != "" {
		args = append(args, "-l", a.User)
	}
	return append(append(args, "--", a.Host), command...)
}

// sshCommand is $HV_SSH split on spaces, or ssh.
func sshCommand() []string {
	if f := strings.Fields(os.Getenv(SSHEnv)); len(f) > 0 {
		return f
	}
	return []string{"ssh"}
}

// SSH dials the hv daemon of the host at a, as docker -H ssh:// does:
// each connection is one `ssh HOST hv dial-stdio`, whose standard input
// and output are joined to the daemon's socket there. The daemon takes
// the caller for the SSH user, from the bridge's peer credentials, and
// authorises them as it does local users. Host keys and keys are ssh's
// business (known_hosts, ~/.ssh/config, the agent).
func SSH(a Address) Dialer {
	return func(ctx context.Context) (net.Conn, error) {
		return dialCommand(ctx, append(sshCommand(), a.Args("hv", "dial-stdio")...), a.String())
	}
}

// dialCommand runs argv and makes its standard input and output a
// net.Conn. Its standard error is kept: when the connection ends before
// the daemon answered, ssh's last words say why.
func dialCommand(ctx context.Context, argv []string, where string) (net.Conn, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	c := &cmdConn{in: inW, out: outR, where: where, exited: make(chan struct{})}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, &c.stderr
	// ssh must not read the terminal the TUI owns, nor die with its ^C.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	inR.Close()
	outW.Close()
	c.cmd = cmd
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	if err := ctx.Err(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// cmdConn is a command's standard input and output as a connection.
type cmdConn struct {
	in     *os.File // its standard input
	out    *os.File // its standard output
	where  string
	cmd    *exec.Cmd
	stderr lockedBuffer

	exited  chan struct{}
	waitErr error
	once    sync.Once
}

// Read reports, at the end of the command's output, why it ended.
func (c *cmdConn) Read(p []byte) (int, error) {
	n, err := c.out.Read(p)
	if errors.Is(err, io.EOF) {
		if why := c.why(); why != "" {
			return n, errors.New(why)
		}
	}
	return n, err
}

// Write reports, when the command has gone (a broken pipe), why it went.
func (c *cmdConn) Write(p []byte) (int, error) {
	n, err := c.in.Write(p)
	if err != nil {
		if why := c.why(); why != "" {
			return n, errors.New(why)
		}
	}
	return n, err
}

// why is what the command said before it ended, once it has (briefly
// waited for): "ssh: connect to host ... refused", "Permission denied".
func (c *cmdConn) why() string {
	select {
	case <-c.exited:
	case <-time.After(500 * time.Millisecond):
		return ""
	}
	msg := strings.TrimSpace(c.stderr.String())
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:]
	}
	if msg == "" {
		return ""
	}
	if !strings.HasPrefix(msg, "ssh:") {
		msg = "ssh: " + msg
	}
	return msg
}

// Close ends the connection: the far side sees the end of its input and
// finishes; a command that lingers is killed.
func (c *cmdConn) Close() error {
	c.once.Do(func() {
		c.in.Close()
		go func() {
			select {
			case <-c.exited:
			case <-time.After(2 * time.Second):
				c.cmd.Process.Kill()
			}
			c.out.Close()
		}()
	})
	return nil
}

func (c *cmdConn) LocalAddr() net.Addr  { return cmdAddr("hv") }
func (c *cmdConn) RemoteAddr() net.Addr { return cmdAddr(c.where) }

func (c *cmdConn) SetDeadline(t time.Time) error {
	return errors.Join(c.in.SetWriteDeadline(t), c.out.SetReadDeadline(t))
}
func (c *cmdConn) SetReadDeadline(t time.Time) error  { return c.out.SetReadDeadline(t) }
func (c *cmdConn) SetWriteDeadline(t time.Time) error { return c.in.SetWriteDeadline(t) }

type cmdAddr string

func (a cmdAddr) Network() string { return "ssh" }
func (a cmdAddr) String() string  { return string(a) }

// lockedBuffer keeps the last few KiB a command wrote to its error
// output, safe to read while it writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 4096 {
		b.buf.Next(b.buf.Len() - 2048)
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
