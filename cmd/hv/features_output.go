package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hyper-nixos/hv/nix"
	"github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/ui/termsafe"
)

// The JSON shapes of 'hv features'; documented in nix/README.md.
type (
	featureJSON struct {
		ID        string   `json:"id"`
		Name      string   `json:"name"`
		Category  string   `json:"category"`
		Risk      string   `json:"risk"`
		State     string   `json:"state,omitempty"` // on, required, off; absent without a host file
		Why       string   `json:"why,omitempty"`
		Requires  []string `json:"requires"`
		Conflicts []string `json:"conflicts"`
		Phases    []string `json:"phases"`
	}
	featureDetailJSON struct {
		featureJSON
		Points      int      `json:"points"`
		Description string   `json:"description"`
		Impact      string   `json:"impact"`
		Caveat      string   `json:"caveat,omitempty"`
		RequiredBy  []string `json:"required_by"`
		Needs       []string `json:"needs"`
		Settings    []string `json:"nixos_settings"`
	}
	changedJSON struct {
		ID  string `json:"id"`
		Why string `json:"why"`
	}
	changeJSON struct {
		PhaseBefore string             `json:"phase_before"`
		PhaseAfter  string             `json:"phase_after"`
		TurnedOn    []changedJSON      `json:"turned_on"`
		TurnedOff   []changedJSON      `json:"turned_off"`
		ScoreBefore scoreJSON          `json:"score_before"`
		ScoreAfter  scoreJSON          `json:"score_after"`
		Problems    []features.Problem `json:"problems"`
		Staged      bool               `json:"staged"`
		Path        string             `json:"path"`
	}
	scoreJSON struct {
		Total      int                 `json:"total"`
		Highest    string              `json:"highest"`
		Features   int                 `json:"features"`
		Hardening  int                 `json:"hardening"`
		ByCategory []categoryScoreJSON `json:"by_category"`
	}
	categoryScoreJSON struct {
		Category string `json:"category"`
		Points   int    `json:"points"`
		Features int    `json:"features"`
		Highest  string `json:"highest"`
	}
	selectionJSON struct {
		Phase    string   `json:"phase"`
		Features []string `json:"features"`
		Score    int      `json:"score"`
		By       string   `json:"updated_by"`
		At       string   `json:"updated"`
	}
	statusJSON struct {
		Paths        nix.Paths        `json:"paths"`
		Applied      *selectionJSON   `json:"applied"`
		AppliedError string           `json:"applied_error,omitempty"`
		Staged       *selectionJSON   `json:"staged"`
		StagedError  string           `json:"staged_error,omitempty"`
		Pending      *changeJSON      `json:"pending,omitempty"` // staged against applied
		LastApply    *nix.ApplyResult `json:"last_apply"`
	}
	checkJSON struct {
		File     string             `json:"file"`
		OK       bool               `json:"ok"`
		Enabled  []string           `json:"enabled"`
		Problems []features.Problem `json:"problems"`
	}
)

// stateOf is a feature's state in r: on, required, off; "" without r.
func stateOf(r *features.Resolution, id string) string {
	switch {
	case r == nil:
		return ""
	case r.IsSelected(id):
		return "on"
	case r.IsOn(id):
		return "required"
	}
	return "off"
}

func featureRow(f *features.Feature, r *features.Resolution) featureJSON {
	row := featureJSON{ID: f.ID, Name: f.Name, Category: f.Category, Risk: f.Risk.String(), State: stateOf(r, f.ID),
		Requires: orEmpty(f.Requires), Conflicts: orEmpty(f.Conflicts), Phases: orEmpty(f.Phases)}
	if r != nil {
		row.Why = r.Why(f.ID)
	}
	return row
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func featureRows(c *features.Catalog, r *features.Resolution, category string) []featureJSON {
	rows := []featureJSON{}
	for _, f := range c.Features() {
		if category == "" || f.Category == category {
			rows = append(rows, featureRow(f, r))
		}
	}
	return rows
}

func writeFeatureTable(w io.Writer, rows []featureJSON, withState bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if withState {
		fmt.Fprintln(tw, "ID\tCATEGORY\tRISK\tSTATE\tNAME")
	} else {
		fmt.Fprintln(tw, "ID\tCATEGORY\tRISK\tNAME")
	}
	for _, r := range rows {
		if withState {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Category, strings.ToUpper(r.Risk), r.State, r.Name)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Category, strings.ToUpper(r.Risk), r.Name)
		}
	}
	return tw.Flush()
}

func featureDetail(c *features.Catalog, f *features.Feature, r *features.Resolution) featureDetailJSON {
	return featureDetailJSON{featureJSON: featureRow(f, r), Points: c.Points(f.Risk), Description: f.Description,
		Impact: f.Impact, Caveat: f.Caveat, RequiredBy: orEmpty(c.RequiredBy(f.ID)), Needs: orEmpty(f.Needs), Settings: orEmpty(f.Settings)}
}

func writeFeatureDetail(w io.Writer, c *features.Catalog, f *features.Feature, r *features.Resolution) error {
	d := featureDetail(c, f, r)
	fmt.Fprintf(w, "%s (%s)\n\n", f.Name, f.ID)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("Category", c.CategoryName(f.Category))
	row("Risk", fmt.Sprintf("%s (%d points)", f.Risk.Label(), d.Points))
	if r != nil {
		row("State", r.Why(f.ID))
	}
	row("Phases", strings.Join(f.Phases, ", "))
	row("Requires", listOrNone(f.Requires))
	row("Required by", listOrNone(d.RequiredBy))
	row("Conflicts with", listOrNone(c.ConflictsOf(f.ID)))
	row("Needs", listOrNone(f.Needs))
	row("NixOS settings", strings.Join(f.Settings, ", "))
	tw.Flush()
	fmt.Fprintf(w, "\nWhat it does\n%s\n\nSecurity impact\n%s\n", indentWrap(f.Description), indentWrap(f.Impact))
	if f.Caveat != "" {
		fmt.Fprintf(w, "\nCaveat\n%s\n", indentWrap(f.Caveat))
	}
	return nil
}

func listOrNone(ids []string) string {
	if len(ids) == 0 {
		return "-"
	}
	return strings.Join(ids, ", ")
}

func joinIDs(ids []string) string { return strings.Join(ids, ", ") }

// indentWrap wraps text at 76 columns, indented by two.
func indentWrap(text string) string {
	var lines []string
	line := " "
	for _, word := range strings.Fields(text) {
		if len(line)+1+len(word) > 78 {
			lines = append(lines, line)
			line = " "
		}
		line += " " + word
	}
	return strings.Join(append(lines, line), "\n")
}

func scoreOf(c *features.Catalog, s features.Score) scoreJSON {
	out := scoreJSON{Total: s.Total, Highest: s.Highest.String(), Features: s.Features, Hardening: s.Hardening}
	for _, cs := range s.ByCategory {
		out.ByCategory = append(out.ByCategory, categoryScoreJSON{cs.Category, cs.Points, cs.Features, cs.Highest.String()})
	}
	return out
}

func writeScore(w io.Writer, c *features.Catalog, s features.Score, label string) error {
	fmt.Fprintf(w, "%s: risk %d (highest %s), %d features on, %d of them hardening\n\n", label, s.Total, s.Highest.Label(), s.Features, s.Hardening)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CATEGORY\tPOINTS\tFEATURES\tHIGHEST")
	for _, cs := range s.ByCategory {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", cs.Category, cs.Points, cs.Features, cs.Highest.Label())
	}
	return tw.Flush()
}

func changeReport(c *features.Catalog, ch *features.Change, check *features.Resolution, path string) changeJSON {
	out := changeJSON{PhaseBefore: ch.Before.Phase, PhaseAfter: ch.After.Phase, TurnedOn: []changedJSON{}, TurnedOff: []changedJSON{},
		ScoreBefore: scoreOf(c, ch.ScoreBefore), ScoreAfter: scoreOf(c, ch.ScoreAfter), Problems: check.Problems, Path: path}
	for _, id := range ch.TurnedOn {
		out.TurnedOn = append(out.TurnedOn, changedJSON{id, ch.Why[id]})
	}
	for _, id := range ch.TurnedOff {
		out.TurnedOff = append(out.TurnedOff, changedJSON{id, ch.Why[id]})
	}
	if out.Problems == nil {
		out.Problems = []features.Problem{}
	}
	return out
}

// scoreDiff is "risk 12 -> 18 (+6): virtualisation +6".
func scoreDiff(before, after scoreJSON) string {
	line := fmt.Sprintf("risk %d -> %d (%+d)", before.Total, after.Total, after.Total-before.Total)
	var parts []string
	for i, cs := range after.ByCategory {
		if d := cs.Points - before.ByCategory[i].Points; d != 0 {
			parts = append(parts, fmt.Sprintf("%s %+d", cs.Category, d))
		}
	}
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	return line
}

// writeChange prints a change, then footer unless it has problems.
func writeChange(w io.Writer, r changeJSON, footer string) {
	if r.PhaseBefore != r.PhaseAfter {
		fmt.Fprintf(w, "phase %s -> %s\n", r.PhaseBefore, r.PhaseAfter)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range r.TurnedOn {
		fmt.Fprintf(tw, "+ %s\t%s\n", c.ID, c.Why)
	}
	for _, c := range r.TurnedOff {
		fmt.Fprintf(tw, "- %s\t%s\n", c.ID, c.Why)
	}
	tw.Flush()
	if len(r.TurnedOn)+len(r.TurnedOff) == 0 && r.PhaseBefore == r.PhaseAfter {
		fmt.Fprintln(w, "nothing changes")
		return
	}
	fmt.Fprintln(w, scoreDiff(r.ScoreBefore, r.ScoreAfter))
	for _, p := range r.Problems {
		fmt.Fprintln(w, "problem: "+termsafe.String(p.Message))
	}
	if len(r.Problems) == 0 && footer != "" {
		fmt.Fprintln(w, footer)
	}
}

func hostSelection(c *features.Catalog, h *nix.Host) *selectionJSON {
	if h == nil {
		return nil
	}
	r := c.Resolve(h.Features, h.Phase)
	return &selectionJSON{Phase: h.Phase, Features: orEmpty(h.Features), Score: c.Score(r.Enabled).Total,
		By: h.Meta.UpdatedBy, At: h.Meta.Updated}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func statusOf(c *features.Catalog, st *nix.State) statusJSON {
	out := statusJSON{Paths: st.Paths, Applied: hostSelection(c, st.Applied), AppliedError: errText(st.AppliedErr),
		Staged: hostSelection(c, st.Staged), StagedError: errText(st.StagedErr), LastApply: st.Result}
	if st.Applied != nil && st.Staged != nil {
		before := c.Resolve(st.Applied.Features, st.Applied.Phase)
		after := c.Resolve(st.Staged.Features, st.Staged.Phase)
		report := changeReport(c, c.Diff(before, after), c.CheckHost(st.Staged), st.Paths.Staged)
		out.Pending = &report
	}
	return out
}

func writeStatus(w io.Writer, s statusJSON) {
	switch {
	case s.Applied != nil:
		fmt.Fprintf(w, "applied: phase %s, %d features selected, risk %d (%s)\n", s.Applied.Phase, len(s.Applied.Features), s.Applied.Score, s.Paths.Host)
	default:
		fmt.Fprintf(w, "applied: %s\n", termsafe.String(s.AppliedError))
	}
	switch {
	case s.StagedError != "":
		fmt.Fprintf(w, "staged: %s\n", termsafe.String(s.StagedError))
	case s.Staged == nil:
		fmt.Fprintln(w, "staged: nothing")
	case s.Pending != nil:
		fmt.Fprintf(w, "staged by %s at %s, not applied yet (%s):\n", termsafe.String(s.Staged.By), s.Staged.At, s.Paths.Staged)
		writeChange(w, *s.Pending, "apply with 'hv features apply'")
	default:
		fmt.Fprintf(w, "staged: phase %s, %d features (%s)\n", s.Staged.Phase, len(s.Staged.Features), s.Paths.Staged)
	}
	if r := s.LastApply; r != nil {
		fmt.Fprintf(w, "last apply: %s at %s: %s\n", r.Status, r.Finished, termsafe.String(r.Message))
		for _, p := range r.Problems {
			fmt.Fprintln(w, "  "+termsafe.String(p))
		}
		if !r.OK() && len(r.Output) > 0 {
			fmt.Fprintln(w, "  last lines of the rebuild:")
			for _, l := range r.Output[max(0, len(r.Output)-10):] {
				fmt.Fprintln(w, "    "+termsafe.String(l))
			}
		}
	} else {
		fmt.Fprintln(w, "last apply: none yet")
	}
}

func checkOf(path string, r *features.Resolution) checkJSON {
	ps := r.Problems
	if ps == nil {
		ps = []features.Problem{}
	}
	return checkJSON{File: path, OK: r.OK(), Enabled: orEmpty(r.Enabled), Problems: ps}
}

func writeCheck(w io.Writer, path string, r *features.Resolution) {
	if r.OK() {
		fmt.Fprintf(w, "%s: OK (phase %s, %d features enabled)\n", path, r.Phase, len(r.Enabled))
		return
	}
	fmt.Fprintf(w, "%s:\n", path)
	for _, p := range r.Problems {
		fmt.Fprintln(w, "  "+termsafe.String(p.Message))
	}
}
