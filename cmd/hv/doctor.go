package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/access"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/hostcheck"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/demo"
	"github.com/hyper-nixos/hv/vm/libvirt"
)

func newDoctorCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Who you are, what you may do on this host and why; the fix for what you may not",
		Long: "Finds who you are (uid, groups), whether libvirt lets you in read-write or read-only (each\n" +
			"tried apart), whether hv's polkit rules are installed, whether you may append to the audit\n" +
			"trail, stage host changes and start the apply service; then prints the capability map: for\n" +
			"each thing you may not do, the exact command that fixes it, and why it needs root when it\n" +
			"does. hv never calls sudo. It also checks the host (CPU, IOMMU, KVM, libvirt, disk).",
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

// diagnose probes libvirt (read-write and read-only apart), reads the
// host's files and makes the capability map and the host checks.
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
	auditPath := audit.DefaultPath(stateDir())
	f := access.Gather(access.Where{Group: group, RuleFiles: nix.PolkitRuleFiles, StagedDir: filepath.Dir(st.Paths.Staged),
		AuditLog: auditPath, UserState: stateDir(), ApplyUnit: nix.ApplyUnit, Phase: runningPhase(st.Applied, st.AppliedErr),
		UnitLoaded: g.unitLoaded()}, lv)
	hl := hostcheck.Libvirt{URI: lv.URI, Access: vm.ReadWrite, Err: lv.ReadWrite, Accel: host.Accel, NoKVM: host.NoKVM}
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

// probe tries the connection read-write and read-only, and reads the host
// through whichever answered.
func (g *globals) probe(ctx context.Context) (access.Libvirt, vm.Host) {
	var lv access.Libvirt
	var h vm.Hypervisor
	if g.demo {
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
	} else {
		lv.URI, _ = g.libvirtURI() // an unreadable host file is the doctor's to report, not to stop at
		routeLibvirtLogs()
		lv.ReadWrite, lv.ReadOnly = libvirt.Probe(ctx, lv.URI)
		if lv.ReadOnly == nil || lv.ReadWrite == nil {
			if b, err := libvirt.OpenReadOnly(ctx, lv.URI); err == nil {
				h = b
			}
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
	Libvirt      libvirtJSON         `json:"libvirt"`
	Polkit       map[string]any      `json:"polkit"`
	Audit        access.Path         `json:"audit"`
	Staging      access.Path         `json:"staging"`
	Apply        access.Unit         `json:"apply_service"`
	Phase        string              `json:"phase"`
	Capabilities []access.Capability `json:"capabilities"`
	Host         []hostcheck.Check   `json:"host_checks"`
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
	return doctorJSON{User: f.User, UID: f.UID, Groups: f.Groups, MemberOf: f.Member, Group: f.Group, GroupExists: f.GroupExists,
		Libvirt: libvirtJSON{URI: f.Libvirt.URI, ReadWrite: f.Libvirt.ReadWrite == nil, ReadWriteError: errText(f.Libvirt.ReadWrite),
			ReadOnly: f.Libvirt.ReadOnly == nil, ReadOnlyError: errText(f.Libvirt.ReadOnly)},
		Polkit: map[string]any{"libvirt_rule": f.LibvirtRule, "apply_rule": f.ApplyRule},
		Audit:  f.Audit, Staging: f.Staging, Apply: f.Apply, Phase: string(f.Phase), Capabilities: r.Capabilities, Host: r.Host}
}

func writeDoctor(w io.Writer, r *access.Report) {
	f := r.Facts
	row := func(k, v string) { fmt.Fprintf(w, "%-9s %s\n", k, v) }
	row("You", fmt.Sprintf("%s (uid %d); groups: %s", termsafe.String(f.User), f.UID, strings.Join(f.Groups, ", ")))
	row("libvirt", fmt.Sprintf("%s: read-write %s; read-only %s", f.Libvirt.URI, allowed(f.Libvirt.ReadWrite), allowed(f.Libvirt.ReadOnly)))
	row("polkit", "libvirt rule "+ruleText(f.LibvirtRule)+"; apply rule "+ruleText(f.ApplyRule))
	row("audit", pathText(f.Audit, "append to it"))
	row("staging", pathText(f.Staging, "write there"))
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
	if err == nil {
		return "allowed"
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
