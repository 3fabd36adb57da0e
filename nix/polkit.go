package nix

import (
	_ "embed"
	"encoding/json"
	"strings"
)

// PolkitRule is hv's polkit rule (nix/polkit/50-hyper-nixos.rules): the
// operators group gets hv's actions, and nothing of libvirt's. The group
// "hvoperators" stands for the configured one; tests/real installs the
// file as it is, the NixOS module its grant (nix/lib/polkit.nix).
//
//go:embed polkit/50-hyper-nixos.rules
var PolkitRule string

// PolkitRuleFiles are where the rules end up: the files as tests/real
// installs them, and NixOS's file of security.polkit.extraConfig, where
// the module puts hv's grant.
var PolkitRuleFiles = []string{
	"/etc/polkit-1/rules.d/50-hyper-nixos.rules",
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
