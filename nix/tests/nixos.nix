# A stand-in for NixOS, for evaluating the module without nixpkgs: the
# declaration of every NixOS option the module, its features and phases
# set or read, with the type, default and merge behaviour NixOS documents
# for it, and the few definitions NixOS itself makes that meet the
# module's (the sysctl defaults, what the libvirtd module and
# security.protectKernelImage add). Written against the lib interface, so
# it evaluates with the stand-in lib (lib.nix) and with nixpkgs' own.
#
# Where NixOS declares more (options nothing here sets), it is left out: an
# option the module sets that is missing here is an evaluation error, so
# the list cannot fall behind the module silently.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkDefault mkIf mkMerge mkOption types;

  opt = type: default: mkOption { inherit type default; };
  bool = opt types.bool;
  enable = bool false;
  lines = opt types.lines "";
  strs = opt (types.listOf types.str) [ ];
  package = default: opt types.package default;
  submodule = options: opt (types.submodule { inherit options; }) { };
  attrsOfSubmodule = module: opt (types.attrsOf (types.submodule module)) { };

  # NixOS's sysctl value: one definition per key at the highest priority,
  # even when definitions agree (config/sysctl.nix).
  sysctlValue = lib.mkOptionType {
    name = "sysctl option value";
    check = v:
      let ok = x: builtins.isBool x || builtins.isString x || builtins.isInt x || x == null; in
      ok v || ((v._type or "") == "override" && ok v.content);
    merge = loc: defs: lib.mergeOneOption loc defs;
  };

  # A systemd unit setting (lib/systemd-unit-options.nix): lists
  # concatenate, anything else must agree.
  unitOption = lib.mkOptionType {
    name = "systemd option";
    merge = loc: defs:
      let defs' = lib.filterOverrides defs; in
      if lib.any (def: builtins.isList def.value) defs' then lib.concatMap (def: lib.toList def.value) defs'
      else lib.mergeEqualOption loc defs';
  };
  unitSettings = opt (types.attrsOf unitOption) { };
  unitName = types.strMatching "[a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)";
  units = opt (types.listOf unitName) [ ];
  unitOptions = {
    enable = bool true;
    description = opt types.singleLineStr "";
    documentation = strs;
    requires = units;
    wants = units;
    after = units;
    before = units;
    bindsTo = units;
    partOf = units;
    conflicts = units;
    requisite = units;
    wantedBy = units;
    requiredBy = units;
    unitConfig = unitSettings;
    restartTriggers = opt (types.listOf types.unspecified) [ ];
  };
  serviceOptions = unitOptions // {
    restartIfChanged = bool true;
    reloadIfChanged = bool false;
    stopIfChanged = bool true;
    environment = opt (types.attrsOf (types.nullOr (types.oneOf [ types.str types.path types.package ]))) { };
    path = opt (types.listOf (types.oneOf [ types.package types.str ])) [ ];
    serviceConfig = unitSettings;
    script = lines;
    preStart = lines;
    postStart = lines;
    preStop = lines;
    postStop = lines;
    startAt = opt (types.either types.str (types.listOf types.str)) [ ];
  };

  ports = opt (types.listOf types.port) [ ];
  portRanges = opt (types.listOf (types.attrsOf types.port)) [ ];
  firewallOptions = {
    allowedTCPPorts = ports;
    allowedUDPPorts = ports;
    allowedTCPPortRanges = portRanges;
    allowedUDPPortRanges = portRanges;
  };

  kernelParam = types.strMatching ''([^"[:space:]]|"[^"]*")+'' // {
    name = "kernelParam";
    description = "string, with spaces inside double quotes";
  };

  envValue = types.oneOf [ (types.listOf (types.oneOf [ types.int types.str types.path ])) types.int types.str types.path ];
  envToString = lib.mapAttrs (n: v:
    let s = x: if builtins.isPath x then "${x}" else toString x; in
    if builtins.isList v then lib.concatMapStringsSep ":" s v else s v);
in
{
  options = {
    assertions = opt (types.listOf types.unspecified) [ ];
    warnings = strs;

    boot = {
      kernel.sysctl = opt (types.submodule { freeformType = types.attrsOf sysctlValue; }) { };
      kernelParams = opt (types.listOf kernelParam) [ ];
      kernelModules = strs;
      initrd.kernelModules = strs;
      extraModprobeConfig = lines;
      supportedFilesystems = opt
        (types.coercedTo (types.listOf types.str) (fss: lib.genAttrs fss (fs: true)) (types.attrsOf types.bool))
        { };
    };

    environment = {
      systemPackages = opt (types.listOf types.package) [ ];
      loginShellInit = lines;
      sessionVariables = mkOption { type = types.attrsOf envValue; default = { }; apply = envToString; };
      etc = attrsOfSubmodule ({ name, config, options, ... }: {
        options = {
          enable = bool true;
          target = opt types.str name;
          text = opt (types.nullOr types.lines) null;
          source = mkOption { type = types.path; };
          mode = opt types.str "symlink";
          user = opt types.str "+0";
          group = opt types.str "+0";
        };
        config.source = mkIf (config.text != null)
          (lib.mkDerivedConfig options.text (pkgs.writeText "etc-${baseNameOf name}"));
      });
    };

    users = {
      groups = attrsOfSubmodule ({ name, ... }: {
        options = {
          name = opt types.str name;
          gid = opt (types.nullOr types.int) null;
          members = opt (types.listOf (types.passwdEntry types.str)) [ ];
        };
      });
      users = attrsOfSubmodule ({ name, ... }: {
        options = {
          name = opt (types.passwdEntry types.str) name;
          description = opt (types.passwdEntry types.str) "";
          uid = opt (types.nullOr types.int) null;
          group = opt types.str "";
          extraGroups = strs;
          isSystemUser = bool false;
          isNormalUser = bool false;
          # services/networking/ssh/sshd.nix
          openssh.authorizedKeys = {
            keys = opt (types.listOf types.singleLineStr) [ ];
            keyFiles = opt (types.listOf types.path) [ ];
          };
        };
      });
    };

    systemd = {
      package = package pkgs.systemd;
      services = attrsOfSubmodule { options = serviceOptions; };
      sockets = attrsOfSubmodule { options = unitOptions // { listenStreams = strs; socketConfig = unitSettings; }; };
      timers = attrsOfSubmodule { options = unitOptions // { timerConfig = unitSettings; }; };
      tmpfiles.rules = strs;
    };

    system.build = opt (types.attrsOf (types.uniq types.unspecified)) { };

    nix = {
      package = package pkgs.nix;
      envVars = opt types.attrs { };
      settings = submodule { allowed-users = opt (types.listOf types.str) [ "*" ]; };
    };

    security = {
      polkit = { enable = enable; extraConfig = lines; };
      apparmor.enable = enable;
      protectKernelImage = enable;
      lockKernelModules = enable;
      audit = {
        enable = opt (types.enum [ false true "lock" ]) false;
        rules = strs;
      };
      auditd.enable = enable;
      pam.loginLimits = opt (types.listOf (types.submodule {
        options = {
          domain = mkOption { type = types.str; };
          type = opt (types.enum [ "-" "hard" "soft" ]) "-";
          item = mkOption {
            type = types.enum [
              "core" "data" "fsize" "memlock" "nofile" "rss" "stack" "cpu" "nproc" "as" "maxlogins"
              "maxsyslogins" "priority" "locks" "sigpending" "msgqueue" "nice" "rtprio"
            ];
          };
          value = mkOption { type = types.oneOf [ types.str types.int ]; };
        };
      })) [ ];
    };

    virtualisation = {
      libvirtd = {
        enable = enable;
        package = package pkgs.libvirt;
        extraConfig = lines;
        onBoot = opt (types.enum [ "start" "ignore" ]) "start";
        onShutdown = opt (types.enum [ "shutdown" "suspend" ]) "suspend";
        qemu = submodule {
          package = package pkgs.qemu;
          runAsRoot = bool true;
          verbatimConfig = opt types.lines "namespaces = []\n";
          swtpm = submodule { enable = enable; package = package pkgs.swtpm; };
          vhostUserPackages = opt (types.listOf types.package) [ ];
        };
      };
      spiceUSBRedirection.enable = enable;
      vswitch.enable = enable;
      # The VM tests' (virtualisation/qemu-vm.nix).
      memorySize = opt types.ints.positive 1024;
    };

    networking = {
      firewall = firewallOptions // {
        enable = bool true;
        allowPing = bool true;
        logRefusedConnections = bool true;
        interfaces = attrsOfSubmodule { options = firewallOptions; };
        # firewall-iptables.nix: shell run before the final refusal;
        # firewall-nftables.nix: rules at the end of input-allow.
        extraCommands = lines;
        extraStopCommands = lines;
        extraInputRules = lines;
      };
      nftables.enable = enable;
      bridges = attrsOfSubmodule { options = { interfaces = mkOption { type = types.listOf types.str; }; rstp = enable; }; };
      interfaces = attrsOfSubmodule ({ name, ... }: {
        options = { name = opt types.str name; useDHCP = opt (types.nullOr types.bool) null; };
      });
      vlans = attrsOfSubmodule { options = { id = mkOption { type = types.int; }; interface = mkOption { type = types.str; }; }; };
    };

    services = {
      openssh = {
        enable = enable;
        settings = opt (types.submodule {
          freeformType = types.attrsOf (types.nullOr (types.oneOf [ types.bool types.int types.str (types.listOf types.str) ]));
          options = {
            PasswordAuthentication = bool true;
            KbdInteractiveAuthentication = bool true;
            PermitRootLogin = opt (types.enum [ "yes" "without-password" "prohibit-password" "forced-commands-only" "no" ]) "prohibit-password";
          };
        }) { };
      };
      usbguard = {
        enable = enable;
        presentDevicePolicy = opt (types.enum [ "allow" "block" "reject" "keep" "apply-policy" ]) "apply-policy";
        implicitPolicyTarget = opt (types.enum [ "allow" "block" "reject" ]) "block";
      };
      sssd = { enable = enable; config = lines; };
      cockpit = { enable = enable; openFirewall = enable; };
      prometheus.exporters.node = submodule {
        enable = enable;
        openFirewall = enable;
        port = opt types.port 9100;
        enabledCollectors = strs;
      };
      fail2ban = {
        enable = enable;
        maxretry = opt types.ints.unsigned 3;
        bantime = opt (types.nullOr types.str) "10m";
      };
      journald.upload = {
        enable = enable;
        settings = opt (types.submodule {
          freeformType = types.attrsOf (types.attrsOf (types.oneOf [ types.bool types.int types.str ]));
          options.Upload.URL = mkOption { type = types.str; };
        }) { };
      };
      smartd.enable = enable;
      lvm.enable = bool true;
      zfs.autoScrub.enable = enable;
      restic.backups = attrsOfSubmodule {
        options = {
          paths = strs;
          repository = opt (types.nullOr types.str) null;
          passwordFile = mkOption { type = types.str; };
          initialize = enable;
          timerConfig = opt (types.nullOr (types.attrsOf unitOption)) { OnCalendar = "daily"; Persistent = true; };
        };
      };
    };

    # programs/ssh.nix
    programs.ssh = {
      package = package pkgs.openssh;
      extraConfig = lines;
      knownHosts = attrsOfSubmodule ({ name, config, ... }: {
        options = {
          certAuthority = enable;
          hostNames = opt (types.listOf types.str) ([ name ] ++ config.extraHostNames);
          extraHostNames = strs;
          publicKey = opt (types.nullOr types.str) null;
          publicKeyFile = opt (types.nullOr types.path) null;
        };
      });
    };

    zramSwap.enable = enable;
    hardware.ksm.enable = enable;
  };

  # What NixOS defines itself where the module's settings meet it.
  config = mkMerge [
    {
      # config/sysctl.nix
      boot.kernel.sysctl = {
        "kernel.kptr_restrict" = mkDefault 1;
        "fs.protected_fifos" = mkDefault 2;
        "fs.protected_hardlinks" = mkDefault 1;
        "fs.protected_regular" = mkDefault 2;
        "fs.protected_symlinks" = mkDefault 1;
      };
      system.build.nixos-rebuild = pkgs.nixos-rebuild;
    }
    # programs/ssh.nix: the files every ssh reads, as NixOS writes them from
    # its options (of ssh_config, the lines that matter here).
    {
      assertions = map (name: {
        assertion = let h = config.programs.ssh.knownHosts.${name}; in (h.publicKey == null) != (h.publicKeyFile == null);
        message = "knownHost ${name} must contain either a publicKey or publicKeyFile";
      }) (builtins.attrNames config.programs.ssh.knownHosts);
      environment.etc."ssh/ssh_known_hosts".text = lib.concatMapStringsSep "\n" (h:
        (if h.certAuthority then "@cert-authority " else "") + builtins.concatStringsSep "," h.hostNames + " "
        + (if h.publicKey != null then h.publicKey else builtins.readFile h.publicKeyFile))
        (builtins.attrValues config.programs.ssh.knownHosts) + "\n";
      environment.etc."ssh/ssh_config".text = ''
        # Custom options from `extraConfig`, to override generated options
        ${config.programs.ssh.extraConfig}

        # Generated options from other settings
        Host *
        GlobalKnownHostsFile /etc/ssh/ssh_known_hosts
      '';
    }
    # services/networking/firewall-nftables.nix
    (mkIf (config.networking.firewall.enable && config.networking.nftables.enable) {
      assertions = [ {
        assertion = config.networking.firewall.extraCommands == "";
        message = "extraCommands is incompatible with the nftables based firewall: ${config.networking.firewall.extraCommands}";
      } ];
    })
    # security/misc.nix
    (mkIf config.security.protectKernelImage {
      boot.kernelParams = [ "nohibernate" ];
      boot.kernel.sysctl."kernel.kexec_load_disabled" = mkDefault true;
    })
    # virtualisation/libvirtd.nix
    (mkIf config.virtualisation.libvirtd.enable {
      assertions = [ {
        assertion = config.security.polkit.enable;
        message = "The libvirtd module currently requires Polkit to be enabled ('security.polkit.enable = true').";
      } ];
      boot.kernelModules = [ "tun" ];
      environment.systemPackages = [ config.virtualisation.libvirtd.package config.virtualisation.libvirtd.qemu.package ];
      security.polkit = {
        enable = true;
        extraConfig = ''
          polkit.addRule(function(action, subject) {
            if (action.id == "org.libvirt.unix.manage" && subject.isInGroup("libvirtd")) {
              return polkit.Result.YES;
            }
          });
        '';
      };
      systemd.services.libvirtd = {
        wantedBy = [ "multi-user.target" ];
        restartIfChanged = false;
        serviceConfig = { Type = "notify"; KillMode = "process"; Restart = "no"; };
      };
      systemd.sockets.libvirtd.wantedBy = [ "sockets.target" ];
      systemd.tmpfiles.rules = [
        "L+ /var/lib/qemu/vhost-user - - - - ${pkgs.vhost-user}/share/qemu/vhost-user"
        "L+ /var/lib/qemu/firmware - - - - ${pkgs.qemu-ovmf-metadata}"
      ];
      users.groups = { libvirtd = { }; qemu-libvirtd = { }; };
      users.users.qemu-libvirtd.group = "qemu-libvirtd";
    })
  ];
}
