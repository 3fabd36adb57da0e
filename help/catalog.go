package help

import (
	"strings"
)

// Families of explanations for what the feature catalog and the threat
// rules hold. Their files are optional: an entry there replaces what is
// composed from the catalog or the rule.
const (
	Features   = "features"   // by feature id
	Rules      = "rules"      // by rule id
	Risks      = "risks"      // by risk level: minimal ... critical
	Severities = "severities" // by rule severity: info ... critical
)

// FeatureFacts is what the feature catalog (nix/catalog.toml) says of a
// feature, which is its education: Description says what it does, Impact
// why it matters for security. The category's topic (front matter
// feature_categories) and the risk level's explanation teach beginners the
// rest.
type FeatureFacts struct {
	ID, Name, Category, Risk string
	Description, Impact      string
}

// Feature explains a feature at every level.
func (lib *Library) Feature(f FeatureFacts) Explanation {
	if x, ok := lib.Explain(Features, f.ID); ok {
		return x
	}
	risk, _ := lib.Explain(Risks, f.Risk)
	x := Explanation{
		Tip:          firstSentence(f.Description),
		Beginner:     join(f.Description, "Why it matters: "+f.Impact, risk.Beginner),
		Intermediate: join(f.Description, f.Impact),
		Expert:       f.Impact,
	}
	if t, ok := lib.Topics.ForFeatureCategory(f.Category); ok {
		x.Topic = t.ID
	}
	return x
}

// RuleFacts is what a threat rule file (content/threat/rules/*.toml) says
// of a rule: its title says what it saw, its description (optional) what
// it means; its tags lead to the topic (front matter rule_tags) that
// explains why such findings matter.
type RuleFacts struct {
	ID, Title, Description, Severity string
	Tags                             []string
}

// Rule explains a threat rule at every level.
func (lib *Library) Rule(r RuleFacts) Explanation {
	if x, ok := lib.Explain(Rules, r.ID); ok {
		return x
	}
	sev, _ := lib.Explain(Severities, r.Severity)
	x := Explanation{Tip: r.Title, Expert: join(r.Title, r.Description)}
	if t, ok := lib.Topics.ForRule(r.Tags); ok {
		x.Topic = t.ID
		x.Intermediate = join(r.Title+".", r.Description, t.Summary)
		x.Beginner = join(r.Title+".", r.Description, t.Summary, sev.Beginner)
	} else {
		x.Intermediate = join(r.Title+".", r.Description)
		x.Beginner = join(r.Title+".", r.Description, sev.Beginner)
	}
	return x
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" && p != "." {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n\n")
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}
