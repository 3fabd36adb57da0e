package features

import "github.com/hyper-nixos/hv/security"

// Score is the risk of a set of enabled features: the catalog's points
// for each feature's risk level, added up, with the breakdown by category.
// Hardening features are minimal risk and add nothing; they are counted
// in Hardening instead, so a screen can show both sides.
type Score struct {
	Total      int
	Highest    security.Risk // the riskiest enabled feature; Minimal if none
	Features   int
	Hardening  int // enabled features of the "hardening" category
	ByCategory []CategoryScore
}

// CategoryScore is one category's share of a Score.
type CategoryScore struct {
	Category string
	Points   int
	Features int
	Highest  security.Risk
}

// Score scores the enabled features; unknown ids are ignored.
func (c *Catalog) Score(enabled []string) Score {
	s := Score{ByCategory: make([]CategoryScore, len(c.categories))}
	index := map[string]int{}
	for i, cat := range c.categories {
		s.ByCategory[i].Category = cat.ID
		index[cat.ID] = i
	}
	for _, id := range sortedUnique(enabled) {
		f, ok := c.byID[id]
		if !ok {
			continue
		}
		cs := &s.ByCategory[index[f.Category]]
		p := c.points[f.Risk]
		cs.Points += p
		cs.Features++
		cs.Highest = max(cs.Highest, f.Risk)
		s.Total += p
		s.Features++
		s.Highest = max(s.Highest, f.Risk)
		if f.Category == "hardening" {
			s.Hardening++
		}
	}
	return s
}

// Category returns the share of one category.
func (s Score) Category(id string) CategoryScore {
	for _, cs := range s.ByCategory {
		if cs.Category == id {
			return cs
		}
	}
	return CategoryScore{Category: id}
}

// RefusedIn splits the enabled features phase does not allow into the
// critical ones and the others, in the order given: what must go before a
// host moves to that phase.
func (c *Catalog) RefusedIn(enabled []string, phase string) (critical, others []string) {
	for _, id := range enabled {
		f, ok := c.byID[id]
		switch {
		case !ok:
		case f.Risk == security.Critical:
			critical = append(critical, id)
		case !f.AllowedIn(phase):
			others = append(others, id)
		}
	}
	return critical, others
}
