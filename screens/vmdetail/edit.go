package vmdetail

import (
	"context"
	"fmt"
	"strconv"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

type editedMsg struct {
	id         int
	values     []string // as typed, to show again if it failed
	vcpus, mem vm.Applied
	err        error
	changedCPU bool
	changedMem bool
}

// edit opens a form for vCPUs and memory; the result says whether each
// change applies now or at the next boot.
func (m *Model) edit() tea.Cmd {
	if m.c.ReadOnly() {
		return ui.Status(ui.LevelWarning, "Cannot edit: "+m.c.ReadOnlyWhy())
	}
	return m.editForm(nil, nil)
}

// editForm is the edit form, refilled with values and the reason when the
// last attempt failed.
func (m *Model) editForm(values []string, failed error) tea.Cmd {
	d := m.d
	fields := []ui.Field{
		{Label: "vCPUs", Value: strconv.Itoa(d.VCPUs), Hint: "live on a running VM up to its maximum, else at the next boot",
			Validate: func(s string) error {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 {
					return fmt.Errorf("a whole number, at least 1")
				}
				return nil
			}},
		{Label: "Memory", Value: vm.FormatKiB(d.MemoryKiB), Hint: "e.g. 512M or 4G; live up to the maximum (" + vm.FormatKiB(d.MaxMemoryKiB) + ")",
			Validate: func(s string) error {
				b, err := vm.ParseSize(s, 1<<20)
				if err == nil && b < 16<<20 {
					err = fmt.Errorf("at least 16M")
				}
				return err
			}},
	}
	hv, id, uuid := m.c.HV, m.id, d.UUID
	form := ui.NewForm(m.c, "Edit "+ui.Safe(d.Name), fields, func(v []string) tea.Cmd {
		n, _ := strconv.Atoi(v[0])
		mem, _ := vm.ParseSize(v[1], 1<<20)
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), m.c.Timeout)
			defer cancel()
			msg := editedMsg{id: id, values: v}
			if n != d.VCPUs {
				msg.changedCPU = true
				if msg.vcpus, msg.err = hv.SetVCPUs(ctx, uuid, n); msg.err != nil {
					return msg
				}
			}
			if mib := mem >> 20; mib<<10 != d.MemoryKiB {
				msg.changedMem = true
				msg.mem, msg.err = hv.SetMemory(ctx, uuid, mib)
			}
			return msg
		}
	})
	if failed != nil {
		form.Failed(values, failed)
	}
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: form} }
}

func (m *Model) edited(msg editedMsg) tea.Cmd {
	if msg.err != nil {
		return tea.Batch(m.editForm(msg.values, vm.Named(msg.err, m.d.VM)), m.load())
	}
	var parts []string
	if msg.changedCPU {
		parts = append(parts, "vCPUs "+msg.vcpus.String())
	}
	if msg.changedMem {
		parts = append(parts, "memory "+msg.mem.String())
	}
	if len(parts) == 0 {
		return ui.Status(ui.LevelInfo, "Nothing changed")
	}
	text := "Changed " + parts[0]
	if len(parts) > 1 {
		text += ", " + parts[1]
	}
	return tea.Batch(ui.Status(ui.LevelSuccess, text), m.load())
}
