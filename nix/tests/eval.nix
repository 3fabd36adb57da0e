# Evaluates the NixOS module for one host file as NixOS would: with
# evalModules, the declarations of the NixOS options it sets (nixos.nix)
# and their merge rules. By default with the stand-in lib (lib.nix); pass
# nixpkgs' own to check the stand-in:
#
#   nix-instantiate --eval --strict --json nix/tests/eval.nix --arg hostFile /path/host.toml
#     [--arg firstBoot true] [--arg flake true] [--arg lib 'import /path/to/nixpkgs/lib']
#     [--arg extra /path/to/more-configuration.nix]
#
# flake = true evaluates the flake's module (flake.nix's
# nixosModules.default) instead of nix/module.nix. With vmTest (vm.nix,
# vm-hardened.nix) it evaluates that VM test's node (host by default)
# instead, as the test configures it; its host file may be one the test
# writes to the Nix store, so add --read-write-mode (and --store DIR for a
# store of your own). Every defined option is forced; the answer is what
# the Go tests (nix/module_test.go) check: the assertions that fail (NixOS
# refuses to build the system then), the warnings, tmpfiles rules that name
# a path twice, and the settings the privilege boundary rests on. extra is
# one more NixOS module, such as an admin's configuration beside ours.
{ lib ? import ./lib.nix
, hostFile ? null
, firstBoot ? false
, flake ? false
, vmTest ? null
, node ? "host"
, extra ? null
}:
let
  inherit (builtins) attrNames attrValues deepSeq elemAt filter groupBy length match;
  pkgs = import ./pkgs.nix;

  # The VM test as runNixOSTest would get it.
  test = import (./. + "/${vmTest}") { inherit pkgs; module = ../module.nix; };

  # The flake, its nixpkgs input replaced by the stand-ins.
  flakeOutputs = (import ../../flake.nix).outputs {
    self = flakeOutputs // { shortRev = "0000000"; };
    nixpkgs = {
      inherit lib;
      legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] (system: pkgs);
    };
  };

  evaluated = lib.evalModules {
    modules = [ ./nixos.nix ] ++ (
      if vmTest != null then [ test.nodes.${node} ]
      else [
        (if flake then flakeOutputs.nixosModules.default else ../module.nix)
        {
          services.hyper-nixos = {
            enable = true;
            inherit hostFile;
            firstBoot.enable = firstBoot;
          };
        }
      ]) ++ lib.optional (extra != null) extra;
    specialArgs = { inherit pkgs; };
  };
  inherit (evaluated) config;

  # Every option something defines (beyond its default), forced.
  force = o:
    if lib.isOption o then (if o.isDefined && o.highestPrio < 1500 then deepSeq o.value true else true)
    else builtins.all force (attrValues o);
  forced = force (removeAttrs evaluated.options [ "_module" ]);

  # systemd-tmpfiles ignores, with a warning, a second line of the same
  # type for a path.
  rule = r: match "([^ ])[^ ]* +([^ ]+).*" r;
  byTarget = groupBy (r: let m = rule r; in "${elemAt m 0} ${elemAt m 1}") config.systemd.tmpfiles.rules;
  ours = name: match "(hyper-nixos|hv-).*|hv" name != null;
  unit = u: {
    inherit (u) wantedBy requires after wants;
    settings = u.serviceConfig or u.socketConfig;
    unitSettings = u.unitConfig;
    inherit (u) before requiredBy;
    listenStreams = u.listenStreams or null;
    environment = u.environment or { };
    path = map (p: p.name) (u.path or [ ]);
  };
  unitOf = kind: name: if config.systemd.${kind} ? ${name} then unit config.systemd.${kind}.${name} else null;
in
assert forced;
assert vmTest == null || builtins.isString test.testScript;
{
  failedAssertions = map (a: a.message) (filter (a: !a.assertion) config.assertions);
  inherit (config) warnings;
  duplicateTmpfiles = filter (t: length byTarget.${t} > 1) (attrNames byTarget);
  sysctl = config.boot.kernel.sysctl;
  services = filter ours (attrNames config.systemd.services);
  etc = filter (n: match "(hyper-nixos|hv)/.*" n != null) (attrNames config.environment.etc);
  package = config.services.hyper-nixos.package.name;
  packages = map (p: p.name) config.environment.systemPackages;
  operatorsGroup = config.services.hyper-nixos.operators.group;
  polkit = config.security.polkit.extraConfig;
  tmpfiles = config.systemd.tmpfiles.rules;
  sessionVariables = config.environment.sessionVariables;
  # What moving VMs between hosts rests on (nix/peers.nix).
  peers = {
    knownHosts = config.environment.etc."ssh/ssh_known_hosts".text;
    sshConfig = config.environment.etc."ssh/ssh_config".text;
    rootKeys = config.users.users.root.openssh.authorizedKeys.keys or [ ];
    sshd = { inherit (config.services.openssh) enable; inherit (config.services.openssh.settings) PermitRootLogin; };
    firewall = { inherit (config.networking.firewall) extraCommands extraInputRules allowedTCPPortRanges; };
    libvirtdPath = map (p: p.name) config.systemd.services.libvirtd.path;
  };
  units = {
    "hv-peer-key.service" = unitOf "services" "hv-peer-key";
    "hv.socket" = unitOf "sockets" "hv";
    "hv.service" = unitOf "services" "hv";
    "hv-monitor.service" = unitOf "services" "hv-monitor";
  };
}
