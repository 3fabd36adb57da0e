package vmdetail

import (
	"context"
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

type deviceDoneMsg struct {
	id   int
	what string
	when vm.Applied
	err  error
}

// deviceItems are the action-menu entries that change devices.
func (m *Model) deviceItems() []ui.MenuItem {
	why := m.c.ReadOnlyWhy()
	return []ui.MenuItem{
		{Label: "Attach a disk or ISO", Disabled: why, Run: m.attachDisk()},
		{Label: "Detach a disk", Disabled: firstOr(why, len(m.d.Disks) == 0, "it has no disk"), Run: m.detachDisk()},
		{Label: "Attach a NIC", Disabled: why, Run: m.attachNIC()},
		{Label: "Detach a NIC", Disabled: firstOr(why, len(m.d.NICs) == 0, "it has no NIC"), Run: m.detachNIC()},
	}
}

func firstOr(why string, cond bool, reason string) string {
	if why == "" && cond {
		return reason
	}
	return why
}

func notEmpty(what string) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New(what + " is required")
		}
		return nil
	}
}

// device runs one device change and reports when it takes effect.
func (m *Model) device(what string, do func(ctx context.Context) (vm.Applied, error)) tea.Cmd {
	id := m.id
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		when, err := do(ctx)
		return deviceDoneMsg{id, what, when, err}
	}
}

func (m *Model) deviceDone(msg deviceDoneMsg) tea.Cmd {
	if msg.err != nil {
		return ui.Fail(vm.Named(msg.err, m.d.VM))
	}
	return tea.Batch(ui.Status(ui.LevelSuccess, msg.what+", "+msg.when.String()), m.load())
}

func (m *Model) form(title string, fields []ui.Field, submit func([]string) tea.Cmd) tea.Cmd {
	f := ui.NewForm(m.c, title, fields, submit)
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: f} }
}

// attachDisk offers the volumes that can be attached, read from the
// pools first: ISOs, and disks no VM uses (two VMs writing one disk would
// corrupt it).
func (m *Model) attachDisk() tea.Cmd {
	hv, uuid, name := m.c.HV, m.d.UUID, m.d.Name
	host := m.d.Host
	return func() tea.Msg {
		own, err := vm.Reach(hv, host) // the volumes of the VM's own host, no other's
		if err != nil {
			return ui.ErrorMsg{Err: err}
		}
		ctx, cancel := m.c.Context()
		defer cancel()
		vols, err := vm.Attachable(ctx, own)
		if err != nil {
			return ui.ErrorMsg{Err: err}
		}
		if len(vols) == 0 {
			return ui.StatusMsg{Text: "No volume to attach: every disk is in use; create one in Storage", Level: ui.LevelWarning}
		}
		refs := make([]string, len(vols))
		for i, v := range vols {
			refs[i] = v.Ref().String()
		}
		return ui.OpenDialogMsg{Dialog: ui.NewForm(m.c, "Attach a disk to "+ui.Safe(name), []ui.Field{
			{Label: "Volume", Value: refs[0], Choices: refs, Hint: "the pools' ISOs, and their disks no VM uses"},
			{Label: "CD-ROM", Value: "no", Choices: []string{"no", "yes"}, Hint: "yes for an ISO: attached read-only"},
		}, func(v []string) tea.Cmd {
			ref, _ := vm.ParseVolumeRef(v[0])
			spec := vm.DiskSpec{Volume: ref}
			if v[1] == "yes" {
				spec.Device = "cdrom"
			}
			return m.device("attached "+ui.Safe(v[0]), func(ctx context.Context) (vm.Applied, error) { return hv.AttachDisk(ctx, uuid, spec) })
		})}
	}
}

func (m *Model) detachDisk() tea.Cmd {
	hv, uuid := m.c.HV, m.d.UUID
	var targets []string
	for _, d := range m.d.Disks {
		targets = append(targets, d.Target)
	}
	return m.form("Detach a disk from "+ui.Safe(m.d.Name), []ui.Field{
		{Label: "Target", Value: lastOf(targets), Hint: "one of " + strings.Join(targets, ", ") + "; the image file stays",
			Validate: oneOf(targets, "a disk target")},
	}, func(v []string) tea.Cmd {
		return m.device("detached "+v[0], func(ctx context.Context) (vm.Applied, error) { return hv.DetachDisk(ctx, uuid, v[0]) })
	})
}

func (m *Model) attachNIC() tea.Cmd {
	hv, uuid := m.c.HV, m.d.UUID
	return m.form("Attach a NIC to "+ui.Safe(m.d.Name), []ui.Field{
		{Label: "Network", Value: "default", Hint: "a libvirt network (see Networks)", Validate: notEmpty("a network")},
	}, func(v []string) tea.Cmd {
		return m.device("attached a NIC on "+ui.Safe(v[0]), func(ctx context.Context) (vm.Applied, error) {
			return hv.AttachNIC(ctx, uuid, vm.NICSpec{Network: v[0]})
		})
	})
}

func (m *Model) detachNIC() tea.Cmd {
	hv, uuid := m.c.HV, m.d.UUID
	var macs []string
	for _, n := range m.d.NICs {
		macs = append(macs, n.MAC)
	}
	return m.form("Detach a NIC from "+ui.Safe(m.d.Name), []ui.Field{
		{Label: "MAC", Value: lastOf(macs), Hint: "one of " + strings.Join(macs, ", "), Validate: oneOf(macs, "a MAC address")},
	}, func(v []string) tea.Cmd {
		return m.device("detached NIC "+v[0], func(ctx context.Context) (vm.Applied, error) { return hv.DetachNIC(ctx, uuid, v[0]) })
	})
}

func lastOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func oneOf(allowed []string, what string) func(string) error {
	return func(s string) error {
		for _, a := range allowed {
			if strings.EqualFold(a, s) {
				return nil
			}
		}
		return errors.New(what + " of this VM: " + strings.Join(allowed, ", "))
	}
}
