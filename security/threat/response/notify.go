package response

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hyper-nixos/hv/security/threat"
)

// JournalSocket is where journald takes native messages.
const JournalSocket = "/run/systemd/journal/socket"

// Journal writes a finding to the systemd journal through its native
// socket, with the finding's fields as journal fields (HV_RULE, HV_IP...),
// so 'journalctl SYSLOG_IDENTIFIER=hv HV_SEVERITY=critical' finds them.
// Any user may write to it.
type Journal struct {
	Socket string // JournalSocket when empty
}

func (j *Journal) socket() string {
	if j.Socket == "" {
		return JournalSocket
	}
	return j.Socket
}

// JournalRunning reports whether journald listens here.
func JournalRunning(socket string) bool {
	if socket == "" {
		socket = JournalSocket
	}
	st, err := os.Stat(socket)
	return err == nil && st.Mode()&os.ModeSocket != 0
}

// priorities maps severities to syslog priorities: critical is crit (2).
var priorities = [...]int{threat.Info: 6, threat.Low: 5, threat.Medium: 4, threat.High: 3, threat.Critical: 2}

func (j *Journal) Notify(ctx context.Context, f threat.Finding) error {
	var b bytes.Buffer
	field := func(k, v string) {
		if v == "" {
			return
		}
		if !strings.ContainsRune(v, '\n') {
			b.WriteString(k + "=" + v + "\n")
			return
		}
		// journald's binary form for values holding a newline
		b.WriteString(k + "\n")
		binary.Write(&b, binary.LittleEndian, uint64(len(v)))
		b.WriteString(v + "\n")
	}
	field("MESSAGE", fmt.Sprintf("hv threat %s: %s (%s)%s", f.Severity, f.Title, f.Rule, who(f)))
	field("PRIORITY", strconv.Itoa(priorities[f.Severity]))
	field("SYSLOG_IDENTIFIER", "hv")
	field("HV_RULE", f.Rule)
	field("HV_SEVERITY", f.Severity.String())
	field("HV_IP", f.IP)
	field("HV_USER", f.User)
	field("HV_VM", f.VM)
	if f.ID != 0 {
		field("HV_FINDING", strconv.FormatInt(f.ID, 10))
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unixgram", j.socket())
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write(b.Bytes()); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

func (j *Journal) String() string { return "the journal" }

// who names a finding's address, user and VM for a log line, quoted:
// attacker-chosen text made inert.
func who(f threat.Finding) string {
	var parts []string
	for _, kv := range [][2]string{{"ip", f.IP}, {"user", f.User}, {"vm", f.VM}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+strconv.QuoteToASCII(kv[1]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

// LogNotifier writes one line per finding to a log (the monitor service's
// standard error, which systemd keeps), where there is no journald.
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

func (n *LogNotifier) String() string { return "the service's log" }

// CommandNotifier runs a command with the finding as JSON on its standard
// input (a mailer, a chat hook).
type CommandNotifier struct {
	Argv []string
}

func (n *CommandNotifier) Notify(ctx context.Context, f threat.Finding) error {
	if len(n.Argv) == 0 {
		return errors.New("notify command is empty")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.Argv[0], n.Argv[1:]...)
	cmd.Stdin = strings.NewReader(string(f.AppendJSON(nil)) + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("notify command %s: %w: %s", n.Argv[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (n *CommandNotifier) String() string { return "the command " + n.Argv[0] }

// Webhook posts the finding as JSON to a URL and wants a 2xx answer.
type Webhook struct {
	URL    string
	Client *http.Client // a 10 s client when nil
}

func (w *Webhook) Notify(ctx context.Context, f threat.Finding) error {
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(f.AppendJSON(nil)))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s answered %s", w.URL, resp.Status)
	}
	return nil
}

func (w *Webhook) String() string { return "the webhook " + w.URL }

// Notifiers tells every one of its notifiers; it fails only when all do,
// and says which did not take it.
type Notifiers []Notifier

func (ns Notifiers) Notify(ctx context.Context, f threat.Finding) error {
	var errs []error
	for _, n := range ns {
		if err := n.Notify(ctx, f); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == len(ns) {
		return errors.Join(errs...)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrPartly, errors.Join(errs...))
	}
	return nil
}

// ErrPartly says a notification reached some of its places only.
var ErrPartly = errors.New("told only some")

func (ns Notifiers) String() string {
	var names []string
	for _, n := range ns {
		names = append(names, fmt.Sprint(n))
	}
	return strings.Join(names, ", ")
}

// NotifyConfig is where notifications go besides the journal: the
// [notify] table of the playbooks file.
type NotifyConfig struct {
	Command []string `toml:"command"`
	Webhook string   `toml:"webhook"`
}

// Notifiers builds the notifiers of a configuration, first is where the
// process itself reports (the journal, or a log without one).
func (c NotifyConfig) Notifiers(first Notifier) Notifiers {
	var ns Notifiers
	if first != nil {
		ns = append(ns, first)
	}
	if len(c.Command) > 0 {
		ns = append(ns, &CommandNotifier{Argv: c.Command})
	}
	if c.Webhook != "" {
		ns = append(ns, &Webhook{URL: c.Webhook})
	}
	return ns
}
