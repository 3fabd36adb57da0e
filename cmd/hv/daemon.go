package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/hostchange"
	"github.com/hyper-nixos/hv/security/polkit"
	"github.com/hyper-nixos/hv/vm/api"
	"github.com/hyper-nixos/hv/vm/daemon"
	"github.com/hyper-nixos/hv/vm/libvirt"
)

func newDaemonCmd(g *globals) *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run the hv daemon (root): the only holder of read-write libvirt, for operators",
		Long: "Runs the hv daemon, as root, started by systemd through hv.socket (" + api.DefaultSocket + "). It is the\n" +
			"only holder of read-write libvirt on the host: operators' hv talks to it. For each request it takes\n" +
			"the caller from the socket's peer credentials, asks polkit whether hv's action for it is granted\n" +
			"(org.hyper-nixos.*), applies the security phase and the payload policy of the host file, runs the\n" +
			"change through libvirt and writes the audit trail. The API is docs/api.md.\n\n" +
			"Without socket activation it listens on --listen.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runDaemon(ctx, g, listen, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&listen, "listen", socketPath(), "the unix socket to listen on when systemd hands over none")
	return cmd
}

// socketPath is the daemon's socket: $HV_SOCKET or the default.
func socketPath() string {
	if p := os.Getenv(api.SocketEnv); p != "" {
		return p
	}
	return api.DefaultSocket
}

func runDaemon(ctx context.Context, g *globals, listen string, stderr io.Writer) error {
	if os.Geteuid() != 0 {
		return &cliError{msg: "the hv daemon runs as root: it holds read-write libvirt for everyone",
			fix: "on NixOS, services.hyper-nixos starts it (hv.socket); by hand: run 'hv daemon' as root"}
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, nil)))
	uri, err := g.libvirtURI()
	if err != nil {
		return err
	}
	l, how, err := daemonListener(listen)
	if err != nil {
		return err
	}
	defer l.Close()
	authority, err := polkit.Connect(ctx)
	if err != nil {
		return err
	}
	defer authority.Close()
	routeLibvirtLogs()
	backend, err := openWithRetry(ctx, uri)
	if err != nil {
		return err
	}
	defer backend.Close()
	hostname, _ := os.Hostname()
	path := audit.SystemPath
	if p := os.Getenv(audit.PathEnv); p != "" {
		path = p
	}
	log := audit.Open(path)
	if err := os.MkdirAll(filepath.Dir(log.Path), 0o750); err != nil {
		return fmt.Errorf("the audit trail's directory: %w", err)
	}
	stager := &hostchange.Stager{Paths: nix.DefaultPaths(), Catalog: features.Builtin(), Log: log, Where: "hv daemon",
		StartApply: func(ctx context.Context) error { return nix.StartApply(ctx, false) }}
	s := &daemon.Server{HV: backend, Auth: daemon.Polkit(authority), Log: log, Rules: daemon.HostRules(nix.HostFilePath()),
		URI: uri, Version: buildVersion(), Hostname: hostname, Stager: stager}
	slog.Info("hv daemon ready", "socket", how, "libvirt", uri, "audit", log.Path, "host file", nix.HostFilePath())
	return s.Serve(ctx, l)
}

// openWithRetry connects to libvirt read-write, waiting for libvirtd while
// the host boots (the daemon may start first).
func openWithRetry(ctx context.Context, uri string) (*libvirt.Backend, error) {
	wait := 250 * time.Millisecond
	for deadline := time.Now().Add(2 * time.Minute); ; {
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		b, err := libvirt.Open(octx, uri)
		cancel()
		if err == nil {
			return b, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, err
		}
		slog.Warn("libvirt not ready, retrying", "uri", uri, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// daemonListener takes the socket systemd passes (LISTEN_FDS), else
// listens on path: a socket every local user may connect to, since the
// daemon authorises each request itself.
func daemonListener(path string) (net.Listener, string, error) {
	if os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid()) && os.Getenv("LISTEN_FDS") != "" {
		os.Unsetenv("LISTEN_PID")
		os.Unsetenv("LISTEN_FDS")
		os.Unsetenv("LISTEN_FDNAMES")
		f := os.NewFile(3, "hv.socket") // SD_LISTEN_FDS_START
		l, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return nil, "", fmt.Errorf("the socket systemd passed: %w", err)
		}
		return l, "from systemd", nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, "", err
	}
	if info, err := os.Lstat(path); err == nil {
		if info.Mode()&os.ModeSocket == 0 {
			return nil, "", &cliError{msg: path + " exists and is not a socket", fix: "remove it, or give another --listen"}
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, "", &cliError{msg: "an hv daemon already answers on " + path, fix: "stop it first (systemctl stop hv.service hv.socket)"}
		}
		os.Remove(path) // left by a daemon that died
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, "", err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, "", err
	}
	if err := os.Chmod(path, 0o666); err != nil {
		l.Close()
		return nil, "", err
	}
	return l, path, nil
}
