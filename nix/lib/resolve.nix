# The feature resolver, in builtins only (no nixpkgs lib), so that it runs
# under a bare `nix-instantiate --eval` as well as inside the NixOS module.
# It mirrors security/features/resolve.go rule for rule and message for
# message; nix/tests/vectors.toml holds the answers both must give.
#
#   resolve = import ./resolve.nix { catalog = builtins.fromTOML ...; };
#   resolve.resolve [ "shared-folders" ] "setup"
#   => { selected; enabled; because; problems = [ { kind; features; setting; message; } ]; }
{ catalog }:
let
  inherit (builtins)
    concatMap concatStringsSep elem elemAt filter foldl' genericClosure
    hasAttr lessThan listToAttrs map sort;

  byId = listToAttrs (map (f: { name = f.id; value = f; }) catalog.feature);
  known = id: hasAttr id byId;
  phaseIds = map (p: p.id) catalog.phase;

  # Distinct and sorted, as Go's sortedUnique.
  sortedUnique = list:
    sort lessThan (foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ] list);

  quoted = ids: concatStringsSep ", " (map (id: "\"${id}\"") ids);

  # ids and everything they require, directly or not; unknown ids left out.
  closure = ids:
    sort lessThan (map (item: item.key) (genericClosure {
      startSet = map (id: { key = id; }) (filter known ids);
      operator = item: map (id: { key = id; }) (filter known byId.${item.key}.requires);
    }));

  conflict = a: b: elem b byId.${a}.conflicts || elem a byId.${b}.conflicts;

  problem = kind: features: message: { inherit kind features message; setting = ""; };

  resolve = selection: phase:
    let
      selected = sortedUnique selection;
      enabled = closure selected;
      requiredBy = id: filter (e: elem id byId.${e}.requires) enabled;
      pulledBy = id: if elem id selected then "" else " (required by ${quoted (requiredBy id)})";
      phaseKnown = elem phase phaseIds;

      unknown = map
        (id: problem "unknown-feature" [ id ] "unknown feature \"${id}\": 'hv features list' shows the known ones")
        (filter (id: !known id) selected);
      badPhase =
        if phaseKnown then [ ]
        else [ (problem "unknown-phase" [ ] "unknown phase \"${phase}\": the phases are ${concatStringsSep ", " phaseIds}") ];
      conflicts = concatMap
        (a: map
          (b: problem "conflict" [ a b ] "\"${a}\"${pulledBy a} conflicts with \"${b}\"${pulledBy b}: turn one of them off")
          (filter (b: lessThan a b && conflict a b) enabled))
        enabled;
      refused =
        if !phaseKnown then [ ]
        else map
          (id: problem "phase" [ id ] "\"${id}\"${pulledBy id} is not allowed in the ${phase} phase (allowed in: ${concatStringsSep ", " byId.${id}.phases})")
          (filter (id: !elem phase byId.${id}.phases) enabled);
    in
    {
      inherit selected enabled;
      # Why each feature that others require is on.
      because = listToAttrs (concatMap
        (id: let by = requiredBy id; in if by == [ ] then [ ] else [ { name = id; value = by; } ])
        enabled);
      problems = unknown ++ badPhase ++ conflicts ++ refused;
    };
in
{
  inherit resolve closure byId quoted;
}
