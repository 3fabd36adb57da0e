// Package console is a VM's serial console inside hv: the guest's output
// runs through a terminal emulator and is drawn from its cells, so nothing
// the guest writes (escape sequences included) reaches the real terminal
// as is; keys go to the guest until ctrl+] or F10.
package console

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/vt"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

type keyMap struct{ Leave, Reconnect key.Binding }

// Leave works on every keyboard layout: F10 needs no modifier, and ctrl+]
// is what virsh users already type.
var keys = keyMap{
	Leave:     key.NewBinding(key.WithKeys("ctrl+]", "f10"), key.WithHelp("ctrl+] or F10", "leave the console")),
	Reconnect: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reconnect")),
}

func (k keyMap) ShortHelp() []key.Binding  { return []key.Binding{k.Leave} }
func (k keyMap) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Leave, k.Reconnect}} }

type (
	openedMsg struct {
		id  int
		v   vm.VM
		con vm.Console
		err error
	}
	outputMsg struct {
		id   int
		con  vm.Console
		data []byte
	}
	closedMsg struct {
		id  int
		con vm.Console
		err error
	}
)

var lastID atomic.Int64

// Model is the console screen.
type Model struct {
	c    *ui.Common
	id   int
	uuid string
	name string

	mu      sync.Mutex // con is read by the goroutine forwarding replies
	con     vm.Console
	emu     *vt.Emulator
	err     error // why the console is not open
	opening bool
	opened  bool // it was open once: its last screen is worth showing
	// reconnected: hv reconnected to libvirt while the console was being
	// opened, so an open that failed for the lost connection is retried.
	reconnected bool
}

// New opens the console of the VM with this UUID or name.
func New(c *ui.Common, ref string) *Model {
	m := &Model{c: c, id: int(lastID.Add(1)), uuid: ref}
	m.emu = vt.NewEmulator(max(c.Width, 20), max(c.Height-2, 5))
	go m.forwardReplies(m.emu)
	return m
}

func (m *Model) Title() string   { return "Console" }
func (m *Model) Keys() ui.KeyMap { return keys }
func (m *Model) Help() string {
	return "The VM's first serial console. Everything you type goes to the guest, q and ? included; " +
		"ctrl+] or F10 leaves. The console closes when the VM stops or QEMU restarts (a snapshot revert, say) " +
		"and reopens by itself when the VM starts again."
}

// Capturing and Raw: while the console is open, every key belongs to the
// guest, ctrl+c included.
func (m *Model) Capturing() bool { return m.current() != nil }
func (m *Model) Raw() bool       { return m.current() != nil }

func (m *Model) Init() tea.Cmd { return m.open() }

func (m *Model) open() tea.Cmd {
	m.opening, m.reconnected = true, false
	hv, id, ref := m.c.HV, m.id, m.uuid
	return func() tea.Msg {
		ctx, cancel := m.c.Context()
		defer cancel()
		v, err := hv.Lookup(ctx, ref)
		if err != nil {
			return openedMsg{id: id, err: err}
		}
		con, err := hv.OpenConsole(ctx, v.UUID)
		return openedMsg{id, v, con, vm.Named(err, v)}
	}
}

// read delivers the next chunk of output, or the console's end.
func (m *Model) read(con vm.Console) tea.Cmd {
	id := m.id
	return func() tea.Msg {
		select {
		case data := <-con.Output():
			return outputMsg{id, con, data}
		case <-con.Done():
			// Deliver what arrived before the end.
			select {
			case data := <-con.Output():
				return outputMsg{id, con, data}
			default:
			}
			return closedMsg{id, con, con.Err()}
		}
	}
}

// forwardReplies sends what the emulator answers the guest (cursor
// position reports, typed keys) to the console. It runs for the screen's
// life: the emulator's input pipe must always be drained.
func (m *Model) forwardReplies(emu *vt.Emulator) {
	buf := make([]byte, 256)
	for {
		n, err := emu.Read(buf)
		if n > 0 {
			if con := m.current(); con != nil {
				con.Write(buf[:n])
			}
		}
		if err != nil {
			return
		}
	}
}

// current is the open console, or nil.
func (m *Model) current() vm.Console {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.con
}

func (m *Model) setConsole(con vm.Console) {
	m.mu.Lock()
	m.con = con
	m.mu.Unlock()
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case openedMsg:
		if msg.id != m.id {
			return nil
		}
		m.opening = false
		if msg.v.UUID != "" {
			m.uuid, m.name = msg.v.UUID, msg.v.Name
		}
		if msg.err != nil {
			m.err = msg.err
			if m.reconnected && errors.Is(msg.err, vm.ErrConnLost) {
				return m.open()
			}
			return nil
		}
		m.setConsole(msg.con)
		m.err, m.opened = nil, true
		return m.read(msg.con)
	case outputMsg:
		if msg.id == m.id {
			m.emu.Write(msg.data)
			return m.read(msg.con)
		}
	case closedMsg:
		if msg.id == m.id && msg.con == m.current() {
			m.setConsole(nil)
			m.err = msg.err
			if m.err == nil {
				m.err = errors.New("the console closed")
			}
		}
	case ui.VMEventMsg:
		e := msg.Event
		if m.name == "" && e.UUID == m.uuid {
			m.name = e.Name
		}
		// QEMU restarted (a start, a revert), or hv reconnected to a
		// libvirtd that restarted: reopen what closed.
		closed := m.current() == nil && !m.opening
		switch {
		case e.UUID == m.uuid && e.Kind == vm.EventStarted && closed:
			return m.open()
		case e.Kind == vm.EventReconnected && m.opening:
			m.reconnected = true
		case e.Kind == vm.EventReconnected && closed && errors.Is(m.err, vm.ErrConnLost):
			return m.open()
		}
	case tea.WindowSizeMsg:
		m.emu.Resize(max(m.c.Width, 20), max(m.c.Height-2, 5))
	case tea.PasteMsg:
		if m.current() != nil {
			m.emu.Paste(msg.Content)
		}
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, keys.Leave) {
		return m.leave()
	}
	if m.current() == nil {
		if key.Matches(msg, keys.Reconnect) && !m.opening {
			return m.open()
		}
		return nil
	}
	m.emu.SendKey(uv.KeyPressEvent{Code: msg.Code, Text: msg.Text, Mod: uv.KeyMod(msg.Mod)})
	return nil
}

// leave closes the console and goes back.
func (m *Model) leave() tea.Cmd {
	if con := m.current(); con != nil {
		m.setConsole(nil)
		con.Close()
	}
	return func() tea.Msg { return ui.BackMsg{} }
}

// Close releases the console when the screen goes away.
func (m *Model) Close() {
	if con := m.current(); con != nil {
		m.setConsole(nil)
		con.Close()
	}
	m.emu.Close()
}

func (m *Model) View() string {
	st := m.c.Styles
	title := "Serial console"
	if m.name != "" {
		title += " of " + ui.Safe(m.name)
	}
	head := st.Title.Render(title) + "  " + st.Muted.Render("ctrl+] or F10 leaves")
	switch {
	case m.err != nil && errors.Is(m.err, vm.ErrUnsupported):
		return head + "\n\n" + st.Warning.Render("This hypervisor cannot open a serial console.") + "\n" +
			st.Muted.Render("libvirt's test driver (the demo host) has none; on a real host this shows the guest's ttyS0.")
	case m.err != nil && m.current() == nil:
		again := "r tries again; the console also reopens by itself when the VM starts"
		switch {
		case errors.Is(m.err, vm.ErrConnLost):
			again = "it reopens by itself when hv has reconnected to libvirt; r tries now"
		case errors.Is(m.err, vm.ErrDenied):
			again = vm.Fix(m.err)
		}
		why := st.Warning.Width(m.c.Width).Render(ui.Safe(m.err.Error())) + "\n" + st.Muted.Width(m.c.Width).Render(again)
		if !m.opened {
			return head + "\n\n" + why
		}
		return head + "\n" + m.screen() + "\n" + why
	case m.opening && m.current() == nil:
		return head + "\n\nConnecting to the console" + m.c.Glyphs.Ellipsis
	}
	return head + "\n" + m.screen()
}

// screen draws the emulator's cells with their colours and nothing else:
// links, titles and other sequences the guest wrote never reach the
// terminal. Cells holding unsafe characters show as '?'.
func (m *Model) screen() string {
	w, h := m.emu.Width(), m.emu.Height()
	var b strings.Builder
	for y := 0; y < h; y++ {
		if y > 0 {
			b.WriteByte('\n')
		}
		for x := 0; x < w; x++ {
			cell := m.emu.CellAt(x, y)
			if cell == nil || cell.Width == 0 {
				continue
			}
			content := cell.Content
			if content == "" {
				content = " "
			}
			if ui.Safe(content) != content {
				content = "?"
			}
			if cell.Style.IsZero() {
				b.WriteString(content)
			} else {
				b.WriteString(cell.Style.Styled(content))
			}
		}
	}
	return b.String()
}
