package libvirt

import (
	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

// registerObjectEvents forwards network and pool lifecycle events, so that
// screens follow changes made elsewhere (virsh, another hv). Drivers without
// them simply send none; the returned functions deregister what worked.
func (b *Backend) registerObjectEvents(c *lv.Connect) []func() {
	var undo []func()
	if id, err := c.NetworkEventLifecycleRegister(nil, b.onNetworkEvent); err == nil {
		undo = append(undo, func() { _ = c.NetworkEventDeregister(id) })
	}
	if id, err := c.StoragePoolEventLifecycleRegister(nil, b.onPoolEvent); err == nil {
		undo = append(undo, func() { _ = c.StoragePoolEventDeregister(id) })
	}
	return undo
}

var networkEvents = map[lv.NetworkEventLifecycleType]string{
	lv.NETWORK_EVENT_DEFINED: "defined", lv.NETWORK_EVENT_UNDEFINED: "undefined",
	lv.NETWORK_EVENT_STARTED: "started", lv.NETWORK_EVENT_STOPPED: "stopped",
}

var poolEvents = map[lv.StoragePoolEventLifecycleType]string{
	lv.STORAGE_POOL_EVENT_DEFINED: "defined", lv.STORAGE_POOL_EVENT_UNDEFINED: "undefined",
	lv.STORAGE_POOL_EVENT_STARTED: "started", lv.STORAGE_POOL_EVENT_STOPPED: "stopped",
	lv.STORAGE_POOL_EVENT_CREATED: "built", lv.STORAGE_POOL_EVENT_DELETED: "deleted",
}

// onNetworkEvent and onPoolEvent run on libvirt's event loop.
func (b *Backend) onNetworkEvent(_ *lv.Connect, n *lv.Network, ev *lv.NetworkEventLifecycle) {
	if what, ok := networkEvents[ev.Event]; ok {
		b.push(n, vm.EventNetwork, what)
	}
}

func (b *Backend) onPoolEvent(_ *lv.Connect, p *lv.StoragePool, ev *lv.StoragePoolEventLifecycle) {
	if what, ok := poolEvents[ev.Event]; ok {
		b.push(p, vm.EventPool, what)
	}
}
