# The Nix half of "Go and Nix agree", in builtins only:
#
#   nix-instantiate --eval --strict nix/tests/run.nix
#
# prints "N passed, M failed" followed by what failed. It runs the shared
# vectors (vectors.toml) through nix/lib, checks the catalog the way the
# module does, and checks that every catalog feature has a NixOS
# implementation that sets the options the catalog says it sets.
# security/features/vectors_test.go runs it when nix-instantiate is on PATH.
let
  inherit (builtins)
    all attrNames concatMap concatStringsSep filter foldl' fromTOML hasAttr
    length map readFile toJSON toString;

  realCatalog = fromTOML (readFile ../catalog.toml);
  testCatalog = fromTOML (readFile ./test-catalog.toml);
  schema = fromTOML (readFile ../host-schema.toml);
  vectors = fromTOML (readFile ./vectors.toml);

  resolvers = {
    real = import ../lib/resolve.nix { catalog = realCatalog; };
    test = import ../lib/resolve.nix { catalog = testCatalog; };
  };
  host = import ../lib/host.nix { catalog = realCatalog; inherit schema; };
  catalogErrors = catalog: (import ../lib/catalog.nix { inherit catalog; }).errors;

  case = name: ok: detail: { inherit name ok detail; };

  resolveCases = map
    (v:
      let got = resolvers.${v.catalog}.resolve v.select v.phase; in
      case "resolve: ${v.name}"
        (got.enabled == v.enabled && got.because == v.because && got.problems == v.problem)
        "got ${toJSON { inherit (got) enabled because problems; }}")
    vectors.resolve;

  hostCases = map
    (v:
      let
        raw = fromTOML v.toml;
        shape = host.shapeErrors raw;
        got = (host.check (host.withDefaults raw)).problems;
      in
      case "host: ${v.name}" (shape == [ ] && got == v.problem) "shape ${toJSON shape}, problems ${toJSON got}")
    vectors.host;

  # The module throws on these instead of guessing.
  shapeCases =
    let
      expect = name: raw: want:
        let got = host.shapeErrors raw; in
        case "host shape: ${name}" (got == want) "got ${toJSON got}";
    in
    [
      (expect "a usable file" { version = 1; phase = "setup"; features = [ ]; } [ ])
      (expect "no version" { phase = "setup"; features = [ ]; }
        [ "\"version\" is missing: add version = 1 at the top of the file" ])
      (expect "a newer version" { version = 2; phase = "setup"; features = [ ]; }
        [ "version 2 is newer than this module understands (1): update the Hyper-NixOS flake" ])
      (expect "no phase, no features" { version = 1; } [ "\"phase\" is missing" "\"features\" is missing" ])
      (expect "unknown keys" { version = 1; phase = "setup"; features = [ ]; colour = "blue"; network = { uplnk = "eth0"; }; }
        [ "unknown key \"colour\"" "unknown key \"network.uplnk\"" ])
      (expect "a setting of the wrong type is a problem, not a shape error" { version = 1; phase = "setup"; features = [ ]; network = { vlans = "10"; }; } [ ])
      (case "host: a setting of the wrong type"
        ((host.check (host.withDefaults { version = 1; phase = "setup"; features = [ ]; network = { vlans = "10"; }; })).problems
          == [ { kind = "invalid-setting"; features = [ ]; setting = "network.vlans"; message = "network.vlans: must be a list of integers"; } ])
        "")
    ];

  feature = id: requires: conflicts: phases: { inherit id requires conflicts phases; };
  catalogCases = [
    (case "catalog: the real catalog passes the module's checks" (catalogErrors realCatalog == [ ]) (toJSON (catalogErrors realCatalog)))
    (case "catalog: the test catalog passes too" (catalogErrors testCatalog == [ ]) (toJSON (catalogErrors testCatalog)))
    (
      let got = catalogErrors {
        phase = [ { id = "setup"; } ];
        feature = [
          (feature "a" [ "b" ] [ ] [ "setup" ])
          (feature "b" [ "c" ] [ ] [ "setup" ])
          (feature "c" [ "a" ] [ ] [ "setup" ])
          (feature "d" [ "ghost" ] [ "d" ] [ "prod" ])
        ];
      }; in
      case "catalog: cycles, unknown ids, self-conflicts and unknown phases name the feature"
        (got == [
          "feature \"a\": requires itself, directly or through a cycle of requirements"
          "feature \"b\": requires itself, directly or through a cycle of requirements"
          "feature \"c\": requires itself, directly or through a cycle of requirements"
          "feature \"d\": requires \"ghost\", which is not in the catalog"
          "feature \"d\": phase \"prod\" is not a [[phase]] of the catalog"
          "feature \"d\": conflicts with itself"
        ])
        (toJSON got)
    )
  ];

  # Every feature has an implementation (nix/features) that sets the
  # options its catalog entry lists, and sets nothing under a top-level
  # option the entry does not mention. Implementations are evaluated only
  # as far as their attribute names: no nixpkgs is needed.
  impls = import ../features {
    config = throw "the implementation check reads no config";
    lib = throw "the implementation check uses no lib";
    pkgs = import ./pkgs.nix;
    host = host.withDefaults { version = 1; phase = "setup"; features = [ ]; };
    cfg = { operators.group = "hvoperators"; };
    peers = [ ];
  };
  hasPath = set: parts:
    parts == [ ] || (builtins.isAttrs set && hasAttr (builtins.head parts) set
      && hasPath set.${builtins.head parts} (builtins.tail parts));
  split = path: filter builtins.isString (builtins.split "[.]" path);
  implementationCases = map
    (f:
      let
        impl = impls.${f.id} or null;
        missing = filter (st: !hasPath impl (split st)) f.settings;
        roots = map (st: builtins.head (split st)) f.settings;
        undeclared = if impl == null then [ ] else filter (name: !builtins.elem name roots) (attrNames impl);
      in
      case "implementation: ${f.id}"
        (impl != null && missing == [ ] && undeclared == [ ])
        (if impl == null then "no attribute \"${f.id}\" in nix/features"
         else "catalog settings not set: ${toJSON missing}; options set but not in the catalog: ${toJSON undeclared}"))
    realCatalog.feature
  ++ [
    (let extra = filter (id: !builtins.any (f: f.id == id) realCatalog.feature) (attrNames impls); in
      case "implementation: nothing implemented outside the catalog" (extra == [ ]) (toJSON extra))
  ];

  # Every phase of the catalog has its settings in nix/phases.nix, exactly
  # the options its entry lists, as for features.
  phaseImpls = import ../phases.nix {
    config = throw "the phase check reads no config";
    lib = throw "the phase check uses no lib";
    pkgs = throw "the phase check builds no packages";
  };
  phaseCases = map
    (p:
      let
        impl = phaseImpls.${p.id} or null;
        settings = p.settings or [ ];
        missing = filter (st: !hasPath impl (split st)) settings;
        roots = map (st: builtins.head (split st)) settings;
        undeclared = if impl == null then [ ] else filter (name: !builtins.elem name roots) (attrNames impl);
      in
      case "phase settings: ${p.id}"
        (impl != null && missing == [ ] && undeclared == [ ])
        (if impl == null then "no attribute \"${p.id}\" in nix/phases.nix"
         else "catalog settings not set: ${toJSON missing}; options set but not in the catalog: ${toJSON undeclared}"))
    realCatalog.phase;

  # Hardening must keep VM networking working: nothing a phase or a
  # hardening feature sets may touch IP forwarding (libvirt and nat-network
  # turn it on for NAT networks) or bridge filtering (vm-firewall's).
  breaksVMNetworks = name: builtins.match ".*(ip_forward|[.]forwarding|bridge-nf-call).*" name != null;
  sysctlOf = impl: if hasPath impl [ "boot" "kernel" "sysctl" ] then attrNames impl.boot.kernel.sysctl else [ ];
  networkCases = map
    (name:
      let impl = if builtins.hasAttr name phaseImpls then phaseImpls.${name} else impls.${name};
          bad = filter breaksVMNetworks (sysctlOf impl); in
      case "keeps VM networks working: ${name}" (bad == [ ]) "sets ${toJSON bad}")
    (attrNames phaseImpls ++ map (f: f.id) (filter (f: f.category == "hardening") realCatalog.feature));

  # NixOS takes one definition per sysctl key, so the module merges the
  # sysctl settings of every part that is on into one (module.nix); that is
  # sound only if parts that can be on together (a phase and a feature it
  # allows, two features without a conflict that share a phase) give every
  # key they share the same value.
  sysctlParts = filter (p: p.sysctl != { }) (
    map (p: { name = "phase ${p.id}"; id = "phase:${p.id}"; phases = [ p.id ]; conflicts = [ ]; sysctl = phaseImpls.${p.id}.boot.kernel.sysctl or { }; }) realCatalog.phase
    ++ map (f: { name = "feature ${f.id}"; inherit (f) id phases conflicts; sysctl = impls.${f.id}.boot.kernel.sysctl or { }; }) realCatalog.feature);
  together = a: b:
    a.id < b.id && builtins.any (ph: builtins.elem ph b.phases) a.phases
    && !(builtins.elem b.id a.conflicts) && !(builtins.elem a.id b.conflicts);
  disagreements = concatMap
    (a: concatMap
      (b: map (k: "${a.name} sets ${k} = ${toJSON a.sysctl.${k}}, ${b.name} = ${toJSON b.sysctl.${k}}")
        (filter (k: b.sysctl ? ${k} && a.sysctl.${k} != b.sysctl.${k}) (attrNames a.sysctl)))
      (filter (together a) sysctlParts))
    sysctlParts;
  sysctlCases = [ (case "sysctl: parts that can be on together agree" (disagreements == [ ]) (toJSON disagreements)) ];

  # The module installs hv's grant of the rules file and nothing else of
  # it (lib/polkit.nix): not the grant of read-write libvirt the file also
  # holds for tests/real, today or once it is gone.
  grant = text: import ../lib/polkit.nix { inherit text; group = "ops"; };
  hasText = needle: s: length (builtins.split (builtins.replaceStrings [ "." "(" ")" ] [ "[.]" "[(]" "[)]" ] needle) s) > 1;
  hvRule = action: group: ''
    polkit.addRule(function (action, subject) {
        if (${action} && subject.isInGroup("${group}")) {
            return polkit.Result.YES;
        }
    });
  '';
  hvAction = ''action.id.indexOf("org.hyper-nixos.") == 0'';
  fromFile = grant (readFile ../polkit/50-hyper-nixos.rules);
  refused = text: !(builtins.tryEval (grant text)).success;
  polkitCases = [
    (case "polkit: the file's grant of hv's actions, for the operators group"
      (hasText hvAction fromFile && hasText ''subject.isInGroup("ops")'' fromFile && !hasText "hvoperators" fromFile) fromFile)
    (case "polkit: nothing of libvirt or systemd from the file" (!hasText "org.libvirt" fromFile && !hasText "org.freedesktop" fromFile) fromFile)
    (let
      rule = hvRule hvAction "hvoperators";
      got = grant ("// hv's actions\n" + rule + "\n// a comment after it\n");
    in
    case "polkit: a file holding hv's grant alone gives that grant, comments left out"
      (got == builtins.replaceStrings [ "hvoperators" ] [ "ops" ] (builtins.substring 0 (builtins.stringLength rule - 1) rule)) got)
    (case "polkit: a file without hv's grant is refused" (refused (hvRule ''action.id == "org.libvirt.unix.manage"'' "hvoperators")) "")
    (case "polkit: a grant of hv's actions that also grants libvirt's is refused"
      (refused (hvRule ''(${hvAction} || action.id == "org.libvirt.unix.manage")'' "hvoperators")) "")
    (case "polkit: a grant that no longer names the group placeholder is refused" (refused (hvRule hvAction "wheel")) "")
  ];

  cases = resolveCases ++ hostCases ++ shapeCases ++ catalogCases ++ implementationCases ++ phaseCases ++ networkCases ++ sysctlCases ++ polkitCases;
  failed = filter (c: !c.ok) cases;
in
concatStringsSep "\n" (
  [ "${toString (length cases - length failed)} passed, ${toString (length failed)} failed" ]
  ++ map (c: "FAIL ${c.name}: ${c.detail}") failed
)
