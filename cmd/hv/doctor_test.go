package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/security/access"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm/api"
	"github.com/hyper-nixos/hv/vm/daemon"
	"github.com/hyper-nixos/hv/vm/daemon/daemontest"
	"github.com/hyper-nixos/hv/vm/demo"
)

func TestDoctorJSONOnTheDemo(t *testing.T) {
	code, out, errOut := hv(t, "doctor", "--demo", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var d doctorJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !d.Libvirt.ReadWrite || !d.Libvirt.ReadOnly || d.User == "" || len(d.Capabilities) != 9 || len(d.Host) != 5 {
		t.Fatalf("%+v", d)
	}
	for _, c := range d.Capabilities {
		if c.Why == "" {
			t.Errorf("%s has no reason", c.ID)
		}
	}
	if d.Apply.Installed || !strings.Contains(d.Apply.Unknown, "demo") {
		t.Errorf("the demo has no apply service: %+v", d.Apply)
	}
	if d.Daemon.Answers || !strings.Contains(d.Daemon.Error, "demo") {
		t.Errorf("the demo has no daemon: %+v", d.Daemon)
	}
}

// serveDaemon serves the demo host, enforcing p, with polkit granting g;
// it returns the socket and the libvirt URI behind it.
func serveDaemon(t *testing.T, p phase.Phase, g daemontest.Grant) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := demo.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	socket, _ := daemontest.Serve(t, b, g, &daemon.Rules{Phase: p})
	return socket, b.URI()
}

// TestDoctorAsksTheDaemon: the doctor reports what the daemon answered:
// the phase it enforces (which binds, whatever the host file this user
// reads says) and the actions polkit grants; and a daemon that is not
// there as not running.
func TestDoctorAsksTheDaemon(t *testing.T) {
	socket, uri := serveDaemon(t, phase.Hardened, daemontest.Grant{api.ActionRead, api.ActionLifecycle, api.ActionConsole})
	t.Setenv(api.SocketEnv, socket)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("HV_HOST_FILE", filepath.Join(t.TempDir(), "none.toml"))
	t.Setenv("LIBVIRT_DEFAULT_URI", "test:///default")
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := runWith(append([]string{"doctor"}, args...), strings.NewReader(""), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	doctor := func(args ...string) doctorJSON {
		code, out, errOut := run(append([]string{"--json"}, args...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var d doctorJSON
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return d
	}
	d := doctor()
	want := []string{api.ActionRead, api.ActionLifecycle, api.ActionConsole}
	if !d.Daemon.Answers || d.Daemon.Socket != socket || d.Daemon.Phase != "hardened" || !slices.Equal(d.Daemon.Allowed, want) ||
		d.Daemon.URI != uri || d.Daemon.Version != "test" {
		t.Errorf("the daemon's answer: %+v", d.Daemon)
	}
	if d.Phase != "hardened" {
		t.Errorf("the phase the daemon enforces binds: %s", d.Phase)
	}
	_, text, _ := run()
	if !strings.Contains(text, socket+" answers (hv test, libvirt "+uri+", phase hardened); polkit grants you: look, lifecycle, console") {
		t.Errorf("the text report says what the daemon granted:\n%s", text)
	}

	t.Setenv(api.SocketEnv, filepath.Join(t.TempDir(), "none.sock"))
	if d := doctor(); d.Daemon.Answers || !strings.Contains(d.Daemon.Error, "no socket at") || len(d.Daemon.Allowed) != 0 {
		t.Errorf("no daemon: %+v", d.Daemon)
	}
	// A socket left behind by a daemon that died.
	stale := filepath.Join(t.TempDir(), "hv.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	t.Setenv(api.SocketEnv, stale)
	if d := doctor(); d.Daemon.Answers || !strings.Contains(d.Daemon.Error, "the hv daemon does not answer") || !strings.Contains(d.Daemon.Error, stale) {
		t.Errorf("a dead daemon: %+v", d.Daemon)
	}
	// --host names the daemon to ask.
	if d := doctor("--host", "unix://"+socket); !d.Daemon.Answers {
		t.Errorf("--host: %+v", d.Daemon)
	}
	// Another host's, over SSH (a stand-in for ssh that cannot connect):
	// its words, not a local socket's.
	ssh := filepath.Join(t.TempDir(), "ssh")
	os.WriteFile(ssh, []byte("#!/bin/sh\necho 'ssh: connect to host 127.0.0.1 port 1: Connection refused' >&2\nexit 255\n"), 0o755)
	t.Setenv("HV_SSH", ssh)
	if d := doctor("--host", "ssh://op@127.0.0.1:1"); d.Daemon.Answers || strings.Contains(d.Daemon.Error, "no socket") ||
		!strings.Contains(d.Daemon.Error, "Connection refused") {
		t.Errorf("--host ssh://: %+v", d.Daemon)
	}
}

// TestDoctorAsksLibvirtReadWriteOnlyWhereHvWould: an operator's hv talks to
// the daemon, so the doctor does not ask libvirt for read-write either (a
// refused attempt would only be noise for the threat monitor).
func TestDoctorAsksLibvirtReadWriteOnlyWhereHvWould(t *testing.T) {
	socket, _ := serveDaemon(t, phase.Setup, daemontest.Grant{api.ActionRead})
	g := &globals{host: "unix://" + socket}
	t.Setenv("LIBVIRT_DEFAULT_URI", "test:///default")
	if lv, _ := g.probe(context.Background()); lv.ReadWrite != access.ErrNotAsked || lv.ReadOnly != nil {
		t.Errorf("through the daemon, only read-only is asked: %+v", lv)
	}
	g = &globals{connect: "test:///default"}
	if lv, h := g.probe(context.Background()); lv.ReadWrite != nil || lv.ReadOnly != nil || h.Hostname == "" {
		t.Errorf("--connect: hv uses libvirt itself, read-write: %+v %+v", lv, h)
	}
}
