// Package demo opens the demo host: libvirt's built-in test driver loaded
// with the node description in content/demo. Everything after that goes
// through the normal libvirt backend; nothing is simulated in Go.
package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/libvirt"
)

// Label names the demo host where the UI would show a URI.
const Label = "demo host (libvirt test driver)"

// Open connects to a private copy of the demo host. Changes made through it
// (starting a VM, say) live as long as the connection.
func Open(ctx context.Context) (*libvirt.Backend, error) { return open(ctx, false) }

// OpenReadOnly is Open with a read-only connection, as an operator outside
// the operators group would have.
func OpenReadOnly(ctx context.Context) (*libvirt.Backend, error) { return open(ctx, true) }

func open(ctx context.Context, readOnly bool) (*libvirt.Backend, error) {
	dir, err := os.MkdirTemp("", "hv-demo-")
	if err != nil {
		return nil, fmt.Errorf("writing the demo host: %w", err)
	}
	// The test driver reads the file once, while connecting.
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "host.xml")
	if err := os.WriteFile(path, content.DemoHostXML, 0o600); err != nil {
		return nil, fmt.Errorf("writing the demo host: %w", err)
	}
	// The autostart marks are set through a read-write connection; a
	// read-only demo gets its own fresh copy.
	b, err := libvirt.Open(ctx, "test://"+path)
	if err != nil {
		return nil, err
	}
	if readOnly {
		b.Close()
		return libvirt.OpenReadOnly(ctx, "test://"+path)
	}
	if err := autostart(ctx, b); err != nil {
		b.Close()
		return nil, fmt.Errorf("preparing the demo host: %w", err)
	}
	return b, nil
}

func autostart(ctx context.Context, b *libvirt.Backend) error {
	vms, networks, pools := content.DemoAutostart()
	for _, name := range vms {
		if err := b.SetAutostart(ctx, name, true); err != nil {
			return err
		}
	}
	for _, name := range networks {
		if err := b.SetNetworkAutostart(ctx, name, true); err != nil {
			return err
		}
	}
	for _, name := range pools {
		if err := b.SetPoolAutostart(ctx, name, true); err != nil {
			return err
		}
	}
	return nil
}

var _ vm.Hypervisor = (*libvirt.Backend)(nil)
