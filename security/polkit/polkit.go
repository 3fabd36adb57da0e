// Package polkit asks polkit whether a process may do one of hv's actions,
// over D-Bus (org.freedesktop.PolicyKit1.Authority.CheckAuthorization), and
// holds the catalogue of those actions from which hv's polkit policy file is
// generated. Admins grant and narrow the actions with ordinary polkit rules.
package polkit

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"
)

const (
	busName       = "org.freedesktop.PolicyKit1"
	authorityPath = "/org/freedesktop/PolicyKit1/Authority"
	checkMethod   = "org.freedesktop.PolicyKit1.Authority.CheckAuthorization"
)

// Authority is polkit's authority, reached over one system-bus connection.
// It is safe for concurrent use.
type Authority struct {
	conn *dbus.Conn
	obj  dbus.BusObject
}

// Connect connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS, else
// /run/dbus/system_bus_socket) and makes sure polkitd answers there, starting
// it through D-Bus activation if needed. ctx bounds only the connecting.
func Connect(ctx context.Context) (*Authority, error) {
	type dialed struct {
		conn *dbus.Conn
		err  error
	}
	ch := make(chan dialed, 1)
	go func() {
		// Not dbus.WithContext(ctx): that context would close the connection
		// when the caller's ends, and the connection outlives Connect.
		conn, err := dbus.ConnectSystemBus()
		ch <- dialed{conn, err}
	}()
	var d dialed
	select {
	case d = <-ch:
	case <-ctx.Done():
		go func() {
			if d := <-ch; d.conn != nil {
				d.conn.Close()
			}
		}()
		return nil, fmt.Errorf("polkit: connecting to the D-Bus system bus: %w", ctx.Err())
	}
	if d.err != nil {
		return nil, fmt.Errorf("polkit: no D-Bus system bus at %s (%v): start dbus (systemctl start dbus.service), or set DBUS_SYSTEM_BUS_ADDRESS to its address", busAddress(), d.err)
	}
	a := &Authority{conn: d.conn, obj: d.conn.Object(busName, authorityPath)}
	if err := a.obj.CallWithContext(ctx, "org.freedesktop.DBus.Peer.Ping", 0).Err; err != nil {
		a.Close()
		return nil, fmt.Errorf("polkit: polkitd does not answer on the system bus at %s (%v): install and start polkit (NixOS: security.polkit.enable = true; Debian: apt install polkitd)", busAddress(), err)
	}
	return a, nil
}

// busAddress is where dbus looks for the system bus, for messages.
func busAddress() string {
	if addr := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS"); addr != "" {
		return addr
	}
	return "unix:path=/run/dbus/system_bus_socket"
}

// Check asks polkit whether s may do action, without interaction: an action
// that would need a password (auth_admin, auth_self) is not authorised.
// An error means no decision (polkitd unreachable, the process gone or
// replaced by another with the same PID, an unknown action): never a yes.
func (a *Authority) Check(ctx context.Context, s Subject, action string) (bool, error) {
	subject := struct {
		Kind    string
		Details map[string]dbus.Variant
	}{"unix-process", map[string]dbus.Variant{
		"pid":        dbus.MakeVariant(s.PID),
		"start-time": dbus.MakeVariant(s.StartTime),
		"uid":        dbus.MakeVariant(int32(s.UID)),
	}}
	var result struct {
		Authorized, Challenge bool
		Details               map[string]string
	}
	const noInteraction = uint32(0)
	err := a.obj.CallWithContext(ctx, checkMethod, 0, subject, action, map[string]string{}, noInteraction, "").Store(&result)
	if err != nil {
		var derr dbus.Error
		if errors.As(err, &derr) && len(derr.Body) > 0 {
			err = fmt.Errorf("%v", derr.Body[0]) // polkitd's own words, e.g. "process with PID 42 has been replaced"
		}
		if errors.Is(err, dbus.ErrClosed) || !a.conn.Connected() {
			err = fmt.Errorf("%w: the system bus connection is closed; restart hv's daemon", err)
		}
		return false, fmt.Errorf("polkit: checking %s for process %d (uid %d): %w", action, s.PID, s.UID, err)
	}
	return result.Authorized, nil
}

// Close closes the connection to the system bus.
func (a *Authority) Close() error { return a.conn.Close() }
