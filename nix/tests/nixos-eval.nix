# The example host file and every preset in its phase, evaluated with NixOS
# itself, for people with nixpkgs:
#   nix build .#checks.x86_64-linux.nixos
# Each system's toplevel derivation must evaluate: every NixOS assertion
# holds, no option is defined twice where NixOS wants one definition, and
# the module meets every NixOS module that is on, not only the options
# nix/tests/nixos.nix declares. Nothing is built. Without nixpkgs,
# nix/tests/eval.nix does the same with stand-ins.
{ pkgs, nixosSystem, module }:
let
  inherit (pkgs) lib;
  catalog = builtins.fromTOML (builtins.readFile ../catalog.toml);
  hosts = { example = ../examples/host.toml; }
    // lib.listToAttrs (map (p: lib.nameValuePair "preset-${p.id}" (import ./preset-host.nix { preset = p.id; })) catalog.preset);
  toplevel = hostFile: (nixosSystem {
    modules = [
      module
      {
        nixpkgs.hostPlatform = pkgs.stdenv.hostPlatform.system;
        boot.loader.grub.device = "nodev";
        fileSystems."/" = { device = "/dev/disk/by-label/nixos"; fsType = "ext4"; };
        system.stateVersion = lib.trivial.release;
        services.hyper-nixos = {
          enable = true;
          inherit hostFile;
          apply.installPath = "/etc/nixos/hyper-nixos/host.toml";
        };
      }
    ];
  }).config.system.build.toplevel;
in
pkgs.writeText "hyper-nixos-nixos-eval" (lib.concatStrings (lib.mapAttrsToList
  (name: hostFile: "${name}: ${builtins.unsafeDiscardStringContext (toplevel hostFile).drvPath}\n")
  hosts))
