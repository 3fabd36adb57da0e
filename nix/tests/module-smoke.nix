# Evaluates nix/module.nix and every feature implementation with small
# stand-ins for nixpkgs' lib and pkgs (builtins only), forcing every value:
# a mistake the parser cannot see (a wrong type, a bad interpolation, a
# misnamed argument) stops the evaluation. It proves nothing about real
# NixOS options; the VM test (vm.nix) does that where nixpkgs is at hand.
#
#   nix-instantiate --eval --strict nix/tests/module-smoke.nix   => "ok"
let
  inherit (builtins) concatStringsSep filter isString length map replaceStrings split stringLength substring;

  lib = rec {
    # Option declarations and priorities, as plain data.
    mkOption = attrs: attrs;
    mkEnableOption = name: { description = name; };
    literalExpression = text: text;
    types = {
      path = "path";
      bool = "bool";
      str = "str";
      package = "package";
      enum = values: { enum = values; };
      strMatching = re: { matching = re; };
      listOf = t: { listOf = t; };
      nullOr = t: { nullOr = t; };
    };
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkMerge = contents: { _type = "merge"; inherit contents; };
    mkDefault = x: x;
    mkForce = x: x;
    # The functions the module and features use on values.
    assertMsg = ok: msg: ok || throw msg;
    hasPrefix = p: s: substring 0 (stringLength p) s == p;
    hasInfix = infix: s: length (split (replaceStrings [ "." ] [ "[.]" ] infix) s) > 1;
    optionalAttrs = c: attrs: if c then attrs else { };
    optional = c: x: if c then [ x ] else [ ];
    concatStringsSep = builtins.concatStringsSep;
    concatMapStringsSep = sep: f: l: concatStringsSep sep (map f l);
    splitString = sep: s: filter isString (split "[${sep}]" s);
    toInt = s: builtins.fromJSON s;
    elemAt = builtins.elemAt;
    take = n: l: builtins.genList (builtins.elemAt l) (if n < length l then n else length l);
    min = a: b: if a < b then a else b;
    nameValuePair = name: value: { inherit name value; };
    listToAttrs = builtins.listToAttrs;
    escapeShellArg = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] (toString s) + "'";
    escapeShellArgs = l: concatStringsSep " " (map escapeShellArg l);
  };

  store = name: "/nix/store/00000000000000000000000000000000-${name}";
  pkgs = {
    callPackage = path: args: store "hv";
    writeText = name: text: builtins.seq text (store name);
    virtiofsd = store "virtiofsd";
    usbutils = store "usbutils";
    OVMFFull.fd = store "OVMF-fd";
    virtio-win = store "virtio-win";
    cryptsetup = store "cryptsetup";
    coreutils = store "coreutils";
    gawk = store "gawk";
    gnugrep = store "gnugrep";
    findutils = store "findutils";
    git = store "git";
    novnc = store "novnc";
    python3Packages.websockify = store "websockify";
  };

  # The module evaluated for a host file, and in first-boot mode (no host
  # file yet, the wizard on tty1). The options' defaults are filled in by
  # hand, as the module system would.
  evaluate = { hostFile, phase, users, firstBoot }:
    let
      cfg = {
        enable = true;
        package = store "hv";
        inherit hostFile phase;
        operators = { group = "hvoperators"; inherit users; };
        libvirtUri = "qemu:///system";
        firstBoot.enable = firstBoot;
        consoleMenu.sshUsers = [ "alice" ];
        apply = { installPath = "/etc/nixos/hyper-nixos/host.toml"; rebuildCommand = [ "nixos-rebuild" "switch" ]; };
      };
      config = {
        services.hyper-nixos = cfg;
        virtualisation.libvirtd = { package = store "libvirt"; qemu.package = store "qemu"; };
        system.build.nixos-rebuild = store "nixos-rebuild";
        systemd.package = store "systemd";
        nix = { package = store "nix"; envVars = { }; };
        environment.sessionVariables = { };
      };
    in
    import ../module.nix { inherit config lib pkgs; };

  withHostFile = evaluate { hostFile = ./vm-host.toml; phase = "setup"; users = [ "alice" ]; firstBoot = true; };
  newHost = evaluate { hostFile = ./no-host-file-here.toml; phase = "setup"; users = [ ]; firstBoot = true; };
  # The wizard unit exists in both; the host file is in /etc only once there is one.
  etcHost = m: (builtins.elemAt m.config.content.contents 0).environment.etc."hyper-nixos/host.toml".condition;
in
assert etcHost withHostFile;
assert !(etcHost newHost);
builtins.deepSeq [ withHostFile newHost ] "ok"
