# Reading and checking the host file, in builtins only. It mirrors
# nix/host.go (version, required keys, defaults) and
# security/features/host.go (settings by nix/host-schema.toml, and the
# settings enabled features need), message for message.
{ catalog, schema }:
let
  inherit (builtins)
    attrNames concatMap elem filter foldl' hasAttr isAttrs isInt isList isString
    length listToAttrs map match pathExists readFile toString typeOf;

  resolver = import ./resolve.nix { inherit catalog; };

  hostVersion = 1;

  splitPath = path:
    let m = match "([^.]+)[.](.+)" path; in { section = builtins.elemAt m 0; key = builtins.elemAt m 1; };

  # The schema's defaults as { section = { key = default; }; }.
  defaults = foldl'
    (acc: st:
      let p = splitPath st.path; in
      acc // { ${p.section} = (acc.${p.section} or { }) // { ${p.key} = st.default; }; })
    { }
    schema.setting;

  lookup = host: path:
    let p = splitPath path; in
    if isAttrs (host.${p.section} or null) then host.${p.section}.${p.key} or null else null;

  isSet = v:
    if isString v then v != ""
    else if isList v then v != [ ]
    else if isInt v then v > 0
    else false;

  typeOk = st: v:
    if st.type == "string" then isString v
    else if st.type == "strings" then isList v && builtins.all isString v
    else if st.type == "int" then isInt v
    else isList v && builtins.all isInt v;

  typeWords = {
    string = "a string";
    strings = "a list of strings";
    int = "an integer";
    ints = "a list of integers";
  };

  # What is wrong with one setting's value, per its spec; empty strings
  # mean "not set" and are not matched against the pattern.
  checkSetting = st: v:
    if !typeOk st v then [ "must be ${typeWords.${st.type}}" ]
    else
      let
        one = state: x:
          let
            shown = if isString x then "\"${x}\"" else toString x;
            badPattern = isString x && x != "" && (st.pattern or "") != "" && match st.pattern x == null;
            badRange = isInt x && ((st ? min && x < st.min) || (st ? max && x > st.max));
            twice = (st.unique or false) && elem shown state.seen;
          in
          {
            seen = state.seen ++ [ shown ];
            out = state.out
              ++ (if badPattern then [ "${shown} is not ${st.what} such as ${st.example}" ] else [ ])
              ++ (if badRange then [ "${shown} is not between ${toString st.min} and ${toString st.max}" ] else [ ])
              ++ (if twice then [ "${shown} is listed twice" ] else [ ]);
          };
      in
      (foldl' one { seen = [ ]; out = [ ]; } (if isList v then v else [ v ])).out;

  problem = kind: features: setting: message: { inherit kind features setting message; };

  sections = attrNames defaults;
  required = [ "version" "phase" "features" ];

  # Keys hv's strict decoder would refuse: unknown sections and keys, and
  # sections that are not tables.
  unknownKeys = raw: concatMap
    (name:
      if elem name required then [ ]
      else if !(elem name sections) then [ "unknown key \"${name}\"" ]
      else if !isAttrs raw.${name} then [ "\"${name}\" must be a table" ]
      else map (k: "unknown key \"${name}.${k}\"") (filter (k: !hasAttr k defaults.${name}) (attrNames raw.${name})))
    (attrNames raw);
in
rec {
  inherit defaults hostVersion;

  # raw (from fromTOML) with every setting it leaves out taken from the schema.
  withDefaults = raw:
    raw // listToAttrs (map
      (name: { inherit name; value = defaults.${name} // (if isAttrs (raw.${name} or null) then raw.${name} else { }); })
      sections);

  # The reasons a decoded host file is not one hv would accept at all: the
  # module throws on them rather than guess. Empty when the file is usable.
  shapeErrors = raw:
    (if !(raw ? version) then [ "\"version\" is missing: add version = ${toString hostVersion} at the top of the file" ]
     else if !isInt raw.version then [ "\"version\" must be an integer" ]
     else if raw.version > hostVersion then [ "version ${toString raw.version} is newer than this module understands (${toString hostVersion}): update the Hyper-NixOS flake" ]
     else if raw.version != hostVersion then [ "version ${toString raw.version} is not a host-file version this module knows (${toString hostVersion})" ]
     else [ ])
    ++ map (k: "\"${k}\" is missing") (filter (k: !(raw ? ${k})) [ "phase" "features" ])
    ++ (if raw ? phase && !isString raw.phase then [ "\"phase\" must be a string" ] else [ ])
    ++ (if raw ? features && !(isList raw.features && builtins.all isString raw.features) then [ "\"features\" must be a list of strings" ] else [ ])
    ++ unknownKeys raw;

  # Everything wrong with a host file (already through withDefaults), as
  # security/features.CheckHost finds it: the resolution's problems, the
  # settings enabled features need, and every value against the schema.
  check = host:
    let
      r = resolver.resolve host.features host.phase;
      missing = concatMap
        (id: map
          (need: problem "missing-setting" [ id ] need "\"${id}\" needs ${need} in the host file")
          (filter (need: !isSet (lookup host need)) resolver.byId.${id}.needs))
        r.enabled;
      invalid = concatMap
        (st: map (msg: problem "invalid-setting" [ ] st.path "${st.path}: ${msg}") (checkSetting st (lookup host st.path)))
        schema.setting;
    in
    r // { problems = r.problems ++ missing ++ invalid; };

  # Reads the host file at path for the NixOS module: a missing or unusable
  # file stops the evaluation with the reason, never falls back to defaults.
  read = path:
    if !pathExists path then
      throw ''
        hyper-nixos: the host file ${toString path} does not exist.
        services.hyper-nixos.hostFile must name the host file that hv writes.
        Create one with 'hv features init ${toString path} --preset cautious', or copy
        nix/examples/host.toml. In a flake, the file must also be added to git ('git add'),
        or Nix cannot see it.''
    else
      let
        raw = builtins.fromTOML (readFile path);
        errors = shapeErrors raw;
      in
      if errors != [ ] then
        throw "hyper-nixos: the host file ${toString path} cannot be used: ${builtins.concatStringsSep "; " errors}"
      else withDefaults raw;
}
