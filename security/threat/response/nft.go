package response

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"time"
)

// CommandRunner runs a command with standard input; tests replace it.
type CommandRunner func(ctx context.Context, stdin string, name string, args ...string) (string, error)

// Exec runs the real command.
func Exec(ctx context.Context, stdin, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// NFT blocks addresses with nftables: a table of hv's own ("inet hv")
// holding two sets with per-element timeouts and one input chain that
// drops their members. Blocks expire by themselves; Unblock lifts one
// early. hv never touches other tables.
type NFT struct {
	Run   CommandRunner
	Table string // default "hv"
}

const nftTable = `table inet %[1]s {
	set blocked4 { type ipv4_addr; flags timeout; comment "hv threat response"; }
	set blocked6 { type ipv6_addr; flags timeout; comment "hv threat response"; }
	chain input {
		type filter hook input priority -10; policy accept;
		ip saddr @blocked4 counter drop
		ip6 saddr @blocked6 counter drop
	}
}
`

func (n *NFT) table() string {
	if n.Table == "" {
		return "hv"
	}
	return n.Table
}

// ErrNeedsNetAdmin explains a refused firewall change.
var ErrNeedsNetAdmin = errors.New("changing the firewall needs CAP_NET_ADMIN: let the monitor service block (blocking on in its settings)")

// ensure creates hv's table once; loading the whole table again would
// duplicate its rules.
func (n *NFT) ensure(ctx context.Context) error {
	if _, err := n.Run(ctx, "", "nft", "list", "table", "inet", n.table()); err == nil {
		return nil
	}
	_, err := n.Run(ctx, fmt.Sprintf(nftTable, n.table()), "nft", "-f", "-")
	return n.explain(err)
}

func (n *NFT) explain(err error) error {
	if err != nil && (strings.Contains(err.Error(), "Operation not permitted") || strings.Contains(err.Error(), "Permission denied")) {
		return fmt.Errorf("%w (%v)", ErrNeedsNetAdmin, err)
	}
	return err
}

func setFor(a netip.Addr) string {
	if a.Is4() {
		return "blocked4"
	}
	return "blocked6"
}

// Block drops traffic from addr for d.
func (n *NFT) Block(ctx context.Context, addr netip.Addr, d time.Duration) error {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsUnspecified() {
		return fmt.Errorf("refusing to block %q", addr)
	}
	if err := n.ensure(ctx); err != nil {
		return err
	}
	secs := max(int(d.Seconds()), 1)
	_, err := n.Run(ctx, "", "nft", "add", "element", "inet", n.table(), setFor(addr), fmt.Sprintf("{ %s timeout %ds }", addr, secs))
	return n.explain(err)
}

// Unblock lifts a block; an address no longer blocked (expired) is fine.
func (n *NFT) Unblock(ctx context.Context, addr netip.Addr) error {
	addr = addr.Unmap()
	_, err := n.Run(ctx, "", "nft", "delete", "element", "inet", n.table(), setFor(addr), fmt.Sprintf("{ %s }", addr))
	if err != nil && (strings.Contains(err.Error(), "No such file or directory") || strings.Contains(err.Error(), "does not exist")) {
		return nil
	}
	return n.explain(err)
}
