package vm

import "fmt"

// ConnectCause says why a connection to libvirt could not be made.
type ConnectCause int

const (
	CauseUnknown     ConnectCause = iota
	CauseNoDaemon                 // the socket is missing or nobody listens on it
	CauseDenied                   // the socket or polkit refused this user
	CauseBadURI                   // the URI names no driver libvirt knows
	CauseNoLibvirt                // libvirt itself is missing or broken
	CauseUnreachable              // another host's hv daemon cannot be reached (SSH, or no daemon there)
)

// ConnectError is a failed connection, explained for people.
type ConnectError struct {
	URI    string
	Cause  ConnectCause
	Detail string // libvirt's message
	// Daemon: the connection was to an hv daemon (URI is its socket),
	// not to libvirt.
	Daemon bool
}

func (e *ConnectError) Error() string {
	if e.Daemon {
		return fmt.Sprintf("cannot reach the hv daemon at %s: %s", e.URI, e.Reason())
	}
	return fmt.Sprintf("cannot reach libvirt at %s: %s", e.URI, e.Reason())
}

// Reason is the cause in plain words.
func (e *ConnectError) Reason() string {
	switch {
	case e.Daemon && e.Cause == CauseNoDaemon:
		return "it does not answer (" + e.Detail + ")"
	case e.Daemon && e.Cause == CauseDenied:
		return "it refuses you: " + e.Detail
	}
	switch e.Cause {
	case CauseNoDaemon:
		return "the libvirt daemon is not running"
	case CauseDenied:
		return "your user may not use the libvirt socket"
	case CauseBadURI:
		return "libvirt does not know this connection URI"
	case CauseNoLibvirt:
		return "the libvirt library is missing or broken"
	}
	if e.Detail != "" {
		return e.Detail
	}
	return "unknown error"
}

// Fix is what to do about it, in one line.
func (e *ConnectError) Fix() string {
	if e.Daemon && e.Cause == CauseUnreachable {
		return "check that 'ssh HOST hv dial-stdio' works from here: your SSH key, the host's key in known_hosts, hv's daemon running there"
	}
	if e.Daemon {
		return "start it (systemctl start hv.socket; on NixOS enable services.hyper-nixos); 'hv doctor' says more, or try 'hv --demo'"
	}
	switch e.Cause {
	case CauseNoDaemon:
		return "start it (systemctl start libvirtd; on NixOS enable services.hyper-nixos), or try 'hv --demo'"
	case CauseDenied:
		return "ask an administrator to add you to the operators group (services.hyper-nixos.operators), then log in again"
	case CauseBadURI:
		return "check --connect or $LIBVIRT_DEFAULT_URI, e.g. qemu:///system"
	case CauseNoLibvirt:
		return "install libvirt (Debian: apt-get install libvirt0)"
	}
	return "check that libvirtd runs and that --connect names it, or try 'hv --demo'"
}

// ResolveURI picks the connection URI in the documented order: the
// --connect flag, then $LIBVIRT_DEFAULT_URI, then the host configuration,
// then qemu:///system. It also says where the choice came from.
func ResolveURI(flag, env, hostConfig string) (uri, source string) {
	switch {
	case flag != "":
		return flag, "--connect"
	case env != "":
		return env, "$LIBVIRT_DEFAULT_URI"
	case hostConfig != "":
		return hostConfig, "host configuration"
	}
	return DefaultURI, "default"
}

// DefaultURI is the system QEMU/KVM driver.
const DefaultURI = "qemu:///system"
