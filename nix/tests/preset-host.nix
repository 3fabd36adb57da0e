# The host file of a catalog preset, for the flake's checks: written with
# builtins.toFile, so it is in the Nix store and a configuration using it
# must set services.hyper-nixos.apply.installPath.
#
#   import ./preset-host.nix { preset = "balanced"; }             # in the preset's phase
#   import ./preset-host.nix { preset = "paranoid"; phase = "setup"; users = [ "bob" ]; }
{ preset, phase ? null, users ? [ "alice" ] }:
let
  catalog = builtins.fromTOML (builtins.readFile ../catalog.toml);
  found = builtins.filter (p: p.id == preset) catalog.preset;
  p = if found == [ ] then throw "nix/catalog.toml has no preset ${builtins.toJSON preset}" else builtins.head found;
  # A JSON string is a TOML basic string.
  list = xs: "[${builtins.concatStringsSep ", " (map builtins.toJSON xs)}]";
in
builtins.toFile "hyper-nixos-${preset}.toml" ''
  version = 1
  phase = ${builtins.toJSON (if phase == null then p.phase else phase)}
  features = ${list p.features}

  [operators]
  users = ${list users}
''
