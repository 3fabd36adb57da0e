package app

import (
	"context"
	"slices"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/sahilm/fuzzy"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

// command is what the palette offers: a route, or one of its own.
type command struct {
	name, desc string
	arg        Arg
}

// levelArg and quit are the palette's own commands.
const levelArg Arg = -1

func commands() []command {
	out := make([]command, 0, len(Routes)+2)
	for _, r := range Routes {
		out = append(out, command{r.ID, r.Desc, r.Arg})
	}
	return append(out,
		command{"level", "your experience level: level beginner|intermediate|expert", levelArg},
		command{"quit", "leave hv", NoArg})
}

// namesMsg carries what the palette completes arguments from.
type namesMsg map[Arg][]string

// palette is the ':' command line: a command with fuzzy completion, then
// its argument, completed from the host's VMs, networks and pools, the
// help topics and the tutorials.
type palette struct {
	c        *ui.Common
	in       textinput.Model
	cmds     []command
	names    namesMsg
	matches  []string // commands, or candidates for the argument
	descs    []string
	cursor   int
	choosing bool // the command is typed: matches are arguments
}

func newPalette(c *ui.Common) *palette {
	p := &palette{c: c, in: c.NewInput(": ", "command (tab completes)"), cmds: commands(), names: namesMsg{}}
	for _, t := range c.Help.Topics.All() {
		p.names[TopicArg] = append(p.names[TopicArg], t.ID)
	}
	for _, t := range c.Tutorials.Tutorials() {
		p.names[TutorArg] = append(p.names[TutorArg], t.ID)
	}
	p.names[levelArg] = []string{help.Beginner.String(), help.Intermediate.String(), help.Expert.String()}
	p.match()
	return p
}

// focus starts the field and reads the host's names to complete.
func (p *palette) focus() tea.Cmd {
	hv := p.c.HV
	read := func() tea.Msg {
		ctx, cancel := p.c.Context()
		defer cancel()
		out := namesMsg{}
		if vms, err := hv.List(ctx); err == nil {
			for _, v := range vms {
				out[VMArg] = append(out[VMArg], v.Name)
			}
		}
		ownNames(ctx, out, hv, "")
		// The other hosts' networks and pools, as HOST/NAME (how their
		// screens are opened); a host that does not answer has none.
		for _, h := range vm.HostsOf(hv) {
			if m, err := vm.Reach(hv, h.Name); err == nil && !h.Primary && h.State == vm.HostUp {
				ownNames(ctx, out, m, h.Name+"/")
			}
		}
		return out
	}
	return tea.Batch(p.in.Focus(), read)
}

// ownNames adds the networks and pools of host h to out, each name after
// prefix.
func ownNames(ctx context.Context, out namesMsg, h vm.Hypervisor, prefix string) {
	if nets, err := h.Networks(ctx); err == nil {
		for _, n := range nets {
			out[NetArg] = append(out[NetArg], prefix+n.Name)
		}
	}
	if pools, err := h.Pools(ctx); err == nil {
		for _, pl := range pools {
			out[PoolArg] = append(out[PoolArg], prefix+pl.Name)
		}
	}
}

// learned takes the host's names.
func (p *palette) learned(n namesMsg) {
	for k, v := range n {
		slices.Sort(v)
		p.names[k] = v
	}
	p.names[FilterArg] = p.names[VMArg]
	p.match()
}

func (p *palette) command(name string) (command, bool) {
	for _, c := range p.cmds {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// match lists what tab would complete: the commands like the word typed,
// or, once a command and a space are typed, its argument's candidates.
func (p *palette) match() {
	word, arg, spaced := strings.Cut(strings.TrimLeft(p.in.Value(), " "), " ")
	p.matches, p.descs, p.choosing = p.matches[:0], p.descs[:0], false
	if c, ok := p.command(word); ok && spaced {
		p.choosing = true
		for _, n := range find(strings.TrimSpace(lastWord(arg, c.arg)), p.names[c.arg]) {
			p.matches, p.descs = append(p.matches, n), append(p.descs, "")
		}
	} else {
		names := make([]string, len(p.cmds))
		for i, c := range p.cmds {
			names[i] = c.name
		}
		for _, n := range find(word, names) {
			c, _ := p.command(n)
			p.matches, p.descs = append(p.matches, n), append(p.descs, c.desc)
		}
	}
	p.cursor = min(p.cursor, max(len(p.matches)-1, 0))
}

// lastWord is the part of a filter completed (its last word); other
// arguments are completed whole.
func lastWord(arg string, kind Arg) string {
	if kind != FilterArg {
		return arg
	}
	f := strings.Fields(arg)
	if len(f) == 0 || strings.HasSuffix(arg, " ") {
		return ""
	}
	return f[len(f)-1]
}

// find returns the names like q, best first; all of them, in order, for
// an empty q.
func find(q string, names []string) []string {
	if q == "" {
		return slices.Clone(names)
	}
	var out []string
	for _, r := range fuzzy.Find(q, names) {
		out = append(out, r.Str)
	}
	return out
}

func (p *palette) Update(msg tea.Msg) (bool, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			return true, nil
		case "up", "ctrl+p":
			p.cursor = max(p.cursor-1, 0)
			return false, nil
		case "down", "ctrl+n":
			p.cursor = min(p.cursor+1, max(len(p.matches)-1, 0))
			return false, nil
		case "tab":
			p.complete()
			return false, nil
		case "enter":
			return true, p.run()
		}
	}
	var cmd tea.Cmd
	p.in, cmd = p.in.Update(msg)
	p.match()
	return false, cmd
}

// complete puts the highlighted match in the field.
func (p *palette) complete() {
	if len(p.matches) == 0 {
		return
	}
	pick := p.matches[p.cursor]
	word, arg, _ := strings.Cut(strings.TrimLeft(p.in.Value(), " "), " ")
	switch c, _ := p.command(word); {
	case !p.choosing:
		p.in.SetValue(strings.TrimSpace(pick+" "+arg) + " ")
	case c.arg == FilterArg:
		f := strings.Fields(arg)
		if len(f) > 0 && !strings.HasSuffix(arg, " ") {
			f = f[:len(f)-1]
		}
		p.in.SetValue(word + " " + strings.Join(append(f, pick), " "))
	default:
		p.in.SetValue(word + " " + pick)
	}
	p.in.CursorEnd()
	p.cursor = 0
	p.match()
}

// run executes the command typed, or the one highlighted while its name
// is being typed. A name argument that is not a name takes the
// highlighted candidate.
func (p *palette) run() tea.Cmd {
	word, arg, _ := strings.Cut(strings.TrimSpace(p.in.Value()), " ")
	arg = strings.TrimSpace(arg)
	c, ok := p.command(word)
	if !ok {
		if p.choosing || len(p.matches) == 0 {
			return ui.Status(ui.LevelWarning, "no such command: "+ui.Safe(word))
		}
		c, _ = p.command(p.matches[p.cursor])
	}
	switch c.arg {
	case VMArg, NetArg, PoolArg, TutorArg, levelArg:
		if arg != "" && !slices.Contains(p.names[c.arg], arg) && p.choosing && len(p.matches) > 0 {
			arg = p.matches[p.cursor]
		}
	}
	switch c.name {
	case "quit":
		return tea.Quit
	case "level":
		l, err := help.ParseLevel(arg)
		if arg == "" {
			l, err = p.c.Level.Next(), nil
		}
		if err != nil {
			return ui.Status(ui.LevelWarning, err.Error())
		}
		return func() tea.Msg { return ui.SetLevelMsg{Level: l} }
	}
	return ui.Navigate(c.name, arg)
}

func (p *palette) View() string {
	st := p.c.Styles
	width := min(64, max(30, p.c.Width-6))
	p.in.SetWidth(width - 4)
	lines := []string{st.Title.Render("Command"), p.in.View(), ""}
	// As many matches as fit over the screen, the highlighted one in view.
	room := max(min(8, p.c.Height-9), 1)
	first := max(0, min(p.cursor-room+1, len(p.matches)-room))
	for i := first; i < min(first+room, len(p.matches)); i++ {
		name, desc := " "+ui.Safe(p.matches[i]), ""
		if p.descs[i] != "" {
			desc = "  " + p.descs[i]
		}
		if i == p.cursor {
			lines = append(lines, st.Selected.Render(ui.Cell(name+desc, width, false, p.c.Glyphs.Ellipsis)))
		} else {
			lines = append(lines, ansi.Truncate(name+st.Muted.Render(desc), width, p.c.Glyphs.Ellipsis))
		}
	}
	if len(p.matches) == 0 {
		what := "no command matches"
		if p.choosing {
			what = "nothing to complete: enter runs it as typed"
		}
		lines = append(lines, st.Warning.Render(what))
	}
	lines = append(lines, "", st.Muted.Render("enter run "+p.c.Glyphs.Sep+" tab complete "+p.c.Glyphs.Sep+" esc close"))
	return st.Dialog.Render(strings.Join(lines, "\n"))
}
