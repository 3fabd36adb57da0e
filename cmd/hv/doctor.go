package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/access"
	"github.com/hyper-nixos/hv/security/hostcheck"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
	"github.com/hyper-nixos/hv/vm/demo"
	"github.com/hyper-nixos/hv/vm/libvirt"
	"github.com/hyper-nixos/hv/vm/remote"
)

func newDoctorCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Who you are, what you may do on this host and why; the fix for what you may not",
		Long: "Finds who you are (uid, groups), asks the hv daemon (" + api.DefaultSocket + ", or --host) who it takes\n" +
			"you for, the phase it enforces and which of hv's polkit actions you are granted, tries libvirt\n" +
			"directly (read-only; read-write only where hv itself would use it: as root, with --connect, or\n" +
			"without a daemon), looks for hv's polkit rule, the audit trail and the apply service; then prints\n" +
			"the capability map: for each thing you may not do, the exact command that fixes it, and why it\n" +
			"needs root when it does. hv never calls sudo. It also checks the host (CPU, IOMMU, KVM, libvirt, disk).",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r, err := g.diagnose(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), doctorJSONOf(r))
			}
			writeDoctor(cmd.OutOrStdout(), r)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// diagnose asks the daemon, probes libvirt, reads the host's files and
// makes the capability map and the host checks.
func (g *globals) diagnose(ctx context.Context) (*access.Report, error) {
	st, err := g.state()
	if err != nil {
		return nil, err
	}
	// The schema's defaults, for a host without a host file.
	group, pool := "hvoperators", nix.NewHost("setup", nil).Storage.ImagesDir
	if h, err := st.Working(); err == nil {
		group, pool = h.Operators.Group, h.Storage.ImagesDir
	}
	lv, host := g.probe(ctx)
	d := g.askDaemon(ctx)
	f := access.Gather(access.Where{Group: group, RuleFiles: nix.PolkitRuleFiles, StagedDir: filepath.Dir(st.Paths.Staged),
		AuditLog: g.auditPath(), UserState: stateDir(), ApplyUnit: nix.ApplyUnit, Phase: runningPhase(st.Applied, st.AppliedErr),
		Demo: g.demo, UnitLoaded: g.unitLoaded()}, lv, d)
	hl := hostcheck.Libvirt{URI: lv.URI, Access: vm.ReadWrite, Err: lv.ReadWrite, Accel: host.Accel, NoKVM: host.NoKVM, Daemon: d.Answers()}
	if lv.ReadWrite != nil && lv.ReadOnly == nil {
		hl.Access, hl.Err = vm.ReadOnly, nil
	}
	return &access.Report{Facts: f, Capabilities: access.Map(f), Host: hostcheck.Run(hostcheck.DefaultPaths(), hl, pool)}, nil
}

// unitLoaded: the demo host has no apply service to ask systemd about.
func (g *globals) unitLoaded() func(string) (bool, error) {
	if g.demo {
		return func(string) (bool, error) { return false, errors.New("the demo host has no apply service") }
	}
	return nil
}

// askDaemon asks the hv daemon operators use (--host, else $HV_SOCKET or
// the default socket) who it takes this user for, whatever hv itself
// would use (root and --connect go to libvirt directly): its answer is
// what every operator's hv lives by.
func (g *globals) askDaemon(ctx context.Context) access.Daemon {
	if g.demo {
		return access.Daemon{Err: errors.New("the demo host runs inside hv, without a daemon")}
	}
	if g.host != "" && !strings.HasPrefix(g.host, "unix://") {
		// Another host's daemon, over SSH: it answers or says why not.
		dial, where, err := g.daemonDialer()
		if err != nil {
			return access.Daemon{Socket: g.host, Err: err}
		}
		return identify(ctx, access.Daemon{Socket: where}, dial)
	}
	d := access.Daemon{Socket: strings.TrimPrefix(g.host, "unix://")}
	if d.Socket == "" {
		d.Socket = socketPath()
	}
	info, err := os.Stat(d.Socket)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.Missing = true
		return d
	case err != nil:
		d.Err = err
		return d
	case info.Mode()&os.ModeSocket == 0:
		d.Err = errors.New(d.Socket + " is not a socket")
		return d
	}
	// Dialled apart first, so that a daemon that is gone is told from
	// one that refuses this user.
	conn, err := remote.Unix(d.Socket)(ctx)
	if err != nil {
		var ne *net.OpError
		if errors.As(err, &ne) {
			err = ne.Err
		}
		d.Err = fmt.Errorf("the hv daemon does not answer at %s (%v)", d.Socket, err)
		return d
	}
	conn.Close()
	return identify(ctx, d, remote.Unix(d.Socket))
}

// identify asks the daemon dial reaches, named d.Socket, who it takes this
// user for, and fills d with its answer or why there is none.
func identify(ctx context.Context, d access.Daemon, dial remote.Dialer) access.Daemon {
	c, err := remote.Open(ctx, dial, d.Socket)
	var ce *vm.ConnectError
	switch {
	case errors.As(err, &ce) && ce.Detail != "":
		d.Err = errors.New("the hv daemon at " + d.Socket + ": " + ce.Detail) // not "cannot reach libvirt"
		return d
	case err != nil:
		d.Err = err
		return d
	}
	defer c.Close()
	id := c.Identity()
	d.Phase, d.Allowed, d.URI, d.Version = id.Phase, id.Allowed, id.URI, id.Version
	return d
}

// probe connects to libvirt directly and reads the host through it. It
// asks for read-write only where hv itself would (root, --connect, no
// daemon): where operators go through the daemon, a refused read-write
// connection would only be a failed attempt in the logs.
func (g *globals) probe(ctx context.Context) (access.Libvirt, vm.Host) {
	var lv access.Libvirt
	var h vm.Hypervisor
	switch {
	case g.demo:
		lv.URI = demo.Label
		rw, err := demo.Open(ctx)
		lv.ReadWrite = err
		if ro, err := demo.OpenReadOnly(ctx); err == nil {
			ro.Close()
		} else {
			lv.ReadOnly = err
		}
		if rw != nil {
			h = rw
		}
	default:
		lv.URI, _ = g.libvirtURI() // an unreadable host file is the doctor's to report, not to stop at
		routeLibvirtLogs()
		lv.ReadWrite = access.ErrNotAsked
		if dial, _, _ := g.daemonDialer(); dial == nil {
			lv.ReadWrite, lv.ReadOnly = libvirt.Probe(ctx, lv.URI)
			if lv.ReadOnly != nil && lv.ReadWrite != nil {
				break
			}
		}
		b, err := libvirt.OpenReadOnly(ctx, lv.URI)
		if lv.ReadWrite == access.ErrNotAsked {
			lv.ReadOnly = err
		}
		if err == nil {
			h = b
		}
	}
	var host vm.Host
	if h != nil {
		host, _ = h.Host(ctx)
		h.Close()
	}
	return lv, host
}

type doctorJSON struct {
	User         string              `json:"user"`
	UID          int                 `json:"uid"`
	Groups       []string            `json:"groups"`
	MemberOf     []string            `json:"member_of"`
	Group        string              `json:"operators_group"`
	GroupExists  bool                `json:"operators_group_exists"`
	Daemon       daemonJSON          `json:"daemon"`
	Libvirt      libvirtJSON         `json:"libvirt"`
	PolkitRule   access.Rule         `json:"polkit_rule"`
	Audit        access.Path         `json:"audit"`
	Staging      access.Path         `json:"staging"`
	Apply        access.Unit         `json:"apply_service"`
	Phase        string              `json:"phase"`
	Capabilities []access.Capability `json:"capabilities"`
	Host         []hostcheck.Check   `json:"host_checks"`
}

type daemonJSON struct {
	Socket  string   `json:"socket"`
	Answers bool     `json:"answers"`
	Error   string   `json:"error,omitempty"`
	Phase   string   `json:"phase,omitempty"`
	Allowed []string `json:"allowed"` // hv's polkit actions granted to you
	URI     string   `json:"uri,omitempty"`
	Version string   `json:"version,omitempty"`
}

type libvirtJSON struct {
	URI            string `json:"uri"`
	ReadWrite      bool   `json:"read_write"`
	ReadWriteError string `json:"read_write_error,omitempty"`
	ReadOnly       bool   `json:"read_only"`
	ReadOnlyError  string `json:"read_only_error,omitempty"`
}

func doctorJSONOf(r *access.Report) doctorJSON {
	f := r.Facts
	d := f.Daemon
	return doctorJSON{User: f.User, UID: f.UID, Groups: f.Groups, MemberOf: f.Member, Group: f.Group, GroupExists: f.GroupExists,
		Daemon: daemonJSON{Socket: d.Socket, Answers: d.Answers(), Error: d.Problem(), Phase: d.Phase,
			Allowed: append([]string{}, d.Allowed...), URI: d.URI, Version: d.Version},
		Libvirt: libvirtJSON{URI: f.Libvirt.URI, ReadWrite: f.Libvirt.ReadWrite == nil, ReadWriteError: errText(f.Libvirt.ReadWrite),
			ReadOnly: f.Libvirt.ReadOnly == nil, ReadOnlyError: errText(f.Libvirt.ReadOnly)},
		PolkitRule: f.Rule, Audit: f.Audit, Staging: f.Staging, Apply: f.Apply, Phase: string(f.Phase), Capabilities: r.Capabilities, Host: r.Host}
}

func writeDoctor(w io.Writer, r *access.Report) {
	f := r.Facts
	row := func(k, v string) { fmt.Fprintf(w, "%-9s %s\n", k, v) }
	row("You", fmt.Sprintf("%s (uid %d); groups: %s", termsafe.String(f.User), f.UID, strings.Join(f.Groups, ", ")))
	d := f.Daemon
	if d.Answers() {
		row("daemon", fmt.Sprintf("%s answers (hv %s, libvirt %s, phase %s); polkit grants you: %s",
			d.Socket, termsafe.String(d.Version), termsafe.String(d.URI), termsafe.String(d.Phase), access.Words(d.Allowed)))
	} else {
		row("daemon", termsafe.String(d.Problem()))
	}
	row("libvirt", fmt.Sprintf("%s: read-write %s; read-only %s", f.Libvirt.URI, allowed(f.Libvirt.ReadWrite), allowed(f.Libvirt.ReadOnly)))
	row("polkit", "hv's rule "+ruleText(f.Rule))
	row("audit", pathText(f.Audit, "write it"))
	if f.Local() {
		row("staging", pathText(f.Staging, "write there"))
	} else {
		row("staging", "through the hv daemon: only root writes "+f.Staging.Path)
	}
	apply := "installed"
	switch {
	case f.Apply.Unknown != "":
		apply = "unknown: " + f.Apply.Unknown
	case !f.Apply.Installed:
		apply = "not installed"
	}
	row("apply", f.Apply.Name+": "+apply)
	row("phase", string(f.Phase))

	fmt.Fprintln(w, "\nWhat you may do")
	for _, c := range r.Capabilities {
		mark := "yes"
		if !c.Can {
			mark = "no "
		}
		fmt.Fprintf(w, "  %s  %s\n       %s\n", mark, c.What, c.Why)
		if !c.Can && c.Fix != "" {
			fmt.Fprintf(w, "       fix: %s\n", c.Fix)
		}
		if !c.Can && c.Root != "" {
			fmt.Fprintf(w, "       root is needed: %s\n", c.Root)
		}
	}
	fmt.Fprintln(w, "\nThis host")
	for _, c := range r.Host {
		fmt.Fprintf(w, "  %-8s %s: %s\n           %s\n", c.State, c.Title, c.Found, c.Means)
		if c.Fix != "" {
			fmt.Fprintf(w, "           fix: %s\n", c.Fix)
		}
	}
}

func allowed(err error) string {
	switch err {
	case nil:
		return "allowed"
	case access.ErrNotAsked:
		return err.Error()
	}
	return "refused (" + err.Error() + ")"
}

func ruleText(r access.Rule) string {
	switch {
	case r.Installed:
		return "installed (" + r.File + ")"
	case r.Differs:
		return "differs from hv's (" + r.File + ")"
	case !r.Known():
		return "unknown: " + r.Unreadable
	}
	return "not installed"
}

func pathText(p access.Path, verb string) string {
	if p.Writable {
		return p.Path + ": you may " + verb
	}
	return p.Path + ": you may not " + verb + " (" + p.Why + ")"
}
