// Package libvirt is the libvirt backend of vm.Hypervisor and the only
// package of hv that imports libvirt.org/go/libvirt. No libvirt type leaves
// it: callers see vm types and vm sentinel errors.
//
// Discipline kept here:
//   - the default event loop is registered before the first connection and
//     runs in its own goroutine for the life of the process;
//   - every Domain obtained from libvirt is freed, and every call holds its
//     own reference on the connection so a reconnect never frees it under it;
//   - a lost connection is replaced with backoff and callbacks re-registered;
//   - calls run in a goroutine so a context deadline bounds how long a
//     caller waits even when libvirtd hangs.
package libvirt
