package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/audit"
	"github.com/hyper-nixos/hv/security/hostcheck"
	"github.com/hyper-nixos/hv/ui/app"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
	"github.com/hyper-nixos/hv/vm/demo"
	"github.com/hyper-nixos/hv/vm/fleet"
	"github.com/hyper-nixos/hv/vm/libvirt"
	"github.com/hyper-nixos/hv/vm/remote"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a mistake in the command line itself.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// needsYes refuses a risky action a script did not confirm (exit 2): the
// message itself names the fix.
type needsYes struct{ error }

// globals are the flags every command takes.
type globals struct {
	demo     bool
	connect  string
	host     string // the hv daemon to use: unix://PATH, ssh://USER@HOST[:PORT] or a known host's name
	readOnly bool
	// daemon is the connection this command opened to the hv daemon, if
	// any: its phase is asked on it rather than on a connection of its own
	// (over SSH, another ssh).
	daemon *remote.Client
}

func run(args []string) int {
	return runWith(args, os.Stdin, os.Stdout, os.Stderr)
}

func runWith(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	return exitWith(cmd, err, stderr)
}

// errorLine is err in one line of harmless text, with the fix when known.
func errorLine(err error) string {
	msg := err.Error()
	var ny needsYes
	if errors.As(err, &ny) {
		return "hv: " + termsafe.String(msg)
	}
	line := "hv: " + termsafe.String(msg)
	if fix := vm.Fix(err); fix != "" {
		line += "; fix: " + termsafe.String(fix)
	}
	return line
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "hv",
		Short: "Manage the VMs and the security of a Hyper-NixOS host",
		Long: "hv manages a Hyper-NixOS virtualisation host as an unprivileged operator.\n" +
			"Run without a command it opens the terminal UI; the commands below do the same from scripts.\n\n" +
			"Connection: --connect URI, else $LIBVIRT_DEFAULT_URI, else the host file (" + nix.DefaultHostFile + "),\n" +
			"else qemu:///system. --demo opens a built-in demo host instead.\n\n" + exitCodes,
		Version:       versionLine(),
		Args:          usageArgs(cobra.NoArgs),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTUI(g, stdin, stdout, tuiStart{})
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().BoolVar(&g.demo, "demo", false, "use the built-in demo host (libvirt's test driver) instead of a real one")
	root.PersistentFlags().StringVarP(&g.connect, "connect", "c", "", "libvirt connection URI, e.g. qemu:///system")
	root.PersistentFlags().StringVar(&g.host, "host", "", "the hv daemon to use: ssh://USER@HOST[:PORT] (another host, over SSH), a host 'hv hosts' lists, or a socket such as unix://"+api.DefaultSocket)
	root.PersistentFlags().BoolVar(&g.readOnly, "read-only", false, "connect read-only: look, change nothing")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		picked := 0
		for _, set := range []bool{g.demo, g.connect != "", g.host != ""} {
			if set {
				picked++
			}
		}
		if picked > 1 {
			return usageError{errors.New("--demo, --connect and --host cannot be used together: pick one")}
		}
		return nil
	}
	root.SetFlagErrorFunc(flagError)
	root.SetVersionTemplate("hv {{.Version}}\n")
	root.AddCommand(newVMCmd(g), newNetCmd(g), newPoolCmd(g), newFeaturesCmd(g), newPhaseCmd(g), newDoctorCmd(g), newApplyCmd(), newVersionCmd(), newAuditCmd(g),
		newTutorialCmd(), newLevelCmd(), newWizardCmd(g, stdin, stdout), newManCmd(root), newThreatsCmd(g), newMonitorCmd(g), newDaemonCmd(g),
		newDialStdioCmd(), newHostsCmd(g))
	root.SetHelpCommand(newHelpCmd(root))
	// Every command's help ends with what its exit status means.
	root.SetUsageTemplate(root.UsageTemplate() + "\n" + exitCodes + "\n")
	return root
}

// usageArgs turns cobra's argument checks into usage errors (exit code 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			if len(args) > 0 && cmd.HasSubCommands() {
				var names []string
				for _, c := range cmd.Commands() {
					names = append(names, append([]string{c.Name()}, c.Aliases...)...)
				}
				return usageError{fmt.Errorf("unknown command %q for %q%s", args[0], cmd.CommandPath(), didYouMean(args[0], names))}
			}
			return usageError{err}
		}
		return nil
	}
}

// opener decides where to connect, per the documented order, and returns
// the function that connects plus a name for people. Operators go through
// the hv daemon, which alone holds read-write libvirt and writes the
// trail; root, --connect and the demo talk to libvirt directly.
func (g *globals) opener() (func(context.Context) (vm.Hypervisor, error), string, error) {
	if g.demo {
		open := demo.Open
		if g.readOnly {
			open = demo.OpenReadOnly
		}
		return g.audited(func(ctx context.Context) (vm.Hypervisor, error) { return open(ctx) }, demo.Label), demo.Label, nil
	}
	dial, where, err := g.daemonDialer()
	if err != nil {
		return nil, "", err
	}
	if dial != nil {
		open := g.daemonOpener(dial, where)
		return func(ctx context.Context) (vm.Hypervisor, error) {
			hv, err := open(ctx)
			switch c := hv.(type) {
			case *remote.Client:
				g.daemon = c
			case readOnly:
				g.daemon, _ = c.Hypervisor.(*remote.Client)
			}
			return hv, err
		}, "hv daemon at " + where, nil
	}
	uri, err := g.libvirtURI()
	if err != nil {
		return nil, "", err
	}
	open := libvirt.Open
	if g.readOnly {
		open = libvirt.OpenReadOnly
	}
	return g.audited(func(ctx context.Context) (vm.Hypervisor, error) { return open(ctx, uri) }, uri), uri, nil
}

// daemonDialer reaches the hv daemon to use: --host's, else the local
// one's for everyone but root; nil to talk to libvirt directly.
func (g *globals) daemonDialer() (remote.Dialer, string, error) {
	if g.host != "" {
		return hostDialer(g.host)
	}
	if socket := g.daemonSocket(); socket != "" {
		return remote.Unix(socket), socket, nil
	}
	return nil, "", nil
}

// daemonSocket is the local hv daemon's socket to use, or "" to talk to
// libvirt directly: $HV_SOCKET or the default socket when it exists, for
// everyone but root (and unless --connect or $LIBVIRT_DEFAULT_URI names
// libvirt).
func (g *globals) daemonSocket() string {
	if g.connect != "" || os.Getenv("LIBVIRT_DEFAULT_URI") != "" || os.Geteuid() == 0 {
		return ""
	}
	socket := os.Getenv(api.SocketEnv)
	if socket == "" {
		socket = api.DefaultSocket
	}
	if info, err := os.Stat(socket); err != nil || info.Mode()&os.ModeSocket == 0 {
		return ""
	}
	return socket
}

// readOnly is a daemon connection used read-only (--read-only): changes
// are refused by the UI and the CLI before they are sent.
type readOnly struct{ vm.Hypervisor }

func (readOnly) Access() vm.Access { return vm.ReadOnlyAsked }

// libvirtURI is the URI to connect to, in the documented order; it reads
// the host file only when neither --connect nor $LIBVIRT_DEFAULT_URI says.
// When the host file cannot be read, the error comes with the URI the
// order gives without it.
func (g *globals) libvirtURI() (string, error) {
	env := os.Getenv("LIBVIRT_DEFAULT_URI")
	var hostURI string
	var err error
	if g.connect == "" && env == "" {
		hostURI, err = nix.LibvirtURI(nix.HostFilePath())
	}
	uri, _ := vm.ResolveURI(g.connect, env, hostURI)
	return uri, err
}

// audited wraps what connect returns so every change goes to the audit
// trail, whichever command or screen makes it.
func (g *globals) audited(connect func(context.Context) (vm.Hypervisor, error), where string) func(context.Context) (vm.Hypervisor, error) {
	return func(ctx context.Context) (vm.Hypervisor, error) {
		hv, err := connect(ctx)
		if err != nil {
			return nil, err
		}
		return audit.Wrap(hv, audit.Open(g.auditPath()), currentUser(), where), nil
	}
}

// open connects for a one-shot CLI command.
func (g *globals) open() (vm.Hypervisor, error) {
	connect, _, err := g.opener()
	if err != nil {
		return nil, err
	}
	return dial(connect)
}

// dial connects with what opener returned, within callTimeout.
func dial(connect func(context.Context) (vm.Hypervisor, error)) (vm.Hypervisor, error) {
	routeLibvirtLogs()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return connect(ctx)
}

// tuiStart is where the TUI opens: the home screen, or one screen only
// (the first-boot wizard).
type tuiStart struct {
	screen string
	only   bool
}

func runTUI(g *globals, stdin io.Reader, stdout io.Writer, at tuiStart) error {
	if f, ok := stdout.(term.File); !ok || !term.IsTerminal(f.Fd()) {
		return usageError{errors.New("the terminal UI needs a terminal; in scripts use a command such as 'hv vm list --json'")}
	}
	connect, where, err := g.opener()
	if err != nil {
		return err
	}
	// With other hosts listed, one TUI shows them all, this one first.
	members, err := g.fleetMembers()
	if err != nil {
		return err
	}
	if members != nil {
		connect = func(ctx context.Context) (vm.Hypervisor, error) {
			return fleet.Open(ctx, members, fleet.Options{ReadOnly: g.readOnly, Wait: 10 * time.Second})
		}
		where = fmt.Sprintf("%d hosts", len(members))
	}
	paths, err := g.contract()
	if err != nil {
		return err
	}
	tr := g.trail(paths)
	phase := ""
	if h, _, err := nix.ReadHost(paths.Host); err == nil {
		phase = h.Phase
	}
	routeLibvirtLogs()
	opts := app.Options{Connect: connect, Where: where, User: currentUser(), Term: os.Getenv("TERM"),
		Host: paths, Stage: tr.stage, Applies: tr.applies, Phase: phase, Who: actor(), Diagnose: g.diagnose,
		RecordAnswer: func(action, target, answer string) error {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			return tr.answer(ctx, api.Answer{Action: action, Target: target, Answer: answer})
		},
		VerifyAudit: func(ctx context.Context) (int, error) {
			v, err := tr.verify(ctx)
			if err == nil && v.Problem != nil {
				err = api.Decode(*v.Problem)
			}
			return v.Entries, err
		},
		WizardProgress: wizardProgress(g), HostFiles: hostcheck.DefaultPaths(), Start: at.screen}
	if at.only {
		opts.Only = at.screen
	} else {
		opts.WatchThreats = true // detection for the whole session, whatever screen is open
	}
	loadPrefs(&opts)
	m := app.New(opts)
	p := tea.NewProgram(m, tea.WithInput(stdin), tea.WithOutput(stdout))
	_, err = p.Run()
	if hv := m.Hypervisor(); hv != nil {
		hv.Close()
	}
	return err
}

// routeLibvirtLogs keeps libvirt's own warnings off the terminal, in a
// file kept small: past logLimit it becomes libvirt.log.1, replacing the
// one before.
func routeLibvirtLogs() {
	if dir := stateDir(); os.MkdirAll(dir, 0o700) == nil {
		path := filepath.Join(dir, "libvirt.log")
		rotate(path, logLimit)
		libvirt.RouteLogs(path)
	}
}

const logLimit = 1 << 20

// rotate moves path aside to path.1 once it is larger than limit.
func rotate(path string, limit int64) {
	if info, err := os.Stat(path); err == nil && info.Size() > limit {
		os.Rename(path, path+".1")
	}
}

// stateDir is hv's directory under $XDG_STATE_HOME (~/.local/state/hv).
func stateDir() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "hv")
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return strings.TrimSpace(os.Getenv("USER"))
}

// wizardProgress is where the setup wizard keeps its answers between
// steps: the user's state directory, apart for the demo host.
func wizardProgress(g *globals) string {
	if g.demo {
		return filepath.Join(stateDir(), "demo", "wizard.json")
	}
	return filepath.Join(stateDir(), "wizard.json")
}

func newWizardCmd(g *globals, stdin io.Reader, stdout io.Writer) *cobra.Command {
	var firstBoot bool
	cmd := &cobra.Command{
		Use:   "wizard",
		Short: "Open the setup wizard: host checks, operators, network, storage, preset, phase",
		Long: "Opens the terminal UI on the setup wizard. It checks the host (CPU virtualisation, IOMMU,\n" +
			"KVM, libvirt, free disk), asks for the operators, the network, the storage location, a\n" +
			"feature preset (reviewed with its risk) and the security phase, shows the host file it will\n" +
			"write as a diff, then stages it and starts the apply service. Answers are saved after each\n" +
			"step in ~/.local/state/hv/wizard.json: an interrupted wizard resumes where it stopped.\n\n" +
			"--first-boot is how the NixOS module's first-boot service runs it on tty1: the wizard only\n" +
			"(no other screen, no way to the rest of hv without logging in), and it quits when done.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTUI(g, stdin, stdout, tuiStart{screen: "wizard", only: firstBoot})
		},
	}
	cmd.Flags().BoolVar(&firstBoot, "first-boot", false, "the wizard only, quitting when done (the first-boot service)")
	return cmd
}
