# NixOS module fragment: hv's threat monitor service ('hv monitor').
#
# Imported by the Hyper-NixOS module, which sets `package`. The service runs
# as root, because what it needs is root's: read-write libvirt (events,
# bulk statistics, pausing a VM when a playbook says so), which only root
# holds on a Hyper-NixOS host, and hv's audit trail, which only root writes.
# It keeps no capability (CAP_NET_ADMIN for nftables only when `blocking` is
# on) and writes nothing but its state directory and the audit trail.
# Playbooks stay monitor-only unless listed in `enabledPlaybooks`.
# Blocklists named in `feeds` are downloaded by a timer of their own
# (hv-threat-feeds), which keeps the last good list when a download fails.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkEnableOption mkIf mkOption optional types concatMapStringsSep;
  cfg = config.hyperNixos.threatMonitor;
  feedDir = "/var/lib/hv/feeds";

  playbooksToml = concatMapStringsSep "\n" (id: ''
    [[playbook]]
    id = "${id}"
    enabled = true
  '') cfg.enabledPlaybooks
  + "\n[notify]\n"
  + (if cfg.notify.command != [ ] then "command = [ ${concatMapStringsSep ", " builtins.toJSON cfg.notify.command} ]\n" else "")
  + (if cfg.notify.webhook != null then "webhook = ${builtins.toJSON cfg.notify.webhook}\n" else "");

  args = [
    "monitor"
    "--connect" cfg.libvirtURI
    "--db" "/var/lib/hv/threats.db"
    "--state-dir" "/var/lib/hv"
    "--listen" cfg.listen
    "--retention" cfg.retention
  ]
  ++ lib.concatMap (f: [ "--file" f ]) cfg.files
  ++ lib.concatMap (b: [ "--blocklist" (toString b) ]) cfg.blocklists
  ++ lib.concatMap (name: [ "--blocklist" "${feedDir}/${name}.txt" ]) (builtins.attrNames cfg.feeds)
  ++ optional cfg.blocking "--block";
in
{
  options.hyperNixos.threatMonitor = {
    enable = mkEnableOption "the hv threat monitor: log rules, VM anomaly detection, playbooks";

    package = mkOption {
      type = types.package;
      description = "Package providing bin/hv.";
    };

    libvirtURI = mkOption {
      type = types.str;
      default = "qemu:///system";
      description = "libvirt connection for events, VM metrics and VM actions.";
    };

    listen = mkOption {
      type = types.str;
      default = "127.0.0.1:9851";
      description = "Address of the Prometheus /metrics endpoint; empty to disable.";
    };

    files = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "/var/log/auth.log" ];
      description = "Syslog files to follow besides the journal (sshd, PAM, sudo, su, polkit, libvirt, kernel lines).";
    };

    blocklists = mkOption {
      type = types.listOf types.path;
      default = [ ];
      description = "Local blocklist files of addresses and CIDR ranges; reloaded when they change.";
    };

    feeds = mkOption {
      type = types.attrsOf types.str;
      default = { };
      example = {
        firehol_level1 = "https://iplists.firehol.org/files/firehol_level1.netset";
        spamhaus_drop = "https://www.spamhaus.org/drop/drop_v4.json";
      };
      description = ''
        Published blocklists to download, by name (plain addresses and ranges,
        FireHOL netsets, Spamhaus DROP as text or JSON). A timer downloads them
        into ${feedDir}; a failed download keeps the last good list, and
        'hv threats feeds' and the dashboard show each list's age.
      '';
    };

    feedsInterval = mkOption {
      type = types.str;
      default = "6h";
      description = "How often the feeds are downloaded (systemd time span).";
    };

    notify = {
      command = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "/run/current-system/sw/bin/logger" "-t" "hv-alert" ];
        description = "Command run with each notified finding as JSON on its standard input (notify playbooks; the journal always gets them).";
      };
      webhook = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "https://chat.example/hooks/hv";
        description = "URL each notified finding is POSTed to as JSON.";
      };
    };

    blocking = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Let enabled block-ip playbooks add addresses to nftables (table inet hv).
        Grants the service CAP_NET_ADMIN; off, blocking playbooks only record
        what they would have done.
      '';
    };

    enabledPlaybooks = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "block-ssh-brute-force" "notify-critical" ];
      description = "Built-in playbooks that act instead of only recording (see 'hv threats' in the dashboard).";
    };

    retention = mkOption {
      type = types.str;
      default = "2160h";
      description = "Acknowledged and resolved findings older than this are deleted (Go duration).";
    };

    readers = mkOption {
      type = types.nullOr types.str;
      default = "hypervisor-operators";
      description = "Group that may read (and acknowledge) findings from the dashboard; null for root only.";
    };
  };

  config = mkIf cfg.enable {
    environment.etc."hv/threat/playbooks.toml".text = ''
      # Written by NixOS (hyperNixos.threatMonitor.enabledPlaybooks).
    '' + playbooksToml;

    systemd.services.hv-monitor = {
      description = "hv threat monitor";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" "libvirtd.service" "systemd-journald.service" ];
      wants = [ "libvirtd.service" ];
      path = [ config.systemd.package ] ++ optional cfg.blocking pkgs.nftables; # journalctl, nft

      # ./lib/sandbox.nix, and what is the monitor's own.
      serviceConfig = import ./lib/sandbox.nix // {
        ExecStart = "${cfg.package}/bin/hv ${lib.escapeShellArgs args}";
        # Root (see above); the readers' group owns what it writes.
        Group = if cfg.readers != null then cfg.readers else "root";
        StateDirectory = "hv";
        StateDirectoryMode = "0750";
        UMask = "0007"; # findings readable and writable by the readers group
        Restart = "on-failure";
        RestartSec = 5;

        CapabilityBoundingSet = if cfg.blocking then [ "CAP_NET_ADMIN" ] else [ "" ];

        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        ProtectProc = "invisible";
        RestrictAddressFamilies = [ "AF_UNIX" "AF_INET" "AF_INET6" ] ++ optional cfg.blocking "AF_NETLINK";
        SystemCallFilter = [ "@system-service" ];
        ReadOnlyPaths = cfg.files;
        # hv's audit trail and its anchor, when the main module made them.
        ReadWritePaths = [ "-/var/log/hyper-nixos" "-/var/lib/hyper-nixos" ];
        MemoryMax = "512M";
      };
    };

    systemd.services.hv-threat-feeds = mkIf (cfg.feeds != { }) {
      description = "hv threat monitor: download blocklists";
      after = [ "network-online.target" ];
      wants = [ "network-online.target" ];
      # Root without a capability (./lib/sandbox.nix): it writes only the
      # feeds directory, which the readers' group may read.
      serviceConfig = import ./lib/sandbox.nix // {
        Type = "oneshot";
        ExecStart = "${cfg.package}/bin/hv threats feeds update --dir ${feedDir} "
          + lib.escapeShellArgs (map (name: "${name}=${cfg.feeds.${name}}") (builtins.attrNames cfg.feeds));
        Group = if cfg.readers != null then cfg.readers else "root";
        StateDirectory = "hv/feeds";
        StateDirectoryMode = "0750";
        UMask = "0027";
        CapabilityBoundingSet = [ "" ];
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        ProtectProc = "invisible";
        RestrictAddressFamilies = [ "AF_INET" "AF_INET6" "AF_UNIX" ];
        SystemCallFilter = [ "@system-service" ];
      };
    };
    systemd.timers.hv-threat-feeds = mkIf (cfg.feeds != { }) {
      wantedBy = [ "timers.target" ];
      timerConfig = {
        OnBootSec = "2min";
        OnUnitActiveSec = cfg.feedsInterval;
        RandomizedDelaySec = "10min";
        Persistent = true;
      };
    };
  };
}
