# services.hyper-nixos: a NixOS virtualisation host managed with hv.
#
# The module reads two TOML files with builtins.fromTOML: the feature
# catalog (./catalog.toml, the one hv embeds) and the host file, where hv
# keeps the operators' choices. It enables libvirtd, runs hv's daemon, the
# operators' only way to change it (daemon.nix: the privilege boundary),
# installs hv, implements every feature the host file selects, and runs
# hyper-nixos-apply.service, which the daemon starts to apply what
# operators staged through it.
#
# Infinite recursion is avoided by construction: the module's shape never
# depends on config. Everything sits under one mkIf cfg.enable, each
# feature under its own mkIf, and the rules between features are
# assertions.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkEnableOption mkIf mkMerge mkOption types literalExpression;

  cfg = config.services.hyper-nixos;

  catalog = builtins.fromTOML (builtins.readFile ./catalog.toml);
  schema = builtins.fromTOML (builtins.readFile ./host-schema.toml);
  hostLib = import ./lib/host.nix { inherit catalog schema; };
  catalogErrors = (import ./lib/catalog.nix { inherit catalog; }).errors;

  # First boot: no host file yet, and the wizard asked for. The module then
  # runs the bootstrap host (setup phase, no features) and the wizard on
  # tty1 until the wizard's file is applied. Asked for, never assumed: a
  # missing host file without firstBoot.enable stops the evaluation.
  firstBoot = cfg.firstBoot.enable && !builtins.pathExists cfg.hostFile;
  bootstrap = hostLib.withDefaults { version = hostLib.hostVersion; phase = "setup"; features = [ ]; };

  # Read lazily: only an enabled module, or an option default, reads it.
  host = if firstBoot then bootstrap else hostLib.read cfg.hostFile;
  checked = hostLib.check host;
  # With any problem nothing is implemented: the assertions explain, and
  # conflicting features never meet in the option merge.
  enabled = id: checked.problems == [ ] && builtins.elem id checked.enabled;

  # The other hv hosts VMs move between, and the root trust for it
  # (peers.nix): nothing of it while the host file has problems.
  peers = import ./peers.nix {
    inherit config lib pkgs cfg;
    entries = if checked.problems == [ ] then host.hosts.peers else [ ];
  };

  implementations = import ./features { inherit config lib pkgs host cfg; peers = peers.names; };
  phaseSettings = import ./phases.nix { inherit config lib pkgs; };
  featureIds = map (f: f.id) catalog.feature;
  phaseIds = map (p: p.id) catalog.phase;

  # Every part of the module that may be on: the settings of each phase and
  # of each feature, with whether it is on. The list's shape never depends
  # on config, only `on` does.
  parts =
    map (id: {
      on = cfg.phase == id;
      settings = phaseSettings.${id} or (throw "hyper-nixos: phase ${id} has no settings in nix/phases.nix");
    }) phaseIds
    ++ map (id: {
      on = enabled id;
      settings = implementations.${id} or (throw "hyper-nixos: feature ${id} has no implementation in nix/features");
    }) featureIds;

  # NixOS takes one definition per sysctl key, even when two agree, and the
  # hardened phase and several hardening features set the same keys. So the
  # sysctl settings of the parts that are on become one definition, and each
  # part is merged without its own (tests/run.nix checks that parts that can
  # be on together agree on every key they share).
  sysctl = builtins.foldl' (acc: p: acc // (p.settings.boot.kernel.sysctl or { })) { } (builtins.filter (p: p.on) parts);
  withoutSysctl = settings:
    if settings ? boot.kernel.sysctl
    then settings // { boot = settings.boot // { kernel = removeAttrs settings.boot.kernel [ "sysctl" ]; }; }
    else settings;

  stateDir = "/var/lib/hyper-nixos";
  stagedFile = "${stateDir}/staged/host.toml";
  resultFile = "${stateDir}/last-apply.json";

  installPath =
    if cfg.apply.installPath != null then cfg.apply.installPath
    else if lib.hasPrefix builtins.storeDir (toString cfg.hostFile) then null
    else toString cfg.hostFile;

  # An option pinned in Nix must agree with the host file, or hv would show
  # one thing while the system does another.
  agrees = name: value: fromHost: {
    assertion = value == fromHost;
    message = ''
      hyper-nixos: services.hyper-nixos.${name} is ${builtins.toJSON value} in the NixOS configuration,
      but the host file ${toString cfg.hostFile} says ${builtins.toJSON fromHost}.
      Keep it in one place: remove the option (the host file is the default), or change the host file.'';
  };
in
{
  # hv's daemon and who may write what; the threat monitor's service (its
  # own options, enabled by the hv-monitor feature).
  imports = [ ./daemon.nix ./threat-monitor.nix ];

  options.services.hyper-nixos = {
    enable = mkEnableOption "Hyper-NixOS: VM management for an operators group through hv's daemon, hv, and the host features of the host file";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = literalExpression "pkgs.callPackage ./nix/package.nix { }";
      description = "The hv package. The flake's module sets it to the flake's own build.";
    };

    hostFile = mkOption {
      type = types.path;
      default = "/etc/nixos/hyper-nixos/host.toml";
      example = literalExpression "./hyper-nixos/host.toml";
      description = ''
        The host file: the features, phase, operators and settings chosen with hv. It must
        exist: a missing file stops the evaluation rather than fall back to defaults. In a
        flake, point this at a file of the flake (and git add it); a flake cannot read /etc.
      '';
    };

    phase = mkOption {
      type = types.enum phaseIds;
      default = host.phase;
      defaultText = literalExpression "the host file's phase";
      description = ''
        The security phase (${lib.concatStringsSep ", " phaseIds}). It comes from the host file;
        setting it here pins it: evaluation fails while the host file says otherwise, so
        nobody moves the host out of it through hv.
      '';
    };

    operators = {
      group = mkOption {
        type = types.strMatching "[a-z_][a-z0-9_-]{0,31}";
        default = host.operators.group;
        defaultText = literalExpression "the host file's operators.group";
        description = "The group whose members hv's daemon serves: polkit grants them hv's actions (org.hyper-nixos.*); libvirt itself only read-only.";
      };
      users = mkOption {
        type = types.listOf types.str;
        default = host.operators.users;
        defaultText = literalExpression "the host file's operators.users";
        description = "Users put in the operators group. They manage VMs through hv's daemon, within the phase and the approved pool roots; never put them in the libvirtd group (read-write libvirt is as good as root).";
      };
    };

    libvirtUri = mkOption {
      type = types.str;
      default = host.libvirt.uri;
      defaultText = literalExpression "the host file's libvirt.uri";
      description = "The libvirt connection of hv's daemon (and of hv run as root).";
    };

    firstBoot.enable = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Set a new host up with the wizard: while hostFile does not exist, the module runs
        without features (setup phase) and hyper-nixos-wizard.service shows the setup wizard
        on tty1, as root, at every boot, until the file it stages is applied. The wizard
        offers nothing else of hv: log in for that. Without this option a missing host
        file stops the evaluation. In a flake, git add the file once written.
      '';
    };

    consoleMenu.sshUsers = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "alice" ];
      description = ''
        Operators who get hv when they log in over SSH too (the console-menu feature opens
        it on tty1). Each operator may also opt in alone with ~/.config/hv/menu-on-ssh.
      '';
    };

    peers = peers.option;

    apply = {
      installPath = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/etc/nixos/hyper-nixos/host.toml";
        description = ''
          Where hyper-nixos-apply.service installs a staged host file before rebuilding: the
          file hostFile reads, in the checkout of the configuration. Defaults to hostFile when
          that is a path outside the Nix store; set it when hostFile is a flake's file.
        '';
      };
      rebuildCommand = mkOption {
        type = types.listOf types.str;
        default = [ "nixos-rebuild" "switch" ];
        example = [ "nixos-rebuild" "switch" "--flake" "/etc/nixos#myhost" ];
        description = "The command that rebuilds the system after a host file is installed.";
      };
    };
  };

  config = mkIf cfg.enable (mkMerge ([
    {
      assertions = [
        {
          assertion = catalogErrors == [ ];
          message = "hyper-nixos: the feature catalog is invalid: ${lib.concatStringsSep "; " catalogErrors}";
        }
        {
          assertion = installPath != null;
          message = ''
            hyper-nixos: services.hyper-nixos.hostFile is in the Nix store (${toString cfg.hostFile}),
            so the apply service cannot know where to install new host files. Set
            services.hyper-nixos.apply.installPath to that file's place in your checkout,
            such as /etc/nixos/hyper-nixos/host.toml.'';
        }
        (agrees "phase" cfg.phase host.phase)
        (agrees "operators.group" cfg.operators.group host.operators.group)
        (agrees "operators.users" cfg.operators.users host.operators.users)
        (agrees "libvirtUri" cfg.libvirtUri host.libvirt.uri)
      ] ++ map
        (p: {
          assertion = false;
          message = "hyper-nixos: ${p.message} (host file ${toString cfg.hostFile}; 'hv features show ID' explains a feature)";
        })
        checked.problems;

      warnings = lib.optional firstBoot ''
        hyper-nixos: no host file at ${toString cfg.hostFile} yet: first-boot mode (no features, setup phase);
        the setup wizard runs on tty1 until its host file is applied. In a flake, git add the file once written.'';

      virtualisation.libvirtd.enable = true;

      users.groups.${cfg.operators.group}.members = cfg.operators.users;

      boot.kernel.sysctl = sysctl;

      environment.systemPackages = [ cfg.package ];
      # hv reads the host file the running system was built from here: a
      # copy in the store, not a link to a file the apply service rewrites.
      environment.etc."hyper-nixos/host.toml" = mkIf (!firstBoot) {
        # Read only when there is one (this is evaluated lazily, but tests
        # force every branch).
        source = pkgs.writeText "hyper-nixos-host.toml" (if firstBoot then "" else builtins.readFile cfg.hostFile);
      };
      # (No LIBVIRT_DEFAULT_URI for sessions: an operator's hv told a
      # libvirt URI goes to libvirt, read-only, instead of the daemon.)

      # Started by hv's daemon for operators, or by root. Only root writes
      # the staged file (daemon.nix); hv apply checks it all the same: the
      # host file's rules, what the phase refuses, the hardening checks.
      systemd.services.hyper-nixos-apply = {
        description = "Apply the host file staged with hv (Hyper-NixOS)";
        documentation = [ "https://github.com/hyper-nixos/hv/blob/main/nix/README.md" ];
        # The rebuild restarts changed units: never this one mid-run.
        restartIfChanged = false;
        stopIfChanged = false;
        unitConfig.X-StopOnRemoval = false;
        path = [ config.system.build.nixos-rebuild config.nix.package pkgs.git pkgs.coreutils ];
        environment = config.nix.envVars
          // lib.optionalAttrs (config.environment.sessionVariables ? NIX_PATH) {
            inherit (config.environment.sessionVariables) NIX_PATH;
          }
          // { HOME = "/root"; };
        serviceConfig = {
          Type = "oneshot";
          ExecStart = lib.escapeShellArgs ([
            "${cfg.package}/bin/hv" "apply"
            "--staged" stagedFile
            "--install" (if installPath == null then "" else installPath)
            "--result" resultFile
            "--"
          ] ++ cfg.apply.rebuildCommand);
          TimeoutStartSec = "2h";
        };
      };

      # The first-boot wizard: on tty1, in place of its login prompt, until
      # the host file exists. It runs as root (nobody else exists yet) and
      # shows the wizard only; quitting hands tty1 back to getty.
      systemd.services.hyper-nixos-wizard = mkIf cfg.firstBoot.enable {
        description = "Hyper-NixOS setup wizard on tty1, until a host file exists";
        documentation = [ "https://github.com/hyper-nixos/hv/blob/main/nix/README.md" ];
        wantedBy = [ "multi-user.target" ];
        after = [ "systemd-user-sessions.service" "libvirtd.service" "systemd-vconsole-setup.service" ];
        wants = [ "libvirtd.service" ];
        before = [ "getty@tty1.service" ];
        conflicts = [ "getty@tty1.service" ];
        unitConfig.ConditionPathExists = "!${if installPath == null then toString cfg.hostFile else installPath}";
        # The apply it starts rebuilds the system: never restart it then.
        restartIfChanged = false;
        stopIfChanged = false;
        environment = {
          TERM = "linux";
          HOME = "/root";
          LIBVIRT_DEFAULT_URI = cfg.libvirtUri;
        };
        serviceConfig = {
          Type = "idle";
          ExecStart = "${cfg.package}/bin/hv wizard --first-boot";
          ExecStopPost = "${config.systemd.package}/bin/systemctl --no-block start getty@tty1.service";
          StandardInput = "tty";
          StandardOutput = "tty";
          StandardError = "journal";
          TTYPath = "/dev/tty1";
          TTYReset = true;
          TTYVHangup = true;
          TTYVTDisallocate = true;
        };
      };
    }
    peers.config
  ] ++ map (p: mkIf p.on (withoutSysctl p.settings)) parts));
}
