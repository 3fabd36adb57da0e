package ui

import "github.com/hyper-nixos/hv/ui/termsafe"

// Safe makes untrusted text harmless to draw; see termsafe.String.
func Safe(s string) string { return termsafe.String(s) }
