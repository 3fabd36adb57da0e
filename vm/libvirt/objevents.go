package libvirt

import (
	"time"

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

// onNetworkEvent and onPoolEvent run on libvirt's event loop; the object is
// libvirt's for the call: read it, never Free it.
func (b *Backend) onNetworkEvent(_ *lv.Connect, n *lv.Network, ev *lv.NetworkEventLifecycle) {
	what, ok := networkEvents[ev.Event]
	if !ok {
		return
	}
	e := vm.Event{Kind: vm.EventNetwork, Detail: what, At: time.Now()}
	e.Name, _ = n.GetName()
	e.UUID, _ = n.GetUUIDString()
	b.events.push(e)
}

func (b *Backend) onPoolEvent(_ *lv.Connect, p *lv.StoragePool, ev *lv.StoragePoolEventLifecycle) {
	what, ok := poolEvents[ev.Event]
	if !ok {
		return
	}
	e := vm.Event{Kind: vm.EventPool, Detail: what, At: time.Now()}
	e.Name, _ = p.GetName()
	e.UUID, _ = p.GetUUIDString()
	b.events.push(e)
}
