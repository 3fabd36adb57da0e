package remote

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

// CopyVolume reads the copy's progress lines as they come; ending ctx
// closes the connection, which cancels the copy in the daemon.
func (c *Client) CopyVolume(ctx context.Context, pool, src, dst string, progress func(done, total uint64)) (vm.Volume, error) {
	var v vm.Volume
	err := readLines(c, ctx, "volume.copy", api.CopyReq{Name: dst}, []string{pool, src}, func(line api.CopyLine) (bool, error) {
		switch {
		case line.Error != nil:
			return true, api.Decode(*line.Error)
		case line.Volume != nil:
			v = *line.Volume
			return true, nil
		case progress != nil:
			progress(line.Done, line.Total)
		}
		return false, nil
	})
	return v, err
}

// migrateTo has the daemon move ref (vm.migrate), reading its progress
// lines; ending ctx closes the connection, which cancels the move.
func (c *Client) migrateTo(ctx context.Context, ref string, req api.MigrateReq, progress func(vm.MigrationProgress)) error {
	return readLines(c, ctx, "vm.migrate", req, []string{ref}, func(line api.MigrateLine) (bool, error) {
		switch {
		case line.Error != nil:
			return true, api.Decode(*line.Error)
		case line.Done:
			return true, nil
		case line.Progress != nil && progress != nil:
			progress(*line.Progress)
		}
		return false, nil
	})
}

// readLines calls route with body in and hands each line of its reply to
// each until each says it was the last.
func readLines[T any](c *Client, ctx context.Context, route string, in any, args []string, each func(T) (last bool, err error)) error {
	rt := api.Find(route)
	target := []string{strings.Join(args, "/")}
	req, err := c.request(ctx, rt, args, nil, in)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(ctx, rt, target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return replyError(rt, resp)
	}
	dec := json.NewDecoder(resp.Body)
	for {
		var line T
		if err := dec.Decode(&line); err != nil {
			return transportError(ctx, rt, target, err)
		}
		if last, err := each(line); last {
			return err
		}
	}
}

// OpenConsole upgrades a connection to the VM's serial console.
func (c *Client) OpenConsole(ctx context.Context, ref string) (vm.Console, error) {
	rt := api.Find("vm.console")
	req, err := c.request(ctx, rt, []string{ref}, nil, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", api.UpgradeConsole)
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, transportError(ctx, rt, []string{ref}, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, transportError(ctx, rt, []string{ref}, err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, transportError(ctx, rt, []string{ref}, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer conn.Close()
		defer resp.Body.Close()
		return nil, replyError(rt, resp)
	}
	conn.SetDeadline(time.Time{})
	con := &console{conn: conn, out: make(chan []byte, 64), done: make(chan struct{}), closed: make(chan struct{})}
	go con.read(br)
	return con, nil
}

// console is the daemon's side of a serial console, over one connection.
type console struct {
	conn   net.Conn
	out    chan []byte
	done   chan struct{} // the connection ended
	closed chan struct{} // Close was called
	once   sync.Once

	mu  sync.Mutex
	err error
}

func (cn *console) read(r io.Reader) {
	defer close(cn.done)
	for {
		b := make([]byte, 4096)
		n, err := r.Read(b)
		if n > 0 {
			select {
			case cn.out <- b[:n]:
			case <-cn.closed:
				return
			}
		}
		if err != nil {
			select {
			case <-cn.closed:
			default:
				cn.mu.Lock()
				cn.err = &vm.Error{Op: "console", Kind: vm.ErrConnLost,
					Detail: "the console closed: the VM stopped or restarted, libvirt restarted, or the daemon went away"}
				cn.mu.Unlock()
			}
			return
		}
	}
}

func (cn *console) Output() <-chan []byte       { return cn.out }
func (cn *console) Done() <-chan struct{}       { return cn.done }
func (cn *console) Write(p []byte) (int, error) { return cn.conn.Write(p) }

// Err says why the console ended; nil when Close ended it.
func (cn *console) Err() error {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.err
}

func (cn *console) Close() error {
	cn.once.Do(func() { close(cn.closed) })
	return cn.conn.Close()
}
