package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/content"
	"github.com/hyper-nixos/hv/security/threat"
)

// Loading the defaults checks every rule's examples and not_examples.
func TestDefaultRulesLoad(t *testing.T) {
	set, err := Load(content.ThreatRules())
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() < 100 {
		t.Errorf("only %d default rules; the issue asks for 100+", set.Len())
	}
	for _, r := range set.Rules() {
		if r.MITRE == "" && r.Severity >= threat.Medium {
			t.Logf("rule %s (severity %s) has no ATT&CK technique", r.ID, r.Severity)
		}
	}
}

// Every rule that counts an authentication failure says so with the tag.
func TestAuthFailureRulesAreTagged(t *testing.T) {
	set, err := Load(content.ThreatRules())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range set.Rules() {
		if r.AuthFailure {
			n++
		}
		if strings.Contains(r.ID, "failed-auth") && !r.AuthFailure {
			t.Errorf("%s lacks the auth-failure tag", r.ID)
		}
	}
	if n < 15 {
		t.Errorf("only %d auth-failure rules", n)
	}
}

func TestDropInReplacesAndDisables(t *testing.T) {
	dir := t.TempDir()
	local := `
[[rule]]
id = "ssh.login"
disabled = true
title = "x"
severity = "info"
pattern = "^x"
examples = ["x"]

[[rule]]
id = "local.backup-failed"
title = "Backup failed"
severity = "medium"
programs = ["backup"]
pattern = '^backup of (?P<vm>\S+) failed'
examples = ["backup of web-01 failed"]
`
	if err := os.WriteFile(filepath.Join(dir, "local.toml"), []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := Load(content.ThreatRules(), dir, filepath.Join(dir, "missing"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := set.Rule("ssh.login"); ok {
		t.Error("a drop-in with disabled = true should remove the default rule")
	}
	if r, ok := set.Rule("local.backup-failed"); !ok || !slices.Contains(r.Names, "vm") {
		t.Error("the local rule is missing or lost its vm field")
	}
	if rs := set.For([]byte("backup")).All; len(rs) == 0 || rs[len(rs)-1].ID != "local.backup-failed" {
		t.Error("the local rule is not indexed by its program")
	}
}

func TestBadRulesSayWhy(t *testing.T) {
	tests := []struct{ toml, want string }{
		{`[[rule]]
id = "Bad ID"`, "id must be"},
		{`[[rule]]
id = "x.y"
title = "t"
severity = "severe"
pattern = "^a"
examples = ["a"]`, "unknown severity"},
		{`[[rule]]
id = "x.y"
title = "t"
severity = "low"
pattern = "(?=a)"
examples = ["a"]`, "pattern"},
		{`[[rule]]
id = "x.y"
title = "t"
severity = "low"
pattern = "a+"
examples = ["a"]`, "no literal pre-filter"},
		{`[[rule]]
id = "x.y"
title = "t"
severity = "low"
pattern = "^a"
examples = ["b"]`, "does not match"},
		{`[[rule]]
id = "x.y"
title = "t"
severity = "low"
literal = "zz"
pattern = "^a"
examples = ["a"]`, "literal pre-filter"},
		{`[[rule]]
id = "x.y"
title = "t"
severity = "low"
pattern = '^a (?P<ip>\S+)'
examples = ["a 999.1.1.1"]`, "not an address"},
		{`[[rule]]
id = "x.y"
title = "t"
severity = "low"
pattern = '^a'
examples = ["a"]
threshold = { count = 5, within = "soon", by = "ip" }`, "threshold within"},
		{`[[rule]]
id = "x.y"
colour = "red"`, "colour"},
		{`[[rule]]
id = "x.y"
title = "t"
severity = "low"
mitre = "1110"
pattern = '^a'
examples = ["a"]`, "ATT&CK"},
	}
	for _, tt := range tests {
		rs, err := Parse("t.toml", []byte(tt.toml))
		if err == nil {
			_, err = Compile(rs)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("rule\n%s\ngave error %v, want one mentioning %q", tt.toml, err, tt.want)
		}
	}
}

func TestAnchoredPrefix(t *testing.T) {
	for pattern, want := range map[string]string{
		`^Failed (?P<m>\S+) for`: "Failed ",
		`^(?:error: )?Failed`:    "",
		`Failed`:                 "",
		`^Invalid user`:          "Invalid user",
	} {
		if got, _ := anchoredPrefix(pattern); got != want {
			t.Errorf("anchoredPrefix(%q) = %q, want %q", pattern, got, want)
		}
	}
}

func FuzzParseAndCompile(f *testing.F) {
	f.Add([]byte(`[[rule]]
id = "a.b"
title = "t"
severity = "low"
pattern = '^a (?P<ip>\S+)'
examples = ["a 1.2.3.4"]
threshold = { count = 2, within = "1m", by = "ip" }`))
	f.Add([]byte("[[rule]]\nid = 1"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse("fuzz.toml", data)
		if err != nil {
			return
		}
		set, err := Compile(rs)
		if err != nil {
			return
		}
		for _, r := range set.Rules() {
			r.Match(data)
		}
	})
}

func TestFirstBytes(t *testing.T) {
	tests := []struct {
		pattern string
		ok      bool
		in, out string
	}{
		{`^Failed (?P<m>\S+)`, true, "F", "fEe"},
		{`^(?:(?:error|fatal): (?:PAM: )?)?Failed`, true, "efF", "pC"},
		{`^[iI]nvalid`, true, "iI", "v"},
		{`^(?i)root`, true, "rR", "o"},
		{`Failed`, false, "", ""},
		{`^(?:x)?`, false, "", ""},
	}
	for _, tt := range tests {
		set, ok := firstBytes(tt.pattern)
		if ok != tt.ok {
			t.Errorf("%s: ok=%v", tt.pattern, ok)
			continue
		}
		for _, b := range []byte(tt.in) {
			if !set.has(b) {
				t.Errorf("%s: %q should be a first byte", tt.pattern, b)
			}
		}
		for _, b := range []byte(tt.out) {
			if set.has(b) {
				t.Errorf("%s: %q should not be a first byte", tt.pattern, b)
			}
		}
	}
}

func TestExcludedPrograms(t *testing.T) {
	rs, err := Parse("t.toml", []byte(`
[[rule]]
id = "a.any"
title = "t"
severity = "low"
programs = ["!sshd"]
pattern = '^x'
examples = ["x"]
`))
	if err != nil {
		t.Fatal(err)
	}
	set, err := Compile(rs)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.For([]byte("sshd")).All) != 0 || len(set.For([]byte("login")).All) != 1 {
		t.Error("a !program rule must apply to every program but that one")
	}
}
