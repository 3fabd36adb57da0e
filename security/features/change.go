package features

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hyper-nixos/hv/nix"
)

// Change compares two resolutions: what turns on and off, and why, and
// the risk score before and after. It is what the screen shows before a
// toggle or an apply, and what 'hv features enable --dry-run' prints.
type Change struct {
	Before, After *Resolution
	TurnedOn      []string
	TurnedOff     []string
	// Why gives, for each feature in TurnedOn and TurnedOff, the reason in
	// a few words: "you turned it on", "required by "b"", "it needs "a",
	// which you turned off", "nothing requires it any more".
	Why         map[string]string
	ScoreBefore Score
	ScoreAfter  Score
}

// Empty reports whether nothing changes, the phase included.
func (ch *Change) Empty() bool {
	return len(ch.TurnedOn) == 0 && len(ch.TurnedOff) == 0 && ch.Before.Phase == ch.After.Phase
}

// Others are the features that change besides the ones asked for.
func (ch *Change) Others(asked ...string) []string {
	var out []string
	for _, id := range append(slices.Clone(ch.TurnedOn), ch.TurnedOff...) {
		if !contains(asked, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Summary is the change in one line, for logs: "phase setup->hardened +a -b".
func (ch *Change) Summary() string {
	var parts []string
	if ch.Before.Phase != ch.After.Phase {
		parts = append(parts, "phase "+ch.Before.Phase+"->"+ch.After.Phase)
	}
	for _, id := range ch.TurnedOn {
		parts = append(parts, "+"+id)
	}
	for _, id := range ch.TurnedOff {
		parts = append(parts, "-"+id)
	}
	return strings.Join(parts, " ")
}

// Explain is one line per feature that changes, turned on first.
func (ch *Change) Explain() []string {
	var lines []string
	for _, id := range ch.TurnedOn {
		lines = append(lines, fmt.Sprintf("+ %s: %s", id, ch.Why[id]))
	}
	for _, id := range ch.TurnedOff {
		lines = append(lines, fmt.Sprintf("- %s: %s", id, ch.Why[id]))
	}
	return lines
}

// Diff compares two resolutions; asked are the ids the operator acted on.
func (c *Catalog) Diff(before, after *Resolution, asked ...string) *Change {
	ch := &Change{Before: before, After: after, Why: map[string]string{},
		ScoreBefore: c.Score(before.Enabled), ScoreAfter: c.Score(after.Enabled)}
	for _, id := range after.Enabled {
		if !before.IsOn(id) {
			ch.TurnedOn = append(ch.TurnedOn, id)
			switch {
			case contains(asked, id):
				ch.Why[id] = "you turned it on"
			case after.IsSelected(id):
				ch.Why[id] = "selected"
			default:
				ch.Why[id] = "required by " + quoted(after.RequiredBy[id])
			}
		}
	}
	for _, id := range before.Enabled {
		if after.IsOn(id) {
			continue
		}
		ch.TurnedOff = append(ch.TurnedOff, id)
		switch {
		case contains(asked, id):
			ch.Why[id] = "you turned it off"
		case before.IsSelected(id):
			ch.Why[id] = c.whyCascade(id, after, asked)
		default:
			ch.Why[id] = "nothing requires it any more"
		}
	}
	return ch
}

// whyCascade explains why a selected feature went off although nobody
// asked: it needs one that did, or the new selection (a preset) leaves it out.
func (c *Catalog) whyCascade(id string, after *Resolution, asked []string) string {
	var byYou []string
	for _, req := range c.Closure(id) {
		if req != id && !after.IsOn(req) && contains(asked, req) {
			byYou = append(byYou, req)
		}
	}
	if len(byYou) > 0 {
		return "it needs " + quoted(byYou) + ", which you turned off"
	}
	return "no longer selected"
}

// Enable plans turning ids on: they join the selection, with whatever they
// require. The result may have problems (a conflict, a phase limit): show
// them rather than apply.
func (c *Catalog) Enable(r *Resolution, ids ...string) *Change {
	return c.Diff(r, c.Resolve(append(slices.Clone(r.Selected), ids...), r.Phase), ids...)
}

// Disable plans turning ids off. A feature that is on only because others
// require it goes off with them: every selected feature that needs one of
// ids, directly or not, leaves the selection too.
func (c *Catalog) Disable(r *Resolution, ids ...string) *Change {
	var keep []string
	for _, s := range r.Selected {
		needsOne := slices.ContainsFunc(c.Closure(s), func(x string) bool { return contains(ids, x) })
		if !needsOne {
			keep = append(keep, s)
		}
	}
	return c.Diff(r, c.Resolve(keep, r.Phase), ids...)
}

// Toggle plans turning id off if it is on, else on.
func (c *Catalog) Toggle(r *Resolution, id string) *Change {
	if r.IsOn(id) {
		return c.Disable(r, id)
	}
	return c.Enable(r, id)
}

// WithPhase plans moving the same selection to another phase.
func (c *Catalog) WithPhase(r *Resolution, phase string) *Change {
	return c.Diff(r, c.Resolve(r.Selected, phase))
}

// ApplyPreset plans replacing the selection and phase with a preset's.
func (c *Catalog) ApplyPreset(r *Resolution, id string) (*Change, error) {
	p, ok := c.Preset(id)
	if !ok {
		return nil, fmt.Errorf("unknown preset %q: the presets are %s", id, quoted(c.presetIDs()))
	}
	return c.Diff(r, c.Resolve(p.Features, p.Phase)), nil
}

func (c *Catalog) presetIDs() []string {
	ids := make([]string, len(c.presets))
	for i, p := range c.presets {
		ids[i] = p.ID
	}
	return ids
}

// Stage turns a planned change into the host file to stage: h with the
// change's selection and phase, and the full check of it (the same check
// the apply service makes). Stage only when the check is OK.
func (c *Catalog) Stage(h *nix.Host, ch *Change) (*nix.Host, *Resolution) {
	next := *h
	next.Phase = ch.After.Phase
	next.Features = slices.Clone(ch.After.Selected)
	if next.Features == nil {
		next.Features = []string{}
	}
	return &next, c.CheckHost(&next)
}
