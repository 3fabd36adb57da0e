package response

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/hyper-nixos/hv/security/threat"
)

// LogNotifier writes one line per finding, for the journal.
type LogNotifier struct {
	W  io.Writer
	mu sync.Mutex
}

func (n *LogNotifier) Notify(_ context.Context, f threat.Finding) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, err := fmt.Fprintf(n.W, "hv threat %s: %s (%s)%s\n", f.Severity, f.Title, f.Rule, who(f))
	return err
}

func who(f threat.Finding) string {
	var parts []string
	for _, kv := range [][2]string{{"ip", f.IP}, {"user", f.User}, {"vm", f.VM}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+strconv.QuoteToASCII(kv[1])) // attacker-chosen text, made inert
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

// CommandNotifier runs a command with the finding as JSON on its standard
// input (a mailer, a chat hook).
type CommandNotifier struct {
	Argv []string
}

func (n *CommandNotifier) Notify(ctx context.Context, f threat.Finding) error {
	if len(n.Argv) == 0 {
		return fmt.Errorf("notify command is empty")
	}
	cmd := exec.CommandContext(ctx, n.Argv[0], n.Argv[1:]...)
	cmd.Stdin = strings.NewReader(string(f.AppendJSON(nil)) + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("notify command: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
