# The privilege boundary: hv's daemon, the only holder of read-write
# libvirt on the host, and who may write what.
#
# Operators hold no more than read-only libvirt (libvirt's own polkit
# default for every local user). Every change goes through `hv daemon`:
# root, started by hv.socket on the first connection, it asks polkit for
# each request (hv's actions, org.hyper-nixos.*, granted to the operators
# group by the rule below), applies the host file's phase and approved pool
# roots, writes the audit trail and stages host-file changes. Only root
# writes the audit trail and the staged host file.
#
# Imported by module.nix; everything here is on with services.hyper-nixos.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkIf;
  cfg = config.services.hyper-nixos;

  stateDir = "/var/lib/hyper-nixos";
  logDir = "/var/log/hyper-nixos";
  socket = "/run/hv/hv.sock";

  # A local URI (no host, no network transport) reaches libvirtd through
  # its unix socket: the daemon then needs no network at all.
  localLibvirt = builtins.match "[a-z0-9]+(\\+unix)?:///.*" cfg.libvirtUri != null;

  # Operators: the group's declared members and everyone who has it among
  # their groups, by name.
  operators = builtins.attrNames (builtins.listToAttrs (map (name: { inherit name; value = null; }) (
    cfg.operators.users
    ++ (config.users.groups.${cfg.operators.group}.members or [ ])
    ++ builtins.filter (name: builtins.elem cfg.operators.group config.users.users.${name}.extraGroups)
      (builtins.attrNames config.users.users))));
  # NixOS's libvirtd module grants org.libvirt.unix.manage (read-write
  # libvirt, as good as root) to the libvirtd group.
  inLibvirtd = name:
    let user = config.users.users.${name} or { group = ""; extraGroups = [ ]; }; in
    builtins.elem name (config.users.groups.libvirtd.members or [ ])
    || user.group == "libvirtd" || builtins.elem "libvirtd" user.extraGroups;
  operatorsInLibvirtd = builtins.filter inLibvirtd operators;
in
{
  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.operators.group != "libvirtd";
        message = ''
          hyper-nixos: the operators group is "libvirtd", which NixOS's libvirtd module lets manage
          libvirt read-write: that is root for every operator, around hv's daemon. Name another group
          (operators.group in the host file).'';
      }
      {
        assertion = operatorsInLibvirtd == [ ];
        message = ''
          hyper-nixos: ${lib.concatStringsSep ", " operatorsInLibvirtd} ${if builtins.length operatorsInLibvirtd == 1 then "is an operator" else "are operators"} and in the libvirtd group,
          which NixOS's libvirtd module lets manage libvirt read-write: that is root, around hv's daemon.
          Take them out of it (users.users.NAME.extraGroups, users.groups.libvirtd.members);
          operators manage VMs through hv.'';
      }
    ];

    # hv's actions: only the rule of 50-hyper-nixos.rules that grants them
    # (nix/lib/polkit.nix), never libvirt's or the apply service's: the
    # daemon starts the apply service itself, as root.
    security.polkit.enable = true;
    security.polkit.extraConfig = import ./lib/polkit.nix {
      text = builtins.readFile ./polkit/50-hyper-nixos.rules;
      group = cfg.operators.group;
    };
    # The actions themselves (org.hyper-nixos.policy) come with the hv
    # package in environment.systemPackages: NixOS links its
    # share/polkit-1/actions where polkitd reads them.

    # Only root writes here. The state directory is readable (the apply's
    # result is shown to operators); so is the staged file to the
    # operators group (hv stages it 0640 in a directory of that group):
    # operators' hv reads it to change it through the daemon. The log
    # directory is root's alone (operators read the trail through the
    # daemon, GET /v1/audit). The audit log keeps the append-only attribute: the
    # daemon has no CAP_LINUX_IMMUTABLE to lift it. Its mode and owner, with
    # ":", apply when it is created: the log of a host that had the
    # previous module is append-only already, so neither can change
    # (nix/README.md, migration). The staged file's lock is made here, so
    # that it is root's alone: one the daemon made would take the
    # directory's group, and an operator could hold it (flock needs only
    # to read) and stall every staging.
    systemd.tmpfiles.rules = [
      "d ${stateDir} 0755 root root -"
      "d ${stateDir}/staged 2750 root ${cfg.operators.group} -"
      "f ${stateDir}/staged/host.toml.lock 0600 root root -"
      "d ${logDir} 0700 root root -"
      "f ${logDir}/audit.log :0600 :root :root -"
      "h ${logDir}/audit.log - - - - +a"
    ];

    # Every local user may connect: the daemon identifies the caller from
    # the socket (SO_PEERCRED) and asks polkit about each request.
    systemd.sockets.hv = {
      description = "hv daemon socket (Hyper-NixOS)";
      documentation = [ "https://github.com/hyper-nixos/hv/blob/main/nix/README.md" ];
      wantedBy = [ "sockets.target" ];
      listenStreams = [ socket ];
      socketConfig = {
        SocketMode = "0666";
        DirectoryMode = "0755"; # /run/hv, made by systemd for the socket
      };
    };

    systemd.services.hv = {
      description = "hv daemon: VM management for operators, authorised by polkit (Hyper-NixOS)";
      documentation = [ "https://github.com/hyper-nixos/hv/blob/main/nix/README.md" ];
      # Started by hv.socket on the first connection.
      requires = [ "hv.socket" ];
      after = [ "hv.socket" "libvirtd.service" "polkit.service" ];
      wants = [ "libvirtd.service" "polkit.service" ];
      # systemctl starts the apply service; journalctl reads the audit
      # trail's anchors back.
      path = [ config.systemd.package ];
      environment = {
        LIBVIRT_DEFAULT_URI = cfg.libvirtUri;
        # libvirt's own warnings to the journal: hv would route them to a
        # file under $HOME, which the daemon neither has nor may write.
        LIBVIRT_LOG_OUTPUTS = "3:stderr";
      };
      # nix/lib/sandbox.nix, and what is the daemon's own.
      serviceConfig = import ./lib/sandbox.nix // {
        ExecStart = "${cfg.package}/bin/hv daemon";
        Restart = "on-failure";

        # Root, no user of its own: libvirtd gives read-write libvirt to
        # uid 0 without asking polkit, polkit answers CheckAuthorization
        # about other processes to uid 0, systemd lets uid 0 start the
        # apply service, and the files below are root's. None of that needs
        # a capability, so it keeps none. (PrivateUsers= would make it
        # "nobody" to all of them.)
        CapabilityBoundingSet = [ "" ];

        # The daemon resolves every disk and pool path it is asked for and
        # checks it against the approved roots, so it must see the tree
        # libvirtd sees: read-only everywhere, nothing hidden or replaced.
        # Hence ProtectHome read-only rather than an empty /home, and no
        # PrivateTmp or PrivateDevices (a disk under an approved root that
        # links into /dev must resolve to the device, to be refused as one).
        # /tmp is read-only too: the daemon writes nothing there (the
        # anchor's atomic write falls back to the anchor's own directory).
        ProtectHome = "read-only";
        # The audit trail and its anchor, the staged host file.
        ReadWritePaths = [ logDir stateDir ];
        # /dev stays visible; the device cgroup lets it open only the
        # pseudo-devices (null, zero, random...).
        DevicePolicy = "closed";

        # libvirtd's socket, the system bus (polkit, systemd), the journal
        # and nscd are unix sockets; a remote libvirt URI needs the network.
        # (Trusted peers add AF_INET and AF_INET6 and lift PrivateNetwork:
        # the daemon claims migration tickets over ssh, nix/peers.nix.)
        RestrictAddressFamilies = [ "AF_UNIX" ] ++ lib.optionals (!localLibvirt) [ "AF_INET" "AF_INET6" ];
        PrivateNetwork = lib.mkDefault localLibvirt;
        # Not ProtectProc=invisible: polkit's subject is the calling process
        # with its start time, read from /proc/PID/stat of another user's
        # process, which "invisible" hides from a root without
        # CAP_SYS_PTRACE. Not ProcSubset=pid either: libvirt's client
        # library reads /proc/filesystems and /proc/sys/kernel/cap_last_cap
        # (seen with strace), and systemctl and journalctl run inside.

        PrivateIPC = true;
        # Every call of a daemon session traced with strace (listing,
        # defining and refusing pools, polkit, the trail) is in this set.
        SystemCallFilter = [ "@system-service" "~@privileged" ];
        # A call left out fails rather than kills the daemon mid-request.
        SystemCallErrorNumber = "EPERM";
      };
    };
  };
}
