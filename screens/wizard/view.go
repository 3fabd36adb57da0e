package wizard

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security"
	"github.com/hyper-nixos/hv/security/access"
	feat "github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/security/hostcheck"
	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/vm"
)

func (m *Model) width() int { return max(min(m.c.Width, 100), 30) }

// bodyHeight is what the step's body may take: the screen without the
// heading (two lines) and the note under the body.
func (m *Model) bodyHeight() int { return max(m.c.Height-2-len(m.noteLines()), 3) }

func (m *Model) View() string {
	st := m.c.Styles
	if !m.loaded {
		return st.Title.Render("Setup wizard") + "\n\nReading the host" + m.c.Glyphs.Ellipsis
	}
	body := m.body()
	h := m.bodyHeight()
	m.scroll = max(0, min(m.scroll, len(body)-h))
	shown := body[m.scroll:min(len(body), m.scroll+h)]
	if m.scroll+h < len(body) {
		shown[len(shown)-1] = st.Muted.Render(fmt.Sprintf("%s %d more lines (down, pgdn)", m.c.Glyphs.Ellipsis, len(body)-m.scroll-h+1))
	}
	out := append([]string{m.heading(), ""}, shown...)
	for len(out) < h+2 {
		out = append(out, "")
	}
	return strings.Join(append(out, m.noteLines()...), "\n")
}

// heading is "Setup wizard  3/9 Operators" and the steps as marks: done,
// current, to come (ASCII on a console).
func (m *Model) heading() string {
	st := m.c.Styles
	done, cur, todo := "●", "◉", "○"
	if m.c.Glyphs.Cursor == ">" {
		done, cur, todo = "#", "@", "."
	}
	var marks strings.Builder
	for i := range steps {
		switch {
		case i < m.step || m.staged:
			marks.WriteString(done)
		case i == m.step:
			marks.WriteString(cur)
		default:
			marks.WriteString(todo)
		}
	}
	line := st.Title.Render("Setup wizard") + "  " + st.Bold.Render(fmt.Sprintf("%d/%d %s", m.step+1, len(steps), steps[m.step].title)) +
		"  " + st.Muted.Render(marks.String())
	return ansi.Truncate(line, m.c.Width, m.c.Glyphs.Ellipsis)
}

// noteLines are under the body: why the step cannot go on, else a note
// about the saved progress.
func (m *Model) noteLines() []string {
	st := m.c.Styles
	text := ""
	switch {
	case m.stepErr != "":
		text = st.Danger.Render("Not yet: ") + ui.Safe(m.stepErr)
	case m.note != "":
		text = st.Info.Render(m.note)
	default:
		return nil
	}
	return m.wrap(text)
}

func (m *Model) wrap(text string) []string {
	return strings.Split(lipgloss.NewStyle().Width(m.width()).Render(text), "\n")
}

// hanging wraps text indented by n on every line.
func (m *Model) hanging(text string, n int) []string {
	lines := strings.Split(lipgloss.NewStyle().Width(m.width()-n).Render(text), "\n")
	for i := range lines {
		lines[i] = strings.Repeat(" ", n) + lines[i]
	}
	return lines
}

// hangingFirst wraps text with its first line flush and the rest indented by n.
func (m *Model) hangingFirst(text string, n int) []string {
	first := m.wrap(text)
	if len(first) <= 1 {
		return first
	}
	// Re-wrap what follows the first line, indented under it.
	head := first[0]
	w := ansi.StringWidth(strings.TrimRight(ansi.Strip(head), " ")) // lipgloss pads the line
	tail := ansi.Cut(text, w, ansi.StringWidth(text))
	for strings.HasPrefix(ansi.Strip(tail), " ") {
		tail = ansi.Cut(tail, 1, ansi.StringWidth(tail))
	}
	return append([]string{head}, m.hanging(tail, n)...)
}

// words wraps parts joined by spaces, breaking only between parts (ids
// such as cpu-mitigations-full stay whole).
func (m *Model) words(lead string, parts []string) []string {
	var lines []string
	line := lead
	for _, p := range parts {
		if lipgloss.Width(line)+1+lipgloss.Width(p) > m.width() && lipgloss.Width(line) > 0 {
			lines = append(lines, line)
			line = "  " + p
			continue
		}
		if line != "" {
			line += " "
		}
		line += p
	}
	return append(lines, line)
}

func (m *Model) body() []string {
	var lines []string
	switch steps[m.step].id {
	case stepWelcome:
		lines = m.welcome()
	case stepChecks:
		lines = m.checks()
	case stepOperators:
		lines = m.operators()
	case stepNetwork:
		lines = m.network()
	case stepStorage:
		lines = m.storage()
	case stepPreset:
		lines = m.preset()
	case stepReview:
		lines = m.review()
	case stepPhase:
		lines = m.phaseStep()
	case stepSummary:
		lines = m.summary()
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, m.c.Width, m.c.Glyphs.Ellipsis)
	}
	return lines
}

// fieldLines draws the step's visible fields.
func (m *Model) fieldLines() []string {
	vis := m.visibleFields()
	labelWidth := 0
	for _, f := range vis {
		labelWidth = max(labelWidth, len(f.label))
	}
	var out []string
	for i, f := range vis {
		for _, l := range f.view(m.c, labelWidth, m.width(), i == m.focus) {
			out = append(out, m.wrapIndented(l, labelWidth+2)...)
		}
	}
	return out
}

// wrapIndented wraps a field's line, continuing under its value.
func (m *Model) wrapIndented(l string, indent int) []string {
	if lipgloss.Width(l) <= m.width() {
		return []string{l}
	}
	lines := strings.Split(lipgloss.NewStyle().Width(m.width()-indent).Render(strings.TrimLeft(l, " ")), "\n")
	pad := strings.Repeat(" ", indent)
	if strings.HasPrefix(l, " ") {
		lines[0] = pad + lines[0]
	}
	for i := 1; i < len(lines); i++ {
		lines[i] = pad + lines[i]
	}
	return lines
}

// explain is a paragraph for beginners and intermediates; experts get
// only the fields.
func (m *Model) explain(text string) []string {
	if m.c.Level == help.Expert {
		return nil
	}
	return append(m.wrap(m.c.Styles.Muted.Render(text)), "")
}

func (m *Model) welcome() []string {
	st := m.c.Styles
	lines := m.wrap("Welcome to Hyper-NixOS. This wizard sets up this host in " + fmt.Sprint(len(steps)) + " steps: it checks the hardware, " +
		"then asks who operates the host, how VMs reach the network, where their disks live, which features to start with and how " +
		"strict to be. Nothing changes until the last step, which shows the host file it will write.")
	lines = append(lines, "")
	lines = append(lines, m.fieldLines()...)
	if lvl, err := help.ParseLevel(m.fields[stepWelcome][0].value()); err == nil {
		lines = append(lines, m.hanging(st.Muted.Render(lvl.Describe()+"; :level changes it later"), 12)...)
	}
	lines = append(lines, "")
	switch {
	case m.baseErr != nil:
		lines = append(lines, m.wrap(st.Warning.Render("The host file cannot be read: ")+ui.Safe(m.baseErr.Error())+
			". The wizard starts from a new one; hv never overwrites a file it cannot read.")...)
	case m.fresh:
		lines = append(lines, m.wrap("This host has no host file yet: the wizard writes its first one.")...)
	default:
		from := "applied"
		if m.state.HasStaged() {
			from = "staged (not applied yet)"
		}
		lines = append(lines, m.wrap(fmt.Sprintf("Starting from the %s host file: phase %s, %d features. Your answers replace its choices; its other settings stay.",
			from, m.base.Phase, len(m.base.Features)))...)
	}
	lines = append(lines, "")
	lines = append(lines, m.wrap(st.Muted.Render("enter goes on, esc goes back; answers are saved after each step ("+keys.StartOver.Help().Key+" begins again)."))...)
	return lines
}

func (m *Model) checks() []string {
	st := m.c.Styles
	lines := m.explain("What this machine can do for VMs, in plain words. A problem does not stop the wizard: VMs still work, " +
		"slower or with fewer devices; the fix says what to change.")
	var checks []hostcheck.Check
	switch {
	case m.report != nil:
		for _, c := range m.report.Host {
			if c.ID != "disk" {
				checks = append(checks, c)
			}
		}
	case m.checking:
		return append(lines, "Checking the host"+m.c.Glyphs.Ellipsis)
	case m.reportErr != nil:
		lines = append(lines, st.Danger.Render("The checks failed: ")+ui.Safe(m.reportErr.Error()), "")
	default:
		lines = append(lines, st.Muted.Render("hv cannot check this host from here (no probe of libvirt)."), "")
	}
	if m.disk.ID != "" {
		checks = append(checks, m.disk)
	}
	for _, c := range checks {
		lines = append(lines, m.checkLines(c)...)
	}
	if m.report != nil {
		lines = append(lines, "", st.Header.Render("YOU"))
		for _, c := range m.report.Capabilities {
			if c.ID == access.ManageVMs || c.ID == access.StageHost || c.ID == access.ApplyHost {
				mark := st.Success.Render("yes")
				if !c.Can {
					mark = st.Danger.Render("no ")
				}
				lines = append(lines, m.hangingFirst(mark+" "+c.What+st.Muted.Render(": "+c.Why), 4)...)
				if !c.Can && c.Fix != "" {
					lines = append(lines, m.hanging(st.Key.Render("fix: ")+ui.Safe(c.Fix), 4)...)
				}
			}
		}
	}
	return lines
}

func (m *Model) checkLines(c hostcheck.Check) []string {
	st := m.c.Styles
	style := map[hostcheck.Status]lipgloss.Style{hostcheck.OK: st.Success, hostcheck.Warn: st.Warning, hostcheck.Fail: st.Danger, hostcheck.Unknown: st.Muted}[c.Status]
	mark := style.Render(fmt.Sprintf("[%s]", map[hostcheck.Status]string{hostcheck.OK: "ok", hostcheck.Warn: "!!", hostcheck.Fail: "no", hostcheck.Unknown: "??"}[c.Status]))
	lines := m.hangingFirst(mark+" "+st.Bold.Render(c.Title)+": "+ui.Safe(c.Found), 5)
	text := c.Means
	if c.Fix != "" && c.Status != hostcheck.OK {
		text += "; fix: " + c.Fix
	}
	for _, l := range strings.Split(lipgloss.NewStyle().Width(m.width()-5).Render(st.Muted.Render(ui.Safe(text))), "\n") {
		lines = append(lines, "     "+l)
	}
	return lines
}

func (m *Model) operators() []string {
	lines := m.explain("Operators manage VMs without sudo, through the hv daemon, and may stage host changes it applies as root. " +
		"The daemon checks each action against the phase and keeps disks in approved pools; still, operators run this host's VMs: name only people you trust.")
	return append(lines, m.fieldLines()...)
}

func (m *Model) network() []string {
	st := m.c.Styles
	lines := m.explain("How VMs reach the network. You can add networks later in Networks (7).")
	lines = append(lines, m.fieldLines()...)
	mode := m.fields[stepNetwork][0].value()
	what := map[string]string{
		NAT:      "VMs share the host's address to reach out; nothing reaches them from outside unless you forward it.",
		Bridge:   "VMs join the physical network through the uplink, like any machine on it: reachable from it, and able to reach it.",
		Isolated: "VMs reach each other and the host only: no way out.",
	}[mode]
	f, _ := m.cat.Feature(networkFeature[mode])
	lines = append(lines, "")
	lines = append(lines, m.wrap(what+" Feature "+f.ID+" "+m.c.RiskBadge(f.Risk)+".")...)
	if mode == Bridge {
		for _, in := range m.ifaces {
			if in.Name == m.fields[stepNetwork][1].value() {
				kind := "physical"
				if !in.Physical {
					kind = "virtual"
				}
				lines = append(lines, st.Muted.Render(fmt.Sprintf("%s: %s, %s, %s", in.Name, kind, orDash(in.State), orDash(in.MAC))))
			}
		}
	}
	return lines
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (m *Model) storage() []string {
	lines := m.explain("Where VM disk images live: a directory libvirt manages as a storage pool (feature dir-pool). " +
		"Put it on a disk with room for your VMs.")
	lines = append(lines, m.fieldLines()...)
	lines = append(lines, "")
	if m.disk.ID != "" {
		lines = append(lines, m.checkLines(m.disk)...)
	}
	return lines
}

func (m *Model) preset() []string {
	st := m.c.Styles
	lines := m.explain("A starting selection of host features by how much risk you accept. The network and storage you chose " +
		"are added to it. You can turn features on and off one by one later in Features (2).")
	lines = append(lines, m.fieldLines()...)
	lines = append(lines, "")
	id := m.fields[stepPreset][0].value()
	if p, ok := m.cat.Preset(id); ok {
		s := m.cat.Score(m.cat.Resolve(p.Features, p.Phase).Enabled)
		lines = append(lines, st.Bold.Render(p.Name)+st.Muted.Render(fmt.Sprintf(" %s %d features %s risk %d, at most ", m.c.Glyphs.Sep, len(p.Features), m.c.Glyphs.Sep, s.Total))+
			m.c.RiskBadge(p.MaxRisk)+st.Muted.Render(" "+m.c.Glyphs.Sep+" phase "+p.Phase))
		lines = append(lines, m.wrap(p.Description)...)
	} else {
		lines = append(lines, m.wrap(fmt.Sprintf("Keeps the %d features of the current host file.", len(m.base.Features)))...)
	}
	return lines
}

func (m *Model) review() []string {
	st := m.c.Styles
	d := m.draft()
	r := m.cat.Resolve(d.Features, d.Phase)
	s := m.cat.Score(r.Enabled)
	sep := st.Muted.Render(" " + m.c.Glyphs.Sep + " ")
	lines := m.explain("The features this host will run, and their risk: each adds points by its risk level " +
		"(minimal 0, low 1, medium 3, high 6, critical 10); hardening adds none. The lower the better.")
	lines = append(lines, fmt.Sprintf("%d features on", s.Features)+sep+fmt.Sprintf("risk %d, highest ", s.Total)+m.c.RiskBadge(s.Highest)+
		sep+fmt.Sprintf("%d hardening", s.Hardening)+sep+"phase "+d.Phase)
	lines = append(lines, "")
	for _, cat := range m.cat.Categories() {
		cs := s.Category(cat.ID)
		if cs.Features == 0 {
			continue
		}
		pts := fmt.Sprintf("%3d pts", cs.Points)
		if cat.ID == "hardening" {
			pts = "   none"
		}
		lines = append(lines, fmt.Sprintf(" %-15s %2d on %s  ", cat.Name, cs.Features, pts)+m.c.PaddedRiskBadge(cs.Highest)+" "+riskBar(cs.Points))
	}
	if !m.fresh {
		ch := m.cat.Diff(m.cat.Resolve(m.running().Features, m.running().Phase), r)
		if !ch.Empty() {
			lines = append(lines, "")
			lines = append(lines, m.words(st.Header.Render("Changes"), m.changes(ch))...)
		}
	}
	if check := m.cat.CheckHost(d); !check.OK() {
		lines = append(lines, "")
		for _, p := range check.Problems {
			lines = append(lines, m.wrap(st.Danger.Render("problem: ")+ui.Safe(p.Message))...)
		}
	}
	lines = append(lines, "", st.Header.Render("FEATURES")+st.Muted.Render(" riskiest first; [+] on because another needs it"))
	for _, risk := range []security.Risk{security.Critical, security.High, security.Medium, security.Low, security.Minimal} {
		for _, id := range r.Enabled {
			f, ok := m.cat.Feature(id)
			if !ok || f.Risk != risk {
				continue
			}
			box := "[x]"
			if !r.IsSelected(id) {
				box = "[+]"
			}
			lines = append(lines, " "+m.c.PaddedRiskBadge(f.Risk)+" "+box+" "+f.Name+st.Muted.Render(" ("+f.ID+")"))
		}
	}
	return lines
}

// riskBar draws points as a bar, one mark a point, that reads without colour.
func riskBar(points int) string { return strings.Repeat("#", min(points, 30)) }

// changes are the parts of a change: the risk, then what changes.
func (m *Model) changes(ch *feat.Change) []string {
	return append([]string{fmt.Sprintf("risk %d %s %d:", ch.ScoreBefore.Total, m.c.RightArrow(), ch.ScoreAfter.Total)}, m.c.ChangeParts(ch)...)
}

func (m *Model) phaseStep() []string {
	st := m.c.Styles
	lines := m.explain("Setup is permissive: dangerous actions are allowed after confirmation. Hardened is for production: " +
		"what exposes the host, deletes data in one step or hits many VMs at once is refused, and only root can leave it.")
	lines = append(lines, m.fieldLines()...)
	chosen := phase.Of(m.fields[stepPhase][0].value())
	if p, ok := m.cat.Phase(string(chosen)); ok {
		lines = append(lines, "")
		lines = append(lines, m.wrap(p.Description)...)
	}
	if chosen != phase.Hardened {
		return lines
	}
	lines = append(lines, "", st.Header.Render("REFUSED TO OPERATORS FROM THEN ON"))
	for _, r := range phase.Stricter() {
		if r.Hardened.Refused() {
			lines = append(lines, " "+m.c.Glyphs.Arrow+" "+r.What)
		}
	}
	if p, ok := m.cat.Phase(string(phase.Hardened)); ok && len(p.Effects) > 0 {
		lines = append(lines, "", st.Header.Render("THE PHASE ALSO SETS, ON NIXOS"))
		for _, e := range p.Effects {
			lines = append(lines, m.hangingFirst(" "+m.c.Glyphs.Arrow+" "+e, 3)...)
		}
	}
	if phase.Of(m.running().Phase) == phase.Hardened {
		return lines
	}
	lines = append(lines, "", st.Header.Render("BEFORE HARDENING"))
	for _, c := range m.hardenChecks() {
		mark := st.Success.Render("[ok]")
		if !c.OK {
			mark = st.Danger.Render("[no]")
		}
		lines = append(lines, m.hangingFirst(mark+" "+c.Name+st.Muted.Render(": "+ui.Safe(c.Detail)), 5)...)
		if !c.OK {
			lines = append(lines, m.hanging(st.Key.Render("fix: ")+c.Fix, 5)...)
		}
	}
	return lines
}

func (m *Model) summary() []string {
	st := m.c.Styles
	d := m.draft()
	d.Meta = nix.Meta{Updated: m.c.Now().UTC().Format("2006-01-02T15:04:05Z"), UpdatedBy: m.c.User}
	after, err := nix.EncodeHost(d)
	if err != nil {
		return []string{st.Danger.Render(err.Error())}
	}
	var before []byte
	against := "A new host file: nothing to compare with."
	switch {
	case m.state.HasStaged():
		before, _ = nix.EncodeHost(m.state.Staged)
		against = "Against the staged host file " + m.opts.Paths.Staged + ":"
	case m.state.Applied != nil:
		before, _ = nix.EncodeHost(m.state.Applied)
		against = "Against the applied host file " + m.opts.Paths.Host + ":"
	}
	var lines []string
	lines = append(lines, m.resultLines()...)
	lines = append(lines, st.Header.Render("THE HOST FILE"))
	lines = append(lines, m.wrap(st.Muted.Render(against))...)
	lines = append(lines, m.diffView(string(before), string(after))...)
	lines = append(lines, "", st.Header.Render("HOW IT IS APPLIED"))
	lines = append(lines, m.howApplied()...)
	return lines
}

// diffView shows the diff with up to two unchanged lines around changes.
func (m *Model) diffView(before, after string) []string {
	st := m.c.Styles
	diff := diffLines(before, after)
	near := func(i int) bool {
		for j := max(0, i-2); j <= min(len(diff)-1, i+2); j++ {
			if diff[j].op != ' ' {
				return true
			}
		}
		return false
	}
	var out []string
	skipped := 0
	flush := func() {
		if skipped > 0 {
			out = append(out, st.Muted.Render(fmt.Sprintf("  %s %d unchanged lines", m.c.Glyphs.Ellipsis, skipped)))
			skipped = 0
		}
	}
	for i, l := range diff {
		text := ui.Safe(l.text)
		switch {
		case l.op == '+':
			flush()
			out = append(out, st.Success.Render("+ "+text))
		case l.op == '-':
			flush()
			out = append(out, st.Danger.Render("- "+text))
		case before == "" || near(i):
			flush()
			out = append(out, st.Muted.Render("  "+text))
		default:
			skipped++
		}
	}
	flush()
	return out
}

func (m *Model) howApplied() []string {
	p := m.opts.Paths
	var lines []string
	if !m.opts.Applies {
		lines = append(lines, m.wrap("This demo has no apply service: the file is only staged, in "+p.Staged+".")...)
		return lines
	}
	for i, step := range nix.ApplySteps(p) {
		lines = append(lines, m.wrap(fmt.Sprintf("%d. %s", i+1, step))...)
	}
	lines = append(lines, "")
	lines = append(lines, m.wrap(m.c.Styles.Muted.Render("Without the service (NixOS without services.hyper-nixos yet), root applies it the same way:"))...)
	return append(lines, m.words("", strings.Fields(m.rootCommand()))...)
}

// rootCommand is what the apply service runs, for root to run by hand.
func (m *Model) rootCommand() string {
	p := m.opts.Paths
	return "hv apply --staged " + p.Staged + " --install /etc/nixos/hyper-nixos/host.toml --result " + p.Result + " -- nixos-rebuild switch"
}

// resultLines say what happened once enter was pressed.
func (m *Model) resultLines() []string {
	st := m.c.Styles
	var lines []string
	switch {
	case m.writing:
		lines = append(lines, "Staging the host file"+m.c.Glyphs.Ellipsis)
	case !m.staged && m.writeErr != nil:
		lines = append(lines, m.wrap(st.Danger.Render("Not staged: ")+ui.Safe(m.writeErr.Error()))...)
		if fix := vm.Fix(m.writeErr); fix != "" {
			lines = append(lines, m.wrap(st.Key.Render("fix: ")+ui.Safe(fix))...)
		}
	case !m.staged:
		return append(m.wrap(st.Bold.Render("Press enter to write this host file and apply it.")+st.Muted.Render(" Nothing has changed yet.")), "")
	default:
		lines = append(lines, m.wrap(st.Success.Render("Staged")+" in "+m.opts.Paths.Staged+".")...)
		switch {
		case m.watch.Running:
			lines = append(lines, st.Info.Render(nix.ApplyUnit+" is applying it"+m.c.Glyphs.Ellipsis))
		case m.result != nil && m.result.OK():
			lines = append(lines, m.wrap(st.Success.Render("Applied: ")+m.result.Message+". The wizard is done.")...)
		case m.result != nil:
			lines = append(lines, m.wrap(st.Danger.Render("Apply "+m.result.Status+": ")+ui.Safe(m.result.Message))...)
			for _, p := range m.result.Problems {
				lines = append(lines, m.wrap("  "+ui.Safe(p))...)
			}
		case m.writeErr != nil:
			lines = append(lines, m.wrap(st.Warning.Render("The apply service did not start: ")+ui.Safe(m.writeErr.Error()))...)
			lines = append(lines, "As root, apply it with:")
			lines = append(lines, m.words("", strings.Fields(m.rootCommand()))...)
		case !m.opts.Applies:
			lines = append(lines, m.wrap("This demo has no apply service: the file stays staged. The wizard is done.")...)
		}
	}
	return append(lines, "")
}
