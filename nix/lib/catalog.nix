# Checks of the catalog itself, in builtins only, for the NixOS module's
# assertions: the module refuses a catalog hv would refuse
# (security/features/validate.go has the full set, with Go tests).
{ catalog }:
let
  inherit (builtins) concatMap elem filter genericClosure hasAttr listToAttrs map;
  byId = listToAttrs (map (f: { name = f.id; value = f; }) catalog.feature);
  phaseIds = map (p: p.id) catalog.phase;

  # Everything f requires, directly or not (f itself only through a cycle).
  requiredFrom = f: map (i: i.key) (genericClosure {
    startSet = map (id: { key = id; }) (filter (id: hasAttr id byId) f.requires);
    operator = item: map (id: { key = id; }) (filter (id: hasAttr id byId) byId.${item.key}.requires);
  });

  errorsOf = f:
    map (id: "feature \"${f.id}\": requires \"${id}\", which is not in the catalog") (filter (id: !hasAttr id byId) f.requires)
    ++ map (id: "feature \"${f.id}\": conflicts \"${id}\", which is not in the catalog") (filter (id: !hasAttr id byId) f.conflicts)
    ++ map (p: "feature \"${f.id}\": phase \"${p}\" is not a [[phase]] of the catalog") (filter (p: !elem p phaseIds) f.phases)
    ++ (if elem f.id f.conflicts then [ "feature \"${f.id}\": conflicts with itself" ] else [ ])
    ++ (if elem f.id (requiredFrom f) then [ "feature \"${f.id}\": requires itself, directly or through a cycle of requirements" ] else [ ]);
in
{
  errors = concatMap errorsOf catalog.feature;
}
