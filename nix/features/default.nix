# The NixOS implementation of every catalog feature: one attribute per
# feature id, holding the NixOS settings it turns on. The module wraps each
# in mkIf, so nothing here is decided from config.
#
# Rule for these files: each implementation is a plain attribute set whose
# option paths are written out (no mkIf/mkMerge at the top), so that
# nix/tests/run.nix can check, with builtins only, that every catalog
# feature is implemented and sets the options its catalog entry lists. The
# module merges boot.kernel.sysctl of all that is on into one definition
# (NixOS takes one per key), so write plain values there, no mkDefault.
#
# Arguments: the module's config, lib and pkgs; host, the host file with
# defaults applied; cfg, config.services.hyper-nixos; peers, the names of
# the trusted peers (nix/peers.nix).
args:
import ./virtualisation.nix args
// import ./networking.nix args
// import ./storage.nix args
// import ./access.nix args
// import ./monitoring.nix args
// import ./hardening.nix args
