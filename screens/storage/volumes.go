package storage

import (
	"context"
	"errors"
	"path"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// copyTimeout bounds a copy; copying a large disk takes long, and the UI's
// usual call timeout would give up on it.
const copyTimeout = 12 * time.Hour

// createForm asks for a new volume in pool p.
func (m *Model) createForm(p vm.Pool) tea.Cmd {
	free := vm.FormatBytes(float64(p.AvailableBytes))
	fields := []ui.Field{
		{Label: "Name", Hint: "e.g. data.qcow2"},
		{Label: "Size", Value: "20G", Hint: "512M, 20G, 1T (bare number: GiB); " + free + " free"},
		{Label: "Format", Value: "qcow2", Choices: []string{"qcow2", "raw"}, Hint: "qcow2: thin, snapshots; raw: plain, fastest"},
	}
	check := func(v []string) error {
		_, err := m.volumeSpec(p, v)
		return err
	}
	submit := func(v []string) tea.Cmd {
		spec, _ := m.volumeSpec(p, v)
		pool := p.Name
		hv, err := m.host.HV()
		return m.c.Job(m.id, "creating "+spec.Name, "created volume "+spec.Name+" in "+pool, spec.Name, func(ctx context.Context) error {
			if err != nil {
				return err
			}
			_, err := hv.CreateVolume(ctx, pool, spec)
			return err
		})
	}
	form := ui.NewForm(m.c, "New volume in "+ui.Safe(p.Name), fields, submit).Check(check)
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: form} }
}

// volumeSpec reads the create form and refuses what the backend would.
func (m *Model) volumeSpec(p vm.Pool, v []string) (vm.VolumeSpec, error) {
	spec := vm.VolumeSpec{Name: v[0], Format: v[2]}
	size, err := vm.ParseSize(v[1], 1<<30) // a bare number is GiB, as disks go
	if err != nil {
		return spec, &vm.Error{Op: "create volume", Kind: vm.ErrInvalidArg, Detail: err.Error()}
	}
	spec.CapacityBytes = size
	if err := vm.CheckVolumeSpec(p.Name, &spec); err != nil {
		return spec, err
	}
	if err := m.nameFree(p, spec.Name); err != nil {
		return spec, err
	}
	return spec, vm.CheckSpace("create volume", spec.Name, p, size)
}

func (m *Model) nameFree(p vm.Pool, name string) error {
	for _, o := range m.allVols {
		if o.Name == name {
			return &vm.Error{Op: "create volume", Target: name, Kind: vm.ErrExists,
				Detail: "pool " + ui.Safe(p.Name) + " already has a volume " + ui.Safe(name), Hint: "pick another name"}
		}
	}
	return nil
}

// copyName suggests a name for a copy: web-01.qcow2 -> web-01-copy.qcow2.
func copyName(name string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "-copy" + ext
}

// copyForm asks for the name of a full copy of v.
func (m *Model) copyForm(p vm.Pool, v vm.Volume) tea.Cmd {
	fields := []ui.Field{{Label: "New name", Value: copyName(v.Name),
		Hint: "a full copy of " + vm.FormatBytes(float64(v.CapacityBytes)) + " in " + ui.Safe(p.Name)}}
	check := func(vals []string) error {
		if err := vm.CheckName("copy volume", "volume", vals[0]); err != nil {
			return err
		}
		if err := m.nameFree(p, vals[0]); err != nil {
			return err
		}
		return vm.CheckSpace("copy volume", vals[0], p, v.CapacityBytes)
	}
	submit := func(vals []string) tea.Cmd { return m.startCopy(p.Name, v.Name, vals[0]) }
	form := ui.NewForm(m.c, "Copy volume "+ui.Safe(v.Name), fields, submit).Check(check)
	return func() tea.Msg { return ui.OpenDialogMsg{Dialog: form} }
}

// copyState is a copy in progress, shown above the volumes.
type copyState struct {
	pool, src, dst string
	done, total    uint64
	cancel         context.CancelFunc // stops the copy, which then deletes what it made
}

// copyProgressMsg reports a running copy; next waits for the one after.
type copyProgressMsg struct {
	id          int
	done, total uint64
	next        tea.Cmd
}

// copyDoneMsg ends a copy, as JobDoneMsg ends a job.
type copyDoneMsg struct {
	id int
	ui.JobDoneMsg
}

// copyStartedMsg begins a copy: Update records it and runs it.
type copyStartedMsg struct {
	id  int
	cp  copyState
	run tea.Cmd
}

// startCopy returns the command that starts a copy of src to dst. The copy
// runs in the background; the screen stays usable meanwhile.
func (m *Model) startCopy(pool, src, dst string) tea.Cmd {
	id := m.id
	hv, err := m.host.HV()
	if err != nil {
		return ui.Fail(err)
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), copyTimeout)
		cp := copyState{pool: pool, src: src, dst: dst, cancel: cancel}
		return copyStartedMsg{id: id, cp: cp, run: m.runCopy(ctx, hv, cp)}
	}
}

// runCopy runs CopyVolume and feeds its progress back as messages, one at
// a time, until the copy ends with a copyDoneMsg.
func (m *Model) runCopy(ctx context.Context, hv vm.Hypervisor, cp copyState) tea.Cmd {
	id := m.id
	return func() tea.Msg {
		ch := make(chan tea.Msg, 1)
		next := func() tea.Msg { return <-ch }
		go func() {
			defer cp.cancel()
			_, err := hv.CopyVolume(ctx, cp.pool, cp.src, cp.dst, func(done, total uint64) {
				select { // drop a reading rather than hold up the copy
				case ch <- copyProgressMsg{id: id, done: done, total: total, next: next}:
				default:
				}
			})
			done := ui.JobDoneMsg{Done: "copied " + cp.src + " to " + cp.dst, Select: cp.dst, Err: err}
			if errors.Is(err, vm.ErrCancelled) {
				done = ui.JobDoneMsg{Done: "cancelled the copy of " + cp.src + ": " + cp.dst + " was not kept"}
			}
			ch <- copyDoneMsg{id: id, JobDoneMsg: done}
		}()
		return copyProgressMsg{id: id, next: next}
	}
}

func (m *Model) progress(msg copyProgressMsg) tea.Cmd {
	if m.copying != nil && msg.total > 0 {
		m.copying.done, m.copying.total = msg.done, msg.total
	}
	return msg.next
}
