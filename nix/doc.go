// Package nix is the contract shared by hv and the NixOS module: the files
// both read (the feature catalog, the host file and its defaults) and the
// result the apply service leaves. The .nix files of the module sit next
// to this package and read the same TOML with builtins.fromTOML.
//
// This package decodes and writes those files strictly; what the choices
// mean (dependencies, conflicts, phases, risk) is security/features' job.
package nix
