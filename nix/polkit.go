package nix

import (
	_ "embed"
	"encoding/json"
	"strings"
)

// The polkit rules of nix/polkit as tests/real installs them, with the
// group "hvoperators" standing for the configured operators group. The
// NixOS module installs only hv's grant of the first (nix/lib/polkit.nix).
var (
	//go:embed polkit/50-hyper-nixos.rules
	PolkitLibvirtRule string
	//go:embed polkit/51-hyper-nixos-apply.rules
	PolkitApplyRule string
)

// PolkitRuleFiles are where the rules end up: the files as tests/real
// installs them, and NixOS's file of security.polkit.extraConfig, where
// the module puts hv's grant.
var PolkitRuleFiles = []string{
	"/etc/polkit-1/rules.d/50-hyper-nixos.rules",
	"/etc/polkit-1/rules.d/51-hyper-nixos-apply.rules",
	"/etc/polkit-1/rules.d/10-nixos.rules",
}

// PolkitRuleBody is the rule's code with group as the operators group,
// as tests/real installs it: from polkit.addRule to the end, without the
// comments above it.
func PolkitRuleBody(rule, group string) string {
	body := rule
	if i := strings.Index(rule, "polkit.addRule("); i >= 0 {
		body = rule[i:]
	}
	quoted, _ := json.Marshal(group)
	return strings.TrimSpace(strings.ReplaceAll(body, `"hvoperators"`, string(quoted)))
}
