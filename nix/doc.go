// Package nix is the contract shared by hv and the NixOS modules: the host
// file the operator's choices live in, and (later) the feature catalog.
package nix
