package libvirt

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

var states = map[lv.DomainState]vm.State{
	lv.DOMAIN_NOSTATE:     vm.StateUnknown,
	lv.DOMAIN_RUNNING:     vm.StateRunning,
	lv.DOMAIN_BLOCKED:     vm.StateBlocked,
	lv.DOMAIN_PAUSED:      vm.StatePaused,
	lv.DOMAIN_SHUTDOWN:    vm.StateShuttingDown,
	lv.DOMAIN_SHUTOFF:     vm.StateShutOff,
	lv.DOMAIN_CRASHED:     vm.StateCrashed,
	lv.DOMAIN_PMSUSPENDED: vm.StateSuspended,
}

// List returns every VM, running or not. It costs three list calls and one
// GetInfo per VM, whatever the number of VMs.
func (b *Backend) List(ctx context.Context) ([]vm.VM, error) {
	return call(ctx, b, "list VMs", "", func(c *lv.Connect) ([]vm.VM, error) {
		autostart, err := uuidSet(c, lv.CONNECT_LIST_DOMAINS_AUTOSTART)
		if err != nil {
			return nil, err
		}
		persistent, err := uuidSet(c, lv.CONNECT_LIST_DOMAINS_PERSISTENT)
		if err != nil {
			return nil, err
		}
		doms, err := c.ListAllDomains(0)
		if err != nil {
			return nil, err
		}
		defer freeAll(doms)
		out := make([]vm.VM, 0, len(doms))
		for i := range doms {
			v, err := describe(&doms[i])
			if hasCode(err, lv.ERR_NO_DOMAIN) { // undefined between the list and now
				continue
			}
			if err != nil {
				return nil, err
			}
			v.Autostart, v.Persistent = autostart[v.UUID], persistent[v.UUID]
			out = append(out, v)
		}
		return out, nil
	})
}

func uuidSet(c *lv.Connect, flags lv.ConnectListAllDomainsFlags) (map[string]bool, error) {
	doms, err := c.ListAllDomains(flags)
	if err != nil {
		return nil, err
	}
	defer freeAll(doms)
	set := make(map[string]bool, len(doms))
	for i := range doms {
		if id, err := doms[i].GetUUIDString(); err == nil {
			set[id] = true
		}
	}
	return set, nil
}

// describe reads a VM's identity and GetInfo; not autostart or persistence.
func describe(d *lv.Domain) (vm.VM, error) {
	var v vm.VM
	var err error
	if v.Name, err = d.GetName(); err != nil {
		return v, err
	}
	if v.UUID, err = d.GetUUIDString(); err != nil {
		return v, err
	}
	info, err := d.GetInfo()
	if err != nil {
		return v, err
	}
	v.State = states[info.State]
	v.VCPUs = int(info.NrVirtCpu)
	v.MemoryKiB = info.Memory
	if v.MemoryKiB == 0 {
		v.MemoryKiB = info.MaxMem
	}
	return v, nil
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// lookup finds a domain by UUID or name. The caller frees it.
func lookup(c *lv.Connect, ref string) (*lv.Domain, error) {
	if uuidPattern.MatchString(ref) {
		if d, err := c.LookupDomainByUUIDString(ref); err == nil {
			return d, nil
		}
	}
	d, err := c.LookupDomainByName(ref)
	if err != nil {
		if hasCode(err, lv.ERR_NO_DOMAIN) {
			return nil, vm.ErrNotFound
		}
		return nil, err
	}
	return d, nil
}

// Lookup returns one VM by name or UUID.
func (b *Backend) Lookup(ctx context.Context, ref string) (vm.VM, error) {
	return call(ctx, b, "look up", ref, func(c *lv.Connect) (vm.VM, error) {
		d, err := lookup(c, ref)
		if err != nil {
			return vm.VM{}, err
		}
		defer d.Free()
		return describeFully(d)
	})
}

// describeFully is describe with autostart and persistence, which List
// reads for all VMs at once instead.
func describeFully(d *lv.Domain) (vm.VM, error) {
	v, err := describe(d)
	if err != nil {
		return v, err
	}
	if v.Autostart, err = d.GetAutostart(); err != nil {
		return v, err
	}
	v.Persistent, err = d.IsPersistent()
	return v, err
}

// onDomain runs one operation on the domain ref names.
func (b *Backend) onDomain(ctx context.Context, op, ref string, fn func(*lv.Domain) error) error {
	_, err := call(ctx, b, op, ref, func(c *lv.Connect) (struct{}, error) {
		d, err := lookup(c, ref)
		if err != nil {
			return struct{}{}, err
		}
		defer d.Free()
		return struct{}{}, fn(d)
	})
	return err
}

// change runs a lifecycle operation after checking that the VM is in a state
// it starts from. Drivers word (and code) these refusals differently; this
// way every backend refuses alike, with the state named.
func (b *Backend) change(ctx context.Context, op, ref string, from []vm.State, fn func(*lv.Domain) error) error {
	return b.onDomain(ctx, op, ref, func(d *lv.Domain) error {
		st, _, err := d.GetState()
		if err != nil {
			return err
		}
		if now := states[st]; !slices.Contains(from, now) {
			return &vm.Error{Op: op, Target: ref, Kind: vm.ErrInvalidState, Detail: "it is " + now.String()}
		}
		return fn(d)
	})
}

func (b *Backend) Start(ctx context.Context, ref string) error {
	return b.change(ctx, "start", ref, vm.FromStopped, func(d *lv.Domain) error { return d.Create() })
}

// Shutdown asks the guest to power off (ACPI); the guest may ignore it.
func (b *Backend) Shutdown(ctx context.Context, ref string) error {
	return b.change(ctx, "shut down", ref, vm.FromRunning, func(d *lv.Domain) error { return d.Shutdown() })
}

func (b *Backend) Reboot(ctx context.Context, ref string) error {
	return b.change(ctx, "reboot", ref, vm.FromRunning, func(d *lv.Domain) error { return d.Reboot(0) })
}

// Destroy powers the VM off at once, like pulling the plug.
func (b *Backend) Destroy(ctx context.Context, ref string) error {
	return b.change(ctx, "force off", ref, vm.FromActive, func(d *lv.Domain) error { return d.Destroy() })
}

func (b *Backend) Pause(ctx context.Context, ref string) error {
	return b.change(ctx, "pause", ref, vm.FromRunning, func(d *lv.Domain) error { return d.Suspend() })
}

func (b *Backend) Resume(ctx context.Context, ref string) error {
	return b.change(ctx, "resume", ref, vm.FromPaused, func(d *lv.Domain) error { return d.Resume() })
}

func (b *Backend) SetAutostart(ctx context.Context, ref string, on bool) error {
	return b.onDomain(ctx, "set autostart of", ref, func(d *lv.Domain) error { return d.SetAutostart(on) })
}

// Undefine removes the definition together with its managed save image,
// snapshot metadata and NVRAM, which would otherwise block it. Disks stay.
// A driver that knows no NVRAM (the test driver) refuses that flag: the
// others are kept, or the snapshots would block the delete.
func (b *Backend) Undefine(ctx context.Context, ref string) error {
	return b.onDomain(ctx, "undefine", ref, func(d *lv.Domain) error {
		flags := lv.DOMAIN_UNDEFINE_MANAGED_SAVE | lv.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
		err := d.UndefineFlags(flags | lv.DOMAIN_UNDEFINE_NVRAM)
		if hasCode(err, lv.ERR_NO_SUPPORT, lv.ERR_INVALID_ARG) {
			err = d.UndefineFlags(flags)
		}
		return err
	})
}

// Define creates a persistent VM definition from spec.
func (b *Backend) Define(ctx context.Context, spec vm.Spec) (vm.VM, error) {
	if err := validSpec(spec); err != nil {
		return vm.VM{}, err
	}
	return call(ctx, b, "define", spec.Name, func(c *lv.Connect) (vm.VM, error) {
		caps, err := c.GetCapabilities()
		if err != nil {
			return vm.VM{}, err
		}
		guest, err := pickGuest(caps)
		if err != nil {
			return vm.VM{}, err
		}
		var disks []medium
		for _, disk := range spec.Disks {
			v, err := resolveVolume(c, "define", spec.Name, disk.Volume)
			if err != nil {
				return vm.VM{}, err
			}
			disks = append(disks, mediumOf(v))
		}
		var iso *medium
		if !spec.ISO.IsZero() {
			v, err := resolveVolume(c, "define", spec.Name, spec.ISO)
			if err != nil {
				return vm.VM{}, err
			}
			m := mediumOf(v)
			iso = &m
		}
		xml, err := domainXML(spec, guest, disks, iso)
		if err != nil {
			return vm.VM{}, err
		}
		if err := b.vetXML(xml); err != nil {
			return vm.VM{}, err
		}
		return defineNew(c, "define", spec.Name, spec.Name, xml)
	})
}

// defineNew defines xml as a new VM called name, refusing a name another
// VM has: libvirt would replace that VM's definition.
func defineNew(c *lv.Connect, op, target, name, xml string) (vm.VM, error) {
	if d, err := c.LookupDomainByName(name); err == nil {
		d.Free()
		return vm.VM{}, &vm.Error{Op: op, Target: target, Kind: vm.ErrExists, Detail: "a VM named " + name + " exists"}
	}
	d, err := c.DomainDefineXML(xml)
	if err != nil {
		return vm.VM{}, err
	}
	defer d.Free()
	v, err := describe(d)
	v.Persistent = true
	return v, err
}

func validSpec(s vm.Spec) error {
	bad := func(why string) error {
		return &vm.Error{Op: "define", Target: s.Name, Kind: vm.ErrInvalidArg, Detail: why}
	}
	if err := vm.ValidName("VM", s.Name); err != nil {
		return bad(err.Error())
	}
	if s.Firmware != "" && s.Firmware != "bios" && s.Firmware != "uefi" {
		return bad("firmware is bios or uefi, not " + s.Firmware)
	}
	switch {
	case s.VCPUs < 1:
		return bad("at least one vCPU is required")
	case s.MemoryMiB < 16:
		return bad("at least 16 MiB of memory is required")
	}
	return nil
}

// Host describes the machine at the other end of the connection.
func (b *Backend) Host(ctx context.Context) (vm.Host, error) {
	return call(ctx, b, "read host information", "", func(c *lv.Connect) (vm.Host, error) {
		var h vm.Host
		var err error
		if h.Hostname, err = c.GetHostname(); err != nil {
			return h, err
		}
		if h.Hypervisor, err = c.GetType(); err != nil {
			return h, err
		}
		if v, err := c.GetVersion(); err == nil {
			h.HypervisorVer = version(v)
		}
		if v, err := c.GetLibVersion(); err == nil {
			h.LibvirtVersion = version(v)
		}
		ni, err := c.GetNodeInfo()
		if err != nil {
			return h, err
		}
		h.CPUModel, h.CPUs, h.MemoryKiB = ni.Model, int(ni.Cpus), ni.Memory
		if caps, err := c.GetCapabilities(); err == nil {
			if g, err := pickGuest(caps); err == nil {
				h.Accel, h.NoKVM = g.domainType, g.noKVM
			}
			if model := hostCPUModel(caps); model != "" {
				h.CPUModel = model
			}
		}
		return h, nil
	})
}

// version formats libvirt's major*1e6 + minor*1e3 + release encoding.
func version(v uint32) string {
	return fmt.Sprintf("%d.%d.%d", v/1000000, v/1000%1000, v%1000)
}

// DeleteWithStorage undefines the VM, then deletes its disks' volumes.
func (b *Backend) DeleteWithStorage(ctx context.Context, ref string) error {
	return vm.DeleteWithStorage(ctx, b, ref)
}
