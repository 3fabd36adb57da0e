package audit

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"

	"github.com/hyper-nixos/hv/vm"
)

// Hypervisor records every state-changing call of the hypervisor it wraps,
// whichever part of hv makes it (a key in the TUI, a CLI verb): the trail
// cannot be forgotten by a new screen. Reading calls pass through.
type Hypervisor struct {
	vm.Hypervisor
	log     *Log
	user    string
	where   string
	failure atomic.Pointer[error] // the last entry that could not be written
	entries atomic.Int64          // how many entries this wrapper made
}

// Wrap audits h's changes to log as user, on the connection named where.
func Wrap(h vm.Hypervisor, log *Log, user, where string) *Hypervisor {
	return &Hypervisor{Hypervisor: h, log: log, user: user, where: where}
}

// Log is where the entries go.
func (a *Hypervisor) Log() *Log { return a.log }

// name finds a VM's name for the trail; the call itself goes by ref.
func (a *Hypervisor) name(ctx context.Context, ref string) string {
	if v, err := a.Hypervisor.Lookup(ctx, ref); err == nil {
		return v.Name
	}
	return ref
}

// record writes one entry and returns err; a refusal (no right, wrong
// state) is told apart from a failure, and the operator's answer to the
// question before it (vm.Confirmation) goes in the note.
func (a *Hypervisor) record(ctx context.Context, action, target, detail string, err error) error {
	e := Entry{User: a.user, Where: a.where, Action: action, Target: target, Result: OK, Note: ConfirmationNote(ctx)}
	if detail != "" {
		e.Target += " " + detail
	}
	if err != nil {
		e.Result, e.Error = Failed, err.Error()
		switch {
		case errors.Is(err, vm.ErrDenied) || errors.Is(err, vm.ErrInvalidState) || errors.Is(err, vm.ErrInvalidArg) || errors.Is(err, vm.ErrExists):
			e.Result = Refused
		case errors.Is(err, context.Canceled):
			e.Result = Cancelled
		}
	}
	a.entries.Add(1)
	if _, werr := a.log.Append(e); werr != nil {
		a.failure.Store(&werr)
	} else {
		a.failure.Store(nil)
	}
	return err
}

// ConfirmationNote says how the change was confirmed, for an entry's
// note: "confirmed (dialog)", "confirmed (--yes, 3 VMs)"; "" when nothing
// was asked.
func ConfirmationNote(ctx context.Context) string {
	c, ok := vm.ConfirmationFrom(ctx)
	if !ok || c.How == "" {
		return ""
	}
	note := "confirmed (" + c.How
	if c.Bulk > 1 {
		note += ", " + strconv.Itoa(c.Bulk) + " VMs"
	}
	return note + ")"
}

// Entries is how many entries the wrapper has made (written or not).
func (a *Hypervisor) Entries() int { return int(a.entries.Load()) }

// AuditFailure is why the last entry could not be written, or nil.
func (a *Hypervisor) AuditFailure() error {
	if p := a.failure.Load(); p != nil {
		return *p
	}
	return nil
}

// onVM runs a call on the VM ref names and records it under the VM's
// name, looked up first: a deleted VM has none afterwards.
func onVM[T any](ctx context.Context, a *Hypervisor, action, ref, detail string, call func() (T, error)) (T, error) {
	name := a.name(ctx, ref)
	v, err := call()
	return v, a.record(ctx, action, name, detail, err)
}

// on is onVM for a call with no result.
func (a *Hypervisor) on(ctx context.Context, action, ref, detail string, call func() error) error {
	_, err := onVM(ctx, a, action, ref, detail, func() (struct{}, error) { return struct{}{}, call() })
	return err
}

func (a *Hypervisor) Define(ctx context.Context, spec vm.Spec) (vm.VM, error) {
	v, err := a.Hypervisor.Define(ctx, spec)
	return v, a.record(ctx, "vm.define", spec.Name, "", err)
}

func (a *Hypervisor) Undefine(ctx context.Context, ref string) error {
	return a.on(ctx, "vm.delete", ref, "", func() error { return a.Hypervisor.Undefine(ctx, ref) })
}

func (a *Hypervisor) DeleteWithStorage(ctx context.Context, ref string) error {
	return a.on(ctx, "vm.delete-storage", ref, "", func() error { return a.Hypervisor.DeleteWithStorage(ctx, ref) })
}

func (a *Hypervisor) Start(ctx context.Context, ref string) error {
	return a.on(ctx, "vm.start", ref, "", func() error { return a.Hypervisor.Start(ctx, ref) })
}

func (a *Hypervisor) Shutdown(ctx context.Context, ref string) error {
	return a.on(ctx, "vm.shutdown", ref, "", func() error { return a.Hypervisor.Shutdown(ctx, ref) })
}

func (a *Hypervisor) Reboot(ctx context.Context, ref string) error {
	return a.on(ctx, "vm.reboot", ref, "", func() error { return a.Hypervisor.Reboot(ctx, ref) })
}

func (a *Hypervisor) Destroy(ctx context.Context, ref string) error {
	return a.on(ctx, "vm.force-off", ref, "", func() error { return a.Hypervisor.Destroy(ctx, ref) })
}

func (a *Hypervisor) Pause(ctx context.Context, ref string) error {
	return a.on(ctx, "vm.pause", ref, "", func() error { return a.Hypervisor.Pause(ctx, ref) })
}

func (a *Hypervisor) Resume(ctx context.Context, ref string) error {
	return a.on(ctx, "vm.resume", ref, "", func() error { return a.Hypervisor.Resume(ctx, ref) })
}

func (a *Hypervisor) Save(ctx context.Context, ref string) error {
	return a.on(ctx, "vm.save", ref, "", func() error { return a.Hypervisor.Save(ctx, ref) })
}

func (a *Hypervisor) SetAutostart(ctx context.Context, ref string, on bool) error {
	return a.on(ctx, "vm.autostart", ref, onOff(on), func() error { return a.Hypervisor.SetAutostart(ctx, ref, on) })
}

func (a *Hypervisor) CreateSnapshot(ctx context.Context, ref string, spec vm.SnapshotSpec) (vm.Snapshot, error) {
	return onVM(ctx, a, "vm.snapshot.create", ref, spec.Name, func() (vm.Snapshot, error) {
		return a.Hypervisor.CreateSnapshot(ctx, ref, spec)
	})
}

func (a *Hypervisor) RevertSnapshot(ctx context.Context, ref, name string) error {
	return a.on(ctx, "vm.snapshot.revert", ref, name, func() error { return a.Hypervisor.RevertSnapshot(ctx, ref, name) })
}

func (a *Hypervisor) DeleteSnapshot(ctx context.Context, ref, name string) error {
	return a.on(ctx, "vm.snapshot.delete", ref, name, func() error { return a.Hypervisor.DeleteSnapshot(ctx, ref, name) })
}

func (a *Hypervisor) SetVCPUs(ctx context.Context, ref string, n int) (vm.Applied, error) {
	return onVM(ctx, a, "vm.set.vcpus", ref, strconv.Itoa(n), func() (vm.Applied, error) {
		return a.Hypervisor.SetVCPUs(ctx, ref, n)
	})
}

func (a *Hypervisor) SetMemory(ctx context.Context, ref string, mib uint64) (vm.Applied, error) {
	return onVM(ctx, a, "vm.set.memory", ref, strconv.FormatUint(mib, 10)+"MiB", func() (vm.Applied, error) {
		return a.Hypervisor.SetMemory(ctx, ref, mib)
	})
}

func (a *Hypervisor) AttachDisk(ctx context.Context, ref string, spec vm.DiskSpec) (vm.Applied, error) {
	return onVM(ctx, a, "vm.disk.attach", ref, spec.Volume.String(), func() (vm.Applied, error) {
		return a.Hypervisor.AttachDisk(ctx, ref, spec)
	})
}

func (a *Hypervisor) DetachDisk(ctx context.Context, ref, target string) (vm.Applied, error) {
	return onVM(ctx, a, "vm.disk.detach", ref, target, func() (vm.Applied, error) {
		return a.Hypervisor.DetachDisk(ctx, ref, target)
	})
}

func (a *Hypervisor) AttachNIC(ctx context.Context, ref string, spec vm.NICSpec) (vm.Applied, error) {
	return onVM(ctx, a, "vm.nic.attach", ref, spec.Network, func() (vm.Applied, error) {
		return a.Hypervisor.AttachNIC(ctx, ref, spec)
	})
}

func (a *Hypervisor) DetachNIC(ctx context.Context, ref, mac string) (vm.Applied, error) {
	return onVM(ctx, a, "vm.nic.detach", ref, mac, func() (vm.Applied, error) {
		return a.Hypervisor.DetachNIC(ctx, ref, mac)
	})
}

// OpenConsole is recorded too: a console is a way into the guest.
func (a *Hypervisor) OpenConsole(ctx context.Context, ref string) (vm.Console, error) {
	return onVM(ctx, a, "vm.console", ref, "", func() (vm.Console, error) {
		return a.Hypervisor.OpenConsole(ctx, ref)
	})
}

func (a *Hypervisor) DefineClone(ctx context.Context, ref, name string, disks map[string]vm.VolumeRef) (vm.VM, error) {
	return onVM(ctx, a, "vm.clone", ref, "to "+name, func() (vm.VM, error) {
		return a.Hypervisor.DefineClone(ctx, ref, name, disks)
	})
}

func (a *Hypervisor) SetLinks(ctx context.Context, ref string, up bool) error {
	return a.on(ctx, "vm.links", ref, map[bool]string{true: "up", false: "down"}[up],
		func() error { return a.Hypervisor.SetLinks(ctx, ref, up) })
}
