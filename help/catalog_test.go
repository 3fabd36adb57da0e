package help

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// These tests hold the feature catalog (nix/catalog.toml) and the threat
// rules (content/threat/rules/*.toml) to the education format (see
// catalog.go): a feature or rule without its content fails them. They read
// the files themselves, not the packages that own them.

func TestEveryFeatureIsExplainedAtEveryLevel(t *testing.T) {
	data, err := os.ReadFile("../nix/catalog.toml")
	if err != nil {
		t.Fatal(err)
	}
	var catalog struct {
		Feature []struct {
			ID, Name, Category, Risk, Description, Impact string
		}
	}
	if err := toml.Unmarshal(data, &catalog); err != nil {
		t.Fatal(err)
	}
	if len(catalog.Feature) == 0 {
		t.Fatal("no [[feature]] in the catalog")
	}
	lib := builtin(t)
	for _, f := range catalog.Feature {
		if f.Description == "" || f.Impact == "" {
			t.Errorf("feature %s: the catalog needs its description (what it does) and impact (why it matters)", f.ID)
		}
		if _, ok := lib.Topics.ForFeatureCategory(f.Category); !ok {
			t.Errorf("feature %s: no topic explains its category %q (front matter feature_categories)", f.ID, f.Category)
		}
		if _, ok := lib.Explain(Risks, f.Risk); !ok {
			t.Errorf("feature %s: risk %q is not explained in content/explain/risks.toml", f.ID, f.Risk)
		}
		x := lib.Feature(FeatureFacts{ID: f.ID, Name: f.Name, Category: f.Category, Risk: f.Risk, Description: f.Description, Impact: f.Impact})
		for _, l := range Levels {
			if x.Why(l) == "" || x.Tip == "" {
				t.Errorf("feature %s: nothing to say at %s", f.ID, l)
			}
		}
	}
}

func TestEveryThreatRuleIsExplainedAtEveryLevel(t *testing.T) {
	files, _ := filepath.Glob("../content/threat/rules/*.toml")
	if len(files) == 0 {
		t.Fatal("no rule files in content/threat/rules")
	}
	checkRules(t, builtin(t), files)
}

func checkRules(t *testing.T, lib *Library, files []string) {
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var rules struct {
			Rule []struct {
				ID, Title, Description, Severity string
				Tags                             []string
			}
		}
		if err := toml.Unmarshal(data, &rules); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, r := range rules.Rule {
			_, own := lib.Explain(Rules, r.ID)
			_, tagged := lib.Topics.ForRule(r.Tags)
			if r.Title == "" || (!own && !tagged) {
				t.Errorf("rule %s (%s): needs a title, and a tag with a topic (front matter rule_tags) or its own entry in content/explain/rules.toml; tags %v",
					r.ID, filepath.Base(file), r.Tags)
			}
			if _, ok := lib.Explain(Severities, r.Severity); !ok {
				t.Errorf("rule %s: severity %q is not explained in content/explain/severities.toml", r.ID, r.Severity)
			}
			x := lib.Rule(RuleFacts{ID: r.ID, Title: r.Title, Description: r.Description, Severity: r.Severity, Tags: r.Tags})
			for _, l := range Levels {
				if x.Why(l) == "" {
					t.Errorf("rule %s: nothing to say at %s", r.ID, l)
				}
			}
		}
	}
}
