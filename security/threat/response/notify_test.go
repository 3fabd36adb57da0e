package response

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/security/threat"
)

var critical = threat.Finding{ID: 12, Rule: "account.uid0-created", Title: "New account with UID 0", Severity: threat.Critical,
	User: "toor\nPRIORITY=7", Time: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}

// readJournal parses one datagram of journald's native protocol.
func readJournal(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			t.Fatalf("unterminated field: %q", b)
		}
		line := b[:nl]
		b = b[nl+1:]
		if k, v, ok := bytes.Cut(line, []byte("=")); ok {
			out[string(k)] = string(v)
			continue
		}
		n := binary.LittleEndian.Uint64(b[:8])
		out[string(line)] = string(b[8 : 8+n])
		b = b[8+n+1:]
	}
	return out
}

// The journal notifier speaks journald's native protocol on its socket;
// a value holding a newline cannot forge another field.
func TestJournalNotifier(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "socket")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if !JournalRunning(sock) || JournalRunning(filepath.Join(t.TempDir(), "none")) {
		t.Fatal("JournalRunning should see the socket, and only it")
	}
	if err := (&Journal{Socket: sock}).Notify(context.Background(), critical); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<16)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := readJournal(t, buf[:n])
	if got["PRIORITY"] != "2" || got["SYSLOG_IDENTIFIER"] != "hv" || got["HV_RULE"] != "account.uid0-created" || got["HV_FINDING"] != "12" ||
		got["HV_USER"] != "toor\nPRIORITY=7" || !strings.Contains(got["MESSAGE"], `user="toor\nPRIORITY=7"`) {
		t.Errorf("journal fields %q", got)
	}
}

// The webhook posts the finding as JSON to a local server the test runs,
// and a refusal is an error naming the answer.
func TestWebhookNotifier(t *testing.T) {
	var got map[string]any
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &got)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s", r.Method, r.Header.Get("Content-Type"))
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	w := &Webhook{URL: srv.URL}
	if err := w.Notify(context.Background(), critical); err != nil {
		t.Fatal(err)
	}
	if got["rule"] != "account.uid0-created" || got["severity"] != "critical" {
		t.Errorf("posted %v", got)
	}
	status = http.StatusForbidden
	if err := w.Notify(context.Background(), critical); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("a refusal: %v", err)
	}
}

// The command gets the finding as JSON on its standard input.
func TestCommandNotifier(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	c := &CommandNotifier{Argv: []string{"sh", "-c", "cat > " + out}}
	if err := c.Notify(context.Background(), critical); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !bytes.Contains(b, []byte(`"rule":"account.uid0-created"`)) {
		t.Errorf("the command read %q", b)
	}
	if err := (&CommandNotifier{Argv: []string{"false"}}).Notify(context.Background(), critical); err == nil {
		t.Error("a failing command is an error")
	}
}

// A notify playbook tells every place it has: when some take it, the
// action is ok and says which did not; when none does, it failed.
func TestNotifyPlaybookReachesItsPlaces(t *testing.T) {
	r, _, _, _ := newRunner(t, "notify-critical")
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls++ }))
	defer srv.Close()
	r.Do.Notify = Notifiers{&Webhook{URL: srv.URL}, &CommandNotifier{Argv: []string{"false"}}}
	acts := r.Handle(context.Background(), critical)
	if len(acts) != 1 || calls != 1 || !strings.HasPrefix(acts[0].Result, "ok; told only some") {
		t.Fatalf("actions %+v, webhook calls %d", acts, calls)
	}
	r.Do.Notify = Notifiers{&CommandNotifier{Argv: []string{"false"}}}
	r.Now = func() time.Time { return critical.Time.Add(time.Hour) }
	if acts := r.Handle(context.Background(), critical); len(acts) != 1 || strings.HasPrefix(acts[0].Result, "ok") {
		t.Errorf("nowhere reached: %+v", acts)
	}
	r.Do.Notify = nil
	if why := r.Do.Unavailable(Notify); !strings.Contains(why, "nowhere to notify") {
		t.Errorf("no notifier: %q", why)
	}
	if _, err := r.RunNow(context.Background(), "notify-critical", critical, "alice"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("notify without a notifier must not be run: %v", err)
	}
}
