# A stand-in for nixpkgs' lib, in builtins only, for evaluating the module
# where nixpkgs cannot be had: the module system (evalModules, options,
# mkIf/mkMerge/mkOverride, the types NixOS declares the module's options
# with) with nixpkgs' merge rules and error messages, and the few plain
# functions the module, its features and the flake call.
#
# It follows nixpkgs' lib/modules.nix and lib/types.nix: definitions are
# pushed down through mkIf and mkMerge before any condition is evaluated;
# at an option, conditions are discharged, only the definitions of the
# highest priority (lowest number: mkForce 50, plain 100, mkDefault 1000,
# option default 1500) are kept, every one must pass the type's check, and
# the type merges them. A definition of an undeclared option is an error,
# unless the module evaluation has a freeformType. standin.nix shows, case
# by case, that it accepts and refuses what nixpkgs' lib does; the Go
# tests run those cases, and the module's, with nixpkgs' own lib instead
# when $HV_NIXPKGS_LIB names one.
#
# Not implemented, because nothing here uses them: mkOrder, mkAliasOptionModule
# and the like, disabledModules, _module.args, option documentation.
let
  inherit (builtins)
    all any attrNames concatLists concatMap concatStringsSep elem elemAt filter foldl' genList head
    isAttrs isBool isFunction isInt isList isPath isString length listToAttrs map mapAttrs match
    removeAttrs replaceStrings split stringLength substring tail toJSON;

  lib = rec {
    # ---------------------------------------------------------------- plain functions

    id = x: x;
    optional = cond: x: if cond then [ x ] else [ ];
    optionals = cond: xs: if cond then xs else [ ];
    optionalAttrs = cond: attrs: if cond then attrs else { };
    optionalString = cond: s: if cond then s else "";
    toList = x: if isList x then x else [ x ];
    last = xs: elemAt xs (length xs - 1);
    reverseList = xs: genList (n: elemAt xs (length xs - 1 - n)) (length xs);
    take = n: xs: genList (elemAt xs) (if n < length xs then n else length xs);
    min = a: b: if a < b then a else b;
    inherit all any concatMap elemAt filter foldl' head tail length listToAttrs concatStringsSep mapAttrs;
    concatMapStringsSep = sep: f: xs: concatStringsSep sep (map f xs);
    nameValuePair = name: value: { inherit name value; };
    genAttrs = names: f: listToAttrs (map (n: nameValuePair n (f n)) names);
    filterAttrs = pred: attrs: listToAttrs (concatMap (n: optional (pred n attrs.${n}) (nameValuePair n attrs.${n})) (attrNames attrs));
    setAttrByPath = path: value: if path == [ ] then value else { ${head path} = setAttrByPath (tail path) value; };
    recursiveUpdate = a: b:
      a // mapAttrs (n: v: if isAttrs v && isAttrs (a.${n} or null) && !(v ? _type) then recursiveUpdate a.${n} v else v) b;
    hasPrefix = prefix: s: substring 0 (stringLength prefix) s == prefix;
    hasInfix = infix: s: length (split (escapeRegex infix) s) > 1;
    escapeRegex = replaceStrings
      [ "\\" "[" "]" "{" "}" "(" ")" "." "*" "+" "?" "^" "$" "|" ]
      [ "\\\\" "\\[" "\\]" "\\{" "\\}" "\\(" "\\)" "\\." "\\*" "\\+" "\\?" "\\^" "\\$" "\\|" ];
    splitString = sep: s: filter isString (split (escapeRegex sep) s);
    toInt = s:
      if match "-?[0-9]+" s != null then builtins.fromJSON (if hasPrefix "0" s && s != "0" then throw "toInt: ${s} has a leading zero" else s)
      else throw "toInt: ${s} is not a decimal integer";
    escapeShellArg = arg:
      let s = toString arg; in
      if match "[[:alnum:],._+:@%/-]+" s != null then s else "'" + replaceStrings [ "'" ] [ "'\\''" ] s + "'";
    escapeShellArgs = xs: concatStringsSep " " (map escapeShellArg xs);
    assertMsg = ok: msg: ok || throw msg;
    isDerivation = x: isAttrs x && (x.type or null) == "derivation";
    isStringLike = x: isString x || isPath x || (isAttrs x && (x ? outPath || x ? __toString));
    isStorePath = x: isStringLike x && builtins.dirOf (toString x) == builtins.storeDir;
    isType = type: x: isAttrs x && (x._type or null) == type;

    # ---------------------------------------------------------------- properties

    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkMerge = contents: { _type = "merge"; inherit contents; };
    mkOverride = priority: content: { _type = "override"; inherit priority content; };
    mkOptionDefault = mkOverride 1500;
    mkDefault = mkOverride 1000;
    mkForce = mkOverride 50;
    defaultOverridePriority = 100;
    # A value computed from another option, at that option's priority.
    mkDerivedConfig = opt: f: mkOverride (opt.highestPrio or defaultOverridePriority) (f opt.value);

    # ---------------------------------------------------------------- options

    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = name: mkOption {
      type = types.bool;
      default = false;
      example = true;
      description = "Whether to enable ${name}.";
    };
    isOption = isType "option";
    literalExpression = text: { _type = "literalExpression"; inherit text; };

    # foo."bar.baz".qux, as nixpkgs prints option paths.
    showOption = parts: concatStringsSep "." (map
      (p: if p == "*" || match "<.*>" p != null || match "[A-Za-z_][A-Za-z0-9_'-]*" p != null then p else toJSON p)
      parts);
    showValue = v:
      if isString v || isInt v || isBool v || v == null then ": " + toJSON v
      else if isDerivation v then ": <derivation ${v.name or "?"}>"
      else "";
    showDefs = defs: concatStringsSep "" (map (def: "\n- In `${def.file}'${showValue def.value}") defs);
    showFiles = files: concatStringsSep " and " (map (f: "`${f}'") files);

    getValues = map (def: def.value);
    getFiles = map (def: def.file);

    mergeDefaultOption = loc: defs:
      let list = getValues defs; in
      if length list == 1 then head list
      else if all isList list then concatLists list
      else if all isAttrs list then foldl' (a: b: a // b) { } list
      else if all isBool list then any id list
      else if all isString list then concatStringsSep "" list
      else if all isInt list && all (x: x == head list) list then head list
      else throw "Cannot merge definitions of `${showOption loc}'. Definition values:${showDefs defs}";

    mergeEqualOption = loc: defs:
      if length defs == 1 then (head defs).value
      else (foldl'
        (first: def:
          if def.value != first.value then
            throw "The option `${showOption loc}' has conflicting definition values:${showDefs [ first def ]}\nUse `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions."
          else first)
        (head defs)
        (tail defs)).value;

    mergeUniqueOption = { message, merge ? loc: defs: (head defs).value }: loc: defs:
      if length defs == 1 then merge loc defs
      else throw "The option `${showOption loc}' is defined multiple times while it's expected to be unique.\n${message}\nDefinition values:${showDefs defs}\nUse `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.";

    mergeOneOption = mergeUniqueOption { message = ""; };

    # mkMerge and mkIf, evaluated: the definitions that apply.
    dischargeProperties = def:
      if (def._type or "") == "merge" then concatMap dischargeProperties def.contents
      else if (def._type or "") == "if" then
        if isBool def.condition then (if def.condition then dischargeProperties def.content else [ ])
        else throw "‘mkIf’ called with a non-Boolean condition"
      else if (def._type or "") == "order" then throw "the stand-in lib (nix/tests/lib.nix) does not implement mkOrder"
      else [ def ];

    # The definitions of the highest priority, unwrapped.
    filterOverrides = defs: (filterOverrides' defs).values;
    filterOverrides' = defs:
      let
        prio = def: if (def.value._type or "") == "override" then def.value.priority else defaultOverridePriority;
        strip = def: if (def.value._type or "") == "override" then def // { value = def.value.content; } else def;
        highestPrio = foldl' (p: def: min (prio def) p) 9999 defs;
      in
      { values = map strip (filter (def: prio def == highestPrio) defs); inherit highestPrio; };

    # An attribute set's mkMerge, mkIf and mkOverride, pushed into its
    # attributes without evaluating any condition: what lets a module's
    # shape be known before config is.
    pushDownProperties = cfg:
      let onAttrs = f: v: if isAttrs v then mapAttrs f v else v; in
      if (cfg._type or "") == "merge" then concatMap pushDownProperties cfg.contents
      else if (cfg._type or "") == "if" then map (onAttrs (n: v: mkIf cfg.condition v)) (pushDownProperties cfg.content)
      else if (cfg._type or "") == "override" then map (onAttrs (n: v: mkOverride cfg.priority v)) (pushDownProperties cfg.content)
      else [ cfg ];

    mergeDefinitions = loc: type: defs:
      let
        discharged = concatMap (def: map (value: { inherit (def) file; inherit value; }) (dischargeProperties def.value)) defs;
        filtered = filterOverrides' discharged;
        final = filtered.values;
        isDefined = final != [ ];
        invalid = filter (def: !type.check def.value) final;
        mergedValue =
          if isDefined then
            if invalid == [ ] then type.merge loc final
            else throw "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition values:${showDefs invalid}"
          else if type.emptyValue ? value then type.emptyValue.value
          else throw "The option `${showOption loc}' was accessed but has no value defined. Try setting the option.";
      in
      {
        inherit isDefined mergedValue;
        inherit (filtered) highestPrio;
        defsFinal = final;
        optionalValue = if isDefined then { value = mergedValue; } else { };
      };

    # ---------------------------------------------------------------- the module system

    # Modules are paths, functions of { config, options, lib, ... } and
    # specialArgs, or attribute sets: { imports, options, config } or the
    # shorthand where everything but imports is config.
    evalModules = { modules, specialArgs ? { }, prefix ? [ ] }:
      let
        args = { inherit lib config options; } // specialArgs;

        # Each module once (a path is one module however often imported),
        # breadth first, and then reversed, as nixpkgs orders them: the
        # order in which definitions of lists and lines are joined.
        load = parentKey: file: n: m:
          let
            f = if isPath m || isString m then import m else m;
            file' = if isPath m || isString m then toString m else file;
            v = if isFunction f then f args else f;
            structured = v ? options || v ? config;
            known = [ "_file" "key" "imports" "options" "config" "freeformType" "meta" "disabledModules" ];
            strays = filter (n: !elem n known) (attrNames v);
            key = if isPath m || isString m then toString m else "${parentKey}:anon-${toString n}";
          in
          if !isAttrs v then throw "module ${file'} is not an attribute set"
          else if structured && strays != [ ] then
            throw "Module `${file'}' has an unsupported attribute `${head strays}'. This is caused by introducing a top-level `config' or `options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: ${concatStringsSep " " strays}) into the explicit `config' attribute."
          else {
            inherit key;
            imports = v.imports or [ ];
            module = {
              file = v._file or file';
              options = v.options or { };
              config = if structured then v.config or { } else removeAttrs v known;
              freeformType = v.freeformType or null;
            };
          };
        loadAll = parentKey: file: ms: genList (n: load parentKey file (n + 1) (elemAt ms n)) (length ms);
        mods = reverseList (map (e: e.module) (builtins.genericClosure {
          startSet = loadAll "" "<unknown-file>" modules;
          operator = e: loadAll e.key e.module.file e.imports;
        }));

        # One tree of declarations: options may not be declared twice.
        declare = loc: file: a: b: a // mapAttrs
          (n: decl:
            let here = loc ++ [ n ]; in
            if !(a ? ${n}) then (if isOption decl then decl // { declarations = [ file ]; } else declare here file { } decl)
            else if isOption decl || isOption a.${n} then
              throw "The option `${showOption here}' in `${file}' is already declared in ${showFiles (a.${n}.declarations or [ "another module" ])}."
            else declare here file a.${n} decl)
          b;
        declarations = foldl' (acc: m: declare prefix m.file acc m.options) { } mods;

        evalOption = loc: opt: defs:
          let
            withDefault = optional (opt ? default) { file = head opt.declarations; value = mkOptionDefault opt.default; } ++ defs;
            res = mergeDefinitions loc opt.type withDefault;
          in
          opt // {
            inherit loc;
            value = if opt ? apply then opt.apply res.mergedValue else res.mergedValue;
            inherit (res) isDefined highestPrio;
            definitions = getValues res.defsFinal;
            files = getFiles res.defsFinal;
          };

        # The definitions under a namespace (not an option), by attribute.
        walk = loc: decls: defs:
          let
            pushed = concatMap
              (def: map
                (value:
                  if isAttrs value then mapAttrs (n: v: { inherit (def) file; value = v; }) value
                  else throw "A definition for `${showOption loc}' in `${def.file}' is not an attribute set of options${showValue value}")
                (pushDownProperties def.value))
              defs;
            byName = builtins.zipAttrsWith (n: ds: ds) pushed;
            results = mapAttrs
              (n: decl:
                if isOption decl then evalOption (loc ++ [ n ]) decl (byName.${n} or [ ])
                else walk (loc ++ [ n ]) decl (byName.${n} or [ ]))
              decls;
            undeclared = filter (n: !(decls ? ${n})) (attrNames byName);
          in
          {
            options = mapAttrs (n: r: if isOption decls.${n} then r else r.options) results;
            config = mapAttrs (n: r: if isOption decls.${n} then r.value else r.config) results;
            unmatched =
              concatMap (n: map (def: def // { prefix = [ n ]; }) byName.${n}) undeclared
              ++ concatMap
                (n: map (u: u // { prefix = [ n ] ++ u.prefix; }) results.${n}.unmatched)
                (filter (n: !isOption decls.${n}) (attrNames decls));
          };

        tree = walk prefix declarations (map (m: { inherit (m) file; value = m.config; }) mods);
        options = tree.options;

        freeformType = foldl' (t: m: if m.freeformType != null then m.freeformType else t) null mods;
        config =
          if freeformType == null then tree.config
          else recursiveUpdate
            (if tree.unmatched == [ ] then { }
             else freeformType.merge prefix (map (u: { inherit (u) file; value = setAttrByPath u.prefix u.value; }) tree.unmatched))
            tree.config;

        checked =
          if freeformType != null || tree.unmatched == [ ] then true
          else
            let u = head tree.unmatched; in
            throw "The option `${showOption (prefix ++ u.prefix)}' does not exist. Definition values:${showDefs [ u ]}";
      in
      {
        config = builtins.seq checked config;
        inherit options;
      };

    # ---------------------------------------------------------------- types

    mkOptionType =
      { name
      , description ? name
      , check ? (x: true)
      , merge ? mergeDefaultOption
      , emptyValue ? { }
      , ...
      }@attrs:
      attrs // { _type = "option-type"; inherit name description check merge emptyValue; };

    types = rec {
      unspecified = mkOptionType { name = "unspecified"; description = "unspecified value"; };
      bool = mkOptionType { name = "bool"; description = "boolean"; check = isBool; merge = mergeEqualOption; };
      int = mkOptionType { name = "int"; description = "signed integer"; check = isInt; merge = mergeEqualOption; };
      ints = {
        between = lo: hi: addCheck int (x: x >= lo && x <= hi) // {
          name = "intBetween";
          description = "integer between ${toString lo} and ${toString hi} (both inclusive)";
        };
        unsigned = addCheck int (x: x >= 0) // { name = "unsignedInt"; description = "unsigned integer, meaning >=0"; };
        positive = addCheck int (x: x > 0) // { name = "positiveInt"; description = "positive integer, meaning >0"; };
        u16 = ints.between 0 65535 // { name = "unsignedInt16"; description = "16 bit unsigned integer; between 0 and 65535 (both inclusive)"; };
      };
      port = ints.u16;
      str = mkOptionType { name = "str"; description = "string"; check = isString; merge = mergeEqualOption; };
      singleLineStr = addCheck str (x: match "[^\n\r]*\n?" x != null) // {
        name = "singleLineStr";
        description = "(optionally newline-terminated) single-line string";
        merge = loc: defs: let s = mergeEqualOption loc defs; n = stringLength s; in
          if n > 0 && substring (n - 1) 1 s == "\n" then substring 0 (n - 1) s else s;
      };
      strMatching = pattern: mkOptionType {
        name = "strMatching ${toJSON pattern}";
        description = "string matching the pattern ${pattern}";
        check = x: isString x && match pattern x != null;
        merge = mergeEqualOption;
      };
      separatedString = sep: mkOptionType {
        name = "separatedString";
        description = "strings concatenated with ${toJSON sep}";
        check = isString;
        merge = loc: defs: concatStringsSep sep (getValues defs);
      };
      lines = separatedString "\n";
      passwdEntry = t: addCheck t (s: !(hasInfix ":" s || hasInfix "\n" s)) // {
        name = "passwdEntry ${t.name}";
        description = "${t.description}, not containing newlines or colons";
      };
      path = mkOptionType {
        name = "path";
        description = "absolute path";
        check = x: isStringLike x && substring 0 1 (toString x) == "/";
        merge = mergeEqualOption;
      };
      package = mkOptionType {
        name = "package";
        check = x: isDerivation x || isStorePath x;
        merge = mergeOneOption;
      };
      attrs = mkOptionType {
        name = "attrs";
        description = "attribute set";
        check = isAttrs;
        merge = loc: foldl' (res: def: res // def.value) { };
        emptyValue = { value = { }; };
      };
      enum = values: mkOptionType {
        name = "enum";
        description = "one of ${concatMapStringsSep ", " toJSON values}";
        check = x: elem x values;
        merge = mergeEqualOption;
      };

      listOf = elemType: mkOptionType {
        name = "listOf";
        description = "list of ${elemType.description}";
        check = isList;
        merge = loc: defs:
          map (x: x.mergedValue) (filter (x: x.isDefined) (concatLists (genList
            (n: let def = elemAt defs n; in genList
              (m: mergeDefinitions (loc ++ [ "[definition ${toString (n + 1)}-entry ${toString (m + 1)}]" ]) elemType
                [ { inherit (def) file; value = elemAt def.value m; } ])
              (length def.value))
            (length defs))));
        emptyValue = { value = [ ]; };
      };

      attrsOf = elemType: mkOptionType {
        name = "attrsOf";
        description = "attribute set of ${elemType.description}";
        check = isAttrs;
        merge = loc: defs:
          mapAttrs (n: r: r.mergedValue) (filterAttrs (n: r: r.isDefined) (builtins.zipAttrsWith
            (name: ds: mergeDefinitions (loc ++ [ name ]) elemType ds)
            (map (def: mapAttrs (n: v: { inherit (def) file; value = v; }) def.value) defs)));
        emptyValue = { value = { }; };
      };

      nullOr = elemType: mkOptionType {
        name = "nullOr";
        description = "null or ${elemType.description}";
        check = x: x == null || elemType.check x;
        merge = loc: defs:
          let nulls = filter (def: def.value == null) defs; in
          if nulls == [ ] then elemType.merge loc defs
          else if length nulls == length defs then null
          else throw "The option `${showOption loc}` is defined both null and not null, in ${showFiles (getFiles defs)}.";
        emptyValue = { value = null; };
      };

      # The first type that all definitions fit merges them; when none does,
      # a single definition is accepted, as nixpkgs does (with a warning).
      either = t1: t2: mkOptionType {
        name = "either";
        description = "${t1.description} or ${t2.description}";
        check = x: t1.check x || t2.check x;
        merge = loc: defs:
          if all (def: t1.check def.value) defs then t1.merge loc defs
          else if all (def: t2.check def.value) defs then t2.merge loc defs
          else mergeOneOption loc defs;
      };
      oneOf = ts: foldl' either (head ts) (tail ts);

      coercedTo = coercedType: coerce: finalType: mkOptionType {
        name = "coercedTo";
        description = "${finalType.description} or ${coercedType.description} convertible to it";
        check = x: (coercedType.check x && finalType.check (coerce x)) || finalType.check x;
        merge = loc: defs: finalType.merge loc
          (map (def: def // { value = if coercedType.check def.value then coerce def.value else def.value; }) defs);
        inherit (finalType) emptyValue;
      };

      unique = { message }: t: t // {
        name = "unique";
        merge = mergeUniqueOption { inherit message; inherit (t) merge; };
      };
      uniq = unique { message = ""; };

      submoduleWith = { modules, specialArgs ? { }, shorthandOnlyDefinesConfig ? false, description ? "submodule" }:
        let
          asModule = def:
            if isAttrs def.value && shorthandOnlyDefinesConfig then { _file = def.file; config = def.value; }
            else { _file = def.file; imports = [ def.value ]; };
          configOf = name: defs: loc: (evalModules {
            modules = modules ++ map asModule defs;
            specialArgs = specialArgs // { inherit name; };
            prefix = loc;
          }).config;
        in
        mkOptionType {
          name = "submodule";
          inherit description;
          check = x: isAttrs x || isFunction x || path.check x;
          merge = loc: defs: configOf (last loc) defs loc;
          emptyValue = { value = configOf "‹name›" [ ] [ ]; };
        };
      submodule = modules: submoduleWith { shorthandOnlyDefinesConfig = true; modules = toList modules; };
    };

    addCheck = t: check: t // { check = x: t.check x && check x; };
  };
in
lib
