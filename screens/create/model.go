// Package create is the screen that makes a VM: a form for its name, size,
// disk, install media, network and firmware, checked as it is typed against
// what the host has, then the work with its progress. Given a source VM it
// clones it instead.
package create

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/ops"
)

type keyMap struct{ Next, Apply, Cancel key.Binding }

var keys = keyMap{
	Next:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next field")),
	Apply:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit the form")),
	Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
}

func (k keyMap) ShortHelp() []key.Binding  { return []key.Binding{k.Next, k.Apply, k.Cancel} }
func (k keyMap) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Next, k.Apply, k.Cancel}} }

// host is what the form checks against, read once.
type host struct {
	src      *vm.VM // the VM to clone, if cloning
	info     vm.Host
	vms      map[string]bool
	pools    []vm.Pool
	networks []vm.Network
	media    map[string]vm.Volume // ISOs and unused disk images, by POOL/VOLUME
}

type (
	loadedMsg struct {
		id  int
		h   host
		err error
	}
	progressMsg struct {
		id          int
		step        string
		done, total uint64
		more        <-chan progressMsg
	}
	doneMsg struct {
		id  int
		v   vm.VM
		err error
	}
)

var lastID atomic.Int64

// Model is the create (or clone) screen.
type Model struct {
	c      *ui.Common
	id     int
	srcRef string // clone this VM (name or UUID) instead of creating one
	src    *vm.VM // it, once read

	h      host
	loaded bool
	err    error // loading failed, or the last attempt did

	form   *ui.Form
	values []string // what was typed, kept across a failed attempt

	running     bool
	cancel      context.CancelFunc // stops the work under way
	cancelling  bool
	step        string
	done, total uint64
}

// New shows the create form.
func New(c *ui.Common) *Model { return &Model{c: c, id: int(lastID.Add(1))} }

// NewClone shows the clone form for the VM ref names.
func NewClone(c *ui.Common, ref string) *Model {
	m := New(c)
	m.srcRef = ref
	return m
}

func (m *Model) Title() string {
	switch {
	case m.src != nil:
		return "Clone " + ui.Safe(m.src.Name)
	case m.srcRef != "":
		return "Clone"
	}
	return "New VM"
}

func (m *Model) Keys() ui.KeyMap { return keys }

func (m *Model) Help() string {
	if m.srcRef != "" {
		return "A clone is a full copy of a shut-off VM: each disk copied in its pool, with a new UUID and new MAC addresses. CD-ROMs are shared, not copied."
	}
	return "Every field is checked as you type against this host: the name must be free, the vCPUs and memory must fit the host, " +
		"the disk must fit the pool's free space. Install from an ISO (booted first) or copy a disk or cloud image. Nothing is made until enter."
}

// Capturing: while the form shows, keys are typed into it; while the work
// runs, esc cancels it rather than leaving it behind.
func (m *Model) Capturing() bool { return m.form != nil || m.running }

func (m *Model) Init() tea.Cmd { return m.load() }

func (m *Model) load() tea.Cmd {
	hv, id, ref := m.c.HV, m.id, m.srcRef
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		var h host
		var err error
		if ref != "" {
			src, err := hv.Lookup(ctx, ref)
			if err != nil {
				return loadedMsg{id: id, err: err}
			}
			h.src = &src
		}
		if h.info, err = hv.Host(ctx); err != nil {
			return loadedMsg{id: id, err: err}
		}
		list, err := hv.List(ctx)
		if err != nil {
			return loadedMsg{id: id, err: err}
		}
		h.vms = map[string]bool{}
		for _, v := range list {
			h.vms[v.Name] = true
		}
		if h.pools, err = hv.Pools(ctx); err != nil {
			return loadedMsg{id: id, err: err}
		}
		if h.networks, err = hv.Networks(ctx); err != nil {
			return loadedMsg{id: id, err: err}
		}
		media, err := vm.Attachable(ctx, hv)
		if err != nil {
			return loadedMsg{id: id, err: err}
		}
		h.media = map[string]vm.Volume{}
		for _, v := range media {
			h.media[v.Ref().String()] = v
		}
		return loadedMsg{id: id, h: h}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.id == m.id {
			m.loaded, m.err = true, msg.err
			if msg.err == nil {
				m.h, m.src = msg.h, msg.h.src
				m.form = m.newForm()
			}
		}
	case progressMsg:
		if msg.id == m.id {
			m.step, m.done, m.total = msg.step, msg.done, msg.total
			return next(msg.more)
		}
	case doneMsg:
		if msg.id == m.id {
			return m.finished(msg)
		}
	case tea.KeyPressMsg:
		if m.form == nil {
			switch {
			case !key.Matches(msg, keys.Cancel):
			case !m.running:
				return func() tea.Msg { return ui.BackMsg{} }
			case !m.cancelling:
				m.cancelling = true
				m.cancel()
			}
			return nil
		}
		m.values = m.form.Values()
		done, cmd := m.form.Update(msg)
		if done {
			m.form = nil
			if cmd == nil { // esc: cancelled
				return func() tea.Msg { return ui.BackMsg{} }
			}
		}
		return cmd
	}
	return nil
}

// run does the work in the background, reporting progress as it goes.
func (m *Model) run(work func(context.Context, ops.Progress) (vm.VM, error)) tea.Cmd {
	m.running, m.cancelling, m.err, m.step, m.done, m.total = true, false, nil, "checking", 0, 0
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	m.cancel = cancel
	id := m.id
	progress := make(chan progressMsg, 64)
	result := make(chan doneMsg, 1)
	go func() {
		defer cancel()
		v, err := work(ctx, func(step string, done, total uint64) {
			select {
			case progress <- progressMsg{id: id, step: step, done: done, total: total}:
			default: // the screen is behind: it will see a later one
			}
		})
		result <- doneMsg{id, v, err}
		close(progress)
	}()
	return tea.Batch(next(progress), func() tea.Msg { return <-result })
}

func next(progress <-chan progressMsg) tea.Cmd {
	return func() tea.Msg {
		p, ok := <-progress
		if !ok {
			return nil
		}
		p.more = progress
		return p
	}
}

func (m *Model) finished(msg doneMsg) tea.Cmd {
	m.running = false
	if errors.Is(msg.err, vm.ErrCancelled) {
		what := "Creating the VM"
		if m.src != nil {
			what = "Cloning " + ui.Safe(m.src.Name)
		}
		return tea.Batch(ui.Status(ui.LevelInfo, what+" was cancelled: nothing was kept"), func() tea.Msg { return ui.BackMsg{} })
	}
	if msg.err != nil {
		m.err = msg.err
		m.form = m.newForm() // with what was typed
		return nil
	}
	what := "created"
	if m.src != nil {
		what = "cloned from " + ui.Safe(m.src.Name)
	}
	uuid := msg.v.UUID
	return tea.Batch(ui.Status(ui.LevelSuccess, ui.Safe(msg.v.Name)+" "+what),
		tea.Sequence(func() tea.Msg { return ui.BackMsg{} }, ui.Navigate("vm", uuid)))
}

// value returns the typed value of field i, or def before anything was typed.
func (m *Model) value(i int, def string) string {
	if i < len(m.values) && m.values[i] != "" {
		return m.values[i]
	}
	return def
}

func (m *Model) newForm() *ui.Form {
	if m.src != nil {
		return m.cloneForm()
	}
	return m.createForm()
}

func (m *Model) cloneForm() *ui.Form {
	src := *m.src
	fields := []ui.Field{{Label: "Name", Value: m.value(0, src.Name+"-clone"), Validate: m.freeName}}
	title := "Clone " + ui.Safe(src.Name)
	if src.State.Active() {
		title += " (it must be shut off first)"
	}
	return ui.NewForm(m.c, title, fields, func(v []string) tea.Cmd {
		hv := m.c.HV
		return m.run(func(ctx context.Context, p ops.Progress) (vm.VM, error) { return ops.Clone(ctx, hv, src, v[0], p) })
	})
}

func (m *Model) freeName(s string) error {
	if err := vm.ValidName("VM", s); err != nil {
		return err
	}
	if m.h.vms[s] {
		return fmt.Errorf("a VM named %s exists", s)
	}
	return nil
}

// Field order of the create form.
const (
	fName = iota
	fVCPUs
	fMemory
	fDisk
	fPool
	fMedia
	fNetwork
	fFirmware
	fAutostart
	fStart
)

func (m *Model) createForm() *ui.Form {
	var pools, nets []string
	for _, p := range m.h.pools {
		if p.Active {
			pools = append(pools, p.Name)
		}
	}
	nets = append(nets, "none")
	for _, n := range m.h.networks {
		nets = append(nets, n.Name)
	}
	pool := "default"
	if len(pools) > 0 && !contains(pools, pool) {
		pool = pools[0]
	}
	net := "none"
	if contains(nets, "default") {
		net = "default"
	}
	media := m.mediaChoices()
	fields := []ui.Field{
		fName:   {Label: "Name", Value: m.value(fName, ""), Validate: m.freeName},
		fVCPUs:  {Label: "vCPUs", Value: m.value(fVCPUs, "2"), Hint: fmt.Sprintf("1 to %d", m.h.info.CPUs), Validate: m.checkVCPUs},
		fMemory: {Label: "Memory", Value: m.value(fMemory, "2G"), Hint: "the host has " + vm.FormatKiB(m.h.info.MemoryKiB), Validate: m.checkMemory},
		fDisk:   {Label: "Disk", Value: m.value(fDisk, "20G"), Hint: "a new blank disk; 0 for none", Validate: checkDisk},
		fPool:   {Label: "Pool", Value: m.value(fPool, pool), Choices: pools},
		fMedia: {Label: "Install", Value: m.value(fMedia, "none"), Choices: media,
			Hint: "an ISO to boot the installer from, or a disk image to copy (Disk 0)"},
		fNetwork: {Label: "Network", Value: m.value(fNetwork, net), Choices: nets},
		fFirmware: {Label: "Firmware", Value: m.value(fFirmware, "bios"), Choices: []string{"bios", "uefi"},
			Hint: "UEFI needs OVMF on the host"},
		fAutostart: {Label: "Autostart", Value: m.value(fAutostart, "no"), Choices: []string{"no", "yes"}},
		fStart:     {Label: "Start now", Value: m.value(fStart, "yes"), Choices: []string{"no", "yes"}},
	}
	return ui.NewForm(m.c, "New VM", fields, m.submit).Check(m.checkSpace).CheckAsTyped()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (m *Model) checkVCPUs(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > m.h.info.CPUs {
		return fmt.Errorf("a whole number from 1 to %d (the host's CPUs)", m.h.info.CPUs)
	}
	return nil
}

func (m *Model) checkMemory(s string) error {
	b, err := vm.ParseSize(s, 1<<20)
	switch {
	case err != nil:
		return err
	case b < 64<<20:
		return errors.New("at least 64M")
	case b>>10 > m.h.info.MemoryKiB:
		return fmt.Errorf("more than the host's %s", vm.FormatKiB(m.h.info.MemoryKiB))
	}
	return nil
}

func checkDisk(s string) error {
	if s == "0" || s == "" {
		return nil
	}
	_, err := vm.ParseSize(s, 1<<30)
	return err
}

// mediaChoices are the install media to pick from: none, the pools' ISOs,
// then the unused disk images, each as POOL/VOLUME.
func (m *Model) mediaChoices() []string {
	var isos, images []string
	for ref, v := range m.h.media {
		if v.Format == "iso" {
			isos = append(isos, ref)
		} else {
			images = append(images, ref)
		}
	}
	slices.Sort(isos)
	slices.Sort(images)
	return append(append([]string{"none"}, isos...), images...)
}

// checkSpace is the form-level rule: the new disk fits its pool, and an
// image copy is not combined with a new disk.
func (m *Model) checkSpace(v []string) error {
	disk, _ := vm.ParseSize(v[fDisk], 1<<30)
	if v[fDisk] == "0" || v[fDisk] == "" {
		disk = 0
	}
	if media, ok := m.h.media[v[fMedia]]; ok && media.Format != "iso" && disk > 0 {
		return errors.New("copying an image makes the disk: set Disk to 0")
	}
	for _, p := range m.h.pools {
		if p.Name == v[fPool] && disk > p.AvailableBytes {
			return fmt.Errorf("not enough space in pool %s: needs %s, has %s", p.Name, vm.FormatBytes(float64(disk)), vm.FormatBytes(float64(p.AvailableBytes)))
		}
	}
	return nil
}

func (m *Model) submit(v []string) tea.Cmd {
	n, _ := strconv.Atoi(v[fVCPUs])
	mem, _ := vm.ParseSize(v[fMemory], 1<<20)
	spec := ops.CreateSpec{Name: v[fName], VCPUs: n, MemoryMiB: mem >> 20, Pool: v[fPool],
		Firmware: v[fFirmware], Autostart: v[fAutostart] == "yes", Start: v[fStart] == "yes"}
	if v[fDisk] != "0" && v[fDisk] != "" {
		spec.DiskBytes, _ = vm.ParseSize(v[fDisk], 1<<30)
	}
	if media, ok := m.h.media[v[fMedia]]; ok {
		if media.Format == "iso" {
			spec.ISO = media.Ref()
		} else {
			spec.Image = media.Ref()
		}
	}
	if v[fNetwork] != "none" {
		spec.Network = v[fNetwork]
	}
	hv := m.c.HV
	return m.run(func(ctx context.Context, p ops.Progress) (vm.VM, error) { return ops.Create(ctx, hv, spec, p) })
}
