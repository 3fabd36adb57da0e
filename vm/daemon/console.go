package daemon

import (
	"context"
	"net/http"
	"strings"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

// console upgrades the connection to the VM's serial console: after 101
// Switching Protocols, the guest's output comes down the connection and
// what the caller sends goes to the guest, until either end closes.
func (s *Server) console(c *call) error {
	if !strings.EqualFold(c.r.Header.Get("Upgrade"), api.UpgradeConsole) {
		return &vm.Error{Op: "open the console of", Target: c.path("ref"), Kind: vm.ErrInvalidArg,
			Detail: "the request must upgrade the connection", Hint: "send Connection: Upgrade and Upgrade: " + api.UpgradeConsole}
	}
	hj, ok := c.w.(http.Hijacker)
	if !ok {
		return &vm.Error{Op: "open the console of", Target: c.path("ref"), Kind: vm.ErrUnsupported, Detail: "this connection cannot be upgraded"}
	}
	// The console outlives the request's context, which ends once the
	// connection is taken over; the caller ends it by closing.
	con, err := c.hv.OpenConsole(context.WithoutCancel(c.ctx), c.path("ref"))
	if err != nil {
		return err
	}
	defer con.Close()
	conn, buf, err := hj.Hijack()
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + api.UpgradeConsole + "\r\n\r\n")); err != nil {
		return errReplied
	}
	input := make(chan struct{})
	go func() {
		defer close(input)
		b := make([]byte, 4096)
		for {
			n, err := buf.Read(b)
			if n > 0 {
				if _, werr := con.Write(b[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		select {
		case data := <-con.Output():
			if _, err := conn.Write(data); err != nil {
				return errReplied
			}
		case <-con.Done():
			return errReplied
		case <-input:
			return errReplied
		}
	}
}
