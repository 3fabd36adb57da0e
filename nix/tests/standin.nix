# The stand-ins (lib.nix, nixos.nix) refuse what NixOS refuses and accept
# what it accepts: each case evaluates a few definitions beside nixos.nix's
# declarations. A case with `refuse` must stop the evaluation with an error
# containing that text (nixpkgs' own message); the others must give
# `expect`. nix/module_test.go runs every case, with nixpkgs' lib too when
# $HV_NIXPKGS_LIB names one:
#
#   nix-instantiate --eval --strict --json nix/tests/standin.nix                  # the cases
#   nix-instantiate --eval --strict --json nix/tests/standin.nix --argstr case NAME
{ lib ? import ./lib.nix, case ? null }:
let
  inherit (lib) mkDefault mkForce mkIf mkMerge;
  sysctl = c: c.boot.kernel.sysctl;

  cases = {
    # Refused, as by NixOS.
    "two equal definitions of one sysctl key" = {
      modules = [ { boot.kernel.sysctl."fs.suid_dumpable" = 0; } { boot.kernel.sysctl."fs.suid_dumpable" = 0; } ];
      read = sysctl;
      refuse = "The option `boot.kernel.sysctl.\"fs.suid_dumpable\"' is defined multiple times while it's expected to be unique.";
    };
    "two mkForce definitions of one sysctl key" = {
      modules = [ { boot.kernel.sysctl."kernel.kptr_restrict" = mkForce 2; } { boot.kernel.sysctl."kernel.kptr_restrict" = mkForce 2; } ];
      read = sysctl;
      refuse = "is defined multiple times while it's expected to be unique";
    };
    "an undeclared option" = {
      modules = [ { boot.kernel.sysctls."fs.suid_dumpable" = 0; } ];
      read = sysctl;
      refuse = "The option `boot.kernel.sysctls' does not exist.";
    };
    "an undeclared option in a submodule" = {
      modules = [ { systemd.services.hv-test.serviceConfg.Type = "oneshot"; } ];
      read = c: c.systemd.services;
      refuse = "The option `systemd.services.hv-test.serviceConfg' does not exist.";
    };
    "a string for a boolean" = {
      modules = [ { virtualisation.libvirtd.qemu.runAsRoot = "no"; } ];
      read = c: c.virtualisation.libvirtd.qemu.runAsRoot;
      refuse = "A definition for option `virtualisation.libvirtd.qemu.runAsRoot' is not of type `boolean'.";
    };
    "a list for a sysctl value" = {
      modules = [ { boot.kernel.sysctl."vm.swappiness" = [ 10 ]; } ];
      read = sysctl;
      refuse = "A definition for option `boot.kernel.sysctl.\"vm.swappiness\"' is not of type `sysctl option value'.";
    };
    "a kernel parameter with a space" = {
      modules = [ { boot.kernelParams = [ "quiet splash" ]; } ];
      read = c: c.boot.kernelParams;
      refuse = "is not of type `string, with spaces inside double quotes'";
    };
    "a value outside an enum" = {
      modules = [ { virtualisation.libvirtd.onShutdown = "poweroff"; } ];
      read = c: c.virtualisation.libvirtd.onShutdown;
      refuse = "A definition for option `virtualisation.libvirtd.onShutdown' is not of type `one of \"shutdown\", \"suspend\"'.";
    };
    "two different booleans" = {
      modules = [ { security.apparmor.enable = true; } { security.apparmor.enable = false; } ];
      read = c: c.security.apparmor.enable;
      refuse = "The option `security.apparmor.enable' has conflicting definition values:";
    };
    "two different unit settings" = {
      modules = [ { systemd.services.hv-test.serviceConfig.Type = "oneshot"; } { systemd.services.hv-test.serviceConfig.Type = "simple"; } ];
      read = c: c.systemd.services.hv-test.serviceConfig;
      refuse = "The option `systemd.services.hv-test.serviceConfig.Type' has conflicting definition values:";
    };
    "a unit name without its type" = {
      modules = [ { systemd.services.hv-test.after = [ "libvirtd" ]; } ];
      read = c: c.systemd.services.hv-test.after;
      refuse = "is not of type `string matching the pattern";
    };

    # Accepted, as by NixOS.
    "a plain definition beside mkDefault" = {
      # NixOS itself sets kernel.kptr_restrict = mkDefault 1.
      modules = [ { boot.kernel.sysctl."kernel.kptr_restrict" = 2; } ];
      read = c: c.boot.kernel.sysctl."kernel.kptr_restrict";
      expect = 2;
    };
    "mkForce over a plain definition" = {
      modules = [ { boot.kernel.sysctl."kernel.kptr_restrict" = 2; } { boot.kernel.sysctl."kernel.kptr_restrict" = mkForce 1; } ];
      read = c: c.boot.kernel.sysctl."kernel.kptr_restrict";
      expect = 1;
    };
    "mkForce over a plain boolean" = {
      modules = [ { services.openssh.settings.PasswordAuthentication = false; } { services.openssh.settings.PasswordAuthentication = mkForce true; } ];
      read = c: c.services.openssh.settings.PasswordAuthentication;
      expect = true;
    };
    "mkIf false defines nothing" = {
      modules = [ { boot.kernel.sysctl."fs.suid_dumpable" = 0; } (mkIf false { boot.kernel.sysctl."fs.suid_dumpable" = 0; }) ];
      read = c: c.boot.kernel.sysctl."fs.suid_dumpable";
      expect = 0;
    };
    "equal booleans agree" = {
      modules = [ { security.apparmor.enable = true; } { security.apparmor.enable = true; } ];
      read = c: c.security.apparmor.enable;
      expect = true;
    };
    "an option's default gives way to a definition" = {
      modules = [ { nix.settings.allowed-users = [ "root" ]; } ];
      read = c: c.nix.settings.allowed-users;
      expect = [ "root" ];
    };
    # Joined in the reverse order of the modules, as nixpkgs does.
    "lists concatenate" = {
      modules = [ { systemd.tmpfiles.rules = [ "d /a - - - -" ]; } { systemd.tmpfiles.rules = [ "d /b - - - -" ]; } ];
      read = c: c.systemd.tmpfiles.rules;
      expect = [ "d /b - - - -" "d /a - - - -" ];
    };
    "lines join" = {
      modules = [ { security.polkit.extraConfig = "a"; } { security.polkit.extraConfig = "b"; } ];
      read = c: c.security.polkit.extraConfig;
      expect = "b\na";
    };
    "submodules merge" = {
      modules = [
        { users.groups.hvoperators.members = [ "alice" ]; systemd.services.hv-test = { after = [ "a.service" ]; serviceConfig.Type = "oneshot"; }; }
        { users.groups.hvoperators.members = [ "bob" ]; systemd.services.hv-test = { after = [ "b.service" ]; serviceConfig.Type = "oneshot"; }; }
      ];
      read = c: { inherit (c.users.groups.hvoperators) name members; inherit (c.systemd.services.hv-test) after serviceConfig; };
      expect = { name = "hvoperators"; members = [ "alice" "bob" ]; after = [ "a.service" "b.service" ]; serviceConfig.Type = "oneshot"; };
    };
    "mkIf and mkMerge inside a submodule's value" = {
      modules = [ {
        systemd.services.hv-test = mkMerge [
          { description = "test"; }
          (mkIf false { description = "never"; })
          { wantedBy = mkDefault [ "default.target" ]; }
        ];
      } ];
      read = c: { inherit (c.systemd.services.hv-test) description wantedBy enable; };
      expect = { description = "test"; wantedBy = [ "default.target" ]; enable = true; };
    };
    "environment.etc text becomes a source" = {
      modules = [ { environment.etc."hv/x.toml".text = "a = 1"; } ];
      read = c: c.environment.etc."hv/x.toml".source.name;
      expect = "etc-x.toml";
    };
  };

  pkgs = import ./pkgs.nix;
  run = c:
    let
      config = (lib.evalModules { modules = [ ./nixos.nix ] ++ c.modules; specialArgs = { inherit pkgs; }; }).config;
      got = c.read config;
    in
    if c ? refuse then builtins.deepSeq got { accepted = got; }
    else { ok = got == c.expect; inherit got; inherit (c) expect; };
in
if case == null then builtins.mapAttrs (n: c: { refuse = c.refuse or null; }) cases
else run (cases.${case} or (throw "no case ${builtins.toJSON case} in nix/tests/standin.nix"))
