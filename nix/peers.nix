# Moving VMs between hv hosts: the root trust the daemons rest on.
#
# A move is asked of both hosts' daemons; the source's daemon then claims
# its ticket as root over SSH (`ssh -l root PEER hv dial-stdio`), and
# libvirt moves the VM peer to peer over qemu+ssh://root@PEER/system
# (libvirtd's ssh for a live move, the daemon's own for an offline one),
# QEMU's memory and disks going to tcp://PEER on libvirt's migration ports.
# vm/daemon/migrate.go builds those commands; this sets up what they need
# through ssh's own configuration files, so that root's own
# `ssh root@PEER hv dial-stdio` here tries exactly what the daemon does:
#
# - hosts.peers not empty: a key for root's side, made once on the host
#   (hv-peer-key.service), never in the Nix store;
# - each peer of hosts.peers whose keys root declared in
#   services.hyper-nixos.peers.NAME (a trusted peer): its host key known to
#   every ssh here, our key offered to it by root's ssh, its daemon's key
#   accepted for root logins from its addresses, with a forced command
#   that runs hv's stdio bridge or libvirt's and nothing else, the
#   migration ports open to its addresses, ssh and the network for hv's
#   daemon and ssh for libvirtd.
#
# The keys are NixOS options, not host-file settings: authorising a root
# login is root's decision, and the host file is the file operators change
# through hv's daemon. Operators may list or drop peers (hosts.peers); only
# those root declared keys for are trusted.
#
# Called by module.nix with the host file's hosts.peers (none while the
# host file has problems); gives the option, the trusted peers' names and
# the configuration, which module.nix merges under its mkIf cfg.enable.
{ config, lib, pkgs, cfg, entries }:
let
  inherit (builtins) all attrNames concatStringsSep elem elemAt filter listToAttrs map match;
  inherit (lib) mkIf mkMerge mkOption types optional optionalString;

  keyDir = "/var/lib/hyper-nixos/ssh";
  identity = "${keyDir}/id_ed25519";
  # libvirt's migration_port_min and _max (qemu.conf), which the module
  # leaves as they are; the disks' copy (NBD) takes its port there too.
  ports = { from = 49152; to = 49215; };
  ssh = config.programs.ssh.package;

  keyTypes = "ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh[.]com|sk-ecdsa-sha2-nistp256@openssh[.]com";
  isKey = k: match "(${keyTypes}) AAAA[A-Za-z0-9+/]+={0,3}( [[:print:]]*)?" k != null;
  isIPv4 = a: match "[0-9]{1,3}([.][0-9]{1,3}){3}(/[0-9]{1,2})?" a != null;
  isIPv6 = a: match "[0-9a-fA-F]*:[0-9a-fA-F:]*(/[0-9]{1,3})?" a != null;
  isAddress = a: isIPv4 a || isIPv6 a;

  # hosts.peers entries, HOSTNAME=ssh://[USER@]HOST[:PORT], as the daemon
  # reads them (vm/daemon ParsePeers); the host-file rules checked them.
  parse = e:
    let m = match "([^=]+)=ssh://([^@/]*@)?([A-Za-z0-9.-]+)(:([0-9]+))?/?" e; in
    if m == null then null else { name = elemAt m 0; host = elemAt m 2; port = elemAt m 4; };
  listed = filter (p: p != null) (map parse entries);
  listedNames = map (p: p.name) listed;

  valid = d: isKey d.hostKey && isKey d.rootKey && (d.addresses == null || all isAddress d.addresses);
  trusted = map
    (p:
      let d = cfg.peers.${p.name}; in
      p // {
        inherit (d) hostKey rootKey;
        # sshd matches from= by address only (UseDNS no), and the firewall
        # needs addresses when it starts: a peer named by IP has one.
        addresses = if d.addresses != null then d.addresses else optional (isIPv4 p.host) p.host;
        # How ssh names the host in known_hosts.
        knownName = if p.port == null || p.port == "22" then p.host else "[${p.host}]:${p.port}";
      })
    (filter (p: cfg.peers ? ${p.name} && valid cfg.peers.${p.name}) listed);
  names = map (p: p.name) trusted;
  anywhere = filter (p: p.addresses == [ ]) trusted;

  # What a peer's root key may run here: hv's bridge to the daemon's
  # socket, which the peer's daemon asks for as "hv dial-stdio"; libvirt's
  # remote protocol, which the peer's libvirt (qemu+ssh) asks for with a
  # shell snippet naming virt-ssh-helper, answered with the helper for
  # qemu:///system, the only libvirt a daemon reaches on its peers.
  command = pkgs.writeShellScript "hv-peer-command" ''
    case "''${SSH_ORIGINAL_COMMAND-}" in
      "hv dial-stdio") exec ${cfg.package}/bin/hv dial-stdio ;;
      *virt-ssh-helper*) exec ${config.virtualisation.libvirtd.package}/bin/virt-ssh-helper qemu:///system ;;
      *)
        echo "hyper-nixos: this key is a peer hv daemon's: it runs 'hv dial-stdio' and libvirt's virt-ssh-helper, nothing else" >&2
        exit 1 ;;
    esac
  '';
  authorizedKey = p:
    optionalString (p.addresses != [ ]) ''from="${concatStringsSep "," p.addresses}",''
    + ''restrict,command="${command}" ${p.rootKey}'';

  v4 = p: filter isIPv4 p.addresses;
  v6 = p: filter isIPv6 p.addresses;
  iptables = concatStringsSep "" (map
    (p:
      let rule = tool: a: "${tool} -w -A nixos-fw -p tcp -s ${a} --dport ${toString ports.from}:${toString ports.to} -m comment --comment \"hv peer ${p.name}\" -j nixos-fw-accept\n"; in
      concatStringsSep "" (map (rule "iptables") (v4 p) ++ map (rule "ip6tables") (v6 p)))
    trusted);
  nft = concatStringsSep "" (map
    (p:
      let rule = family: as: optionalString (as != [ ])
        "${family} saddr { ${concatStringsSep ", " as} } tcp dport ${toString ports.from}-${toString ports.to} accept comment \"hv peer ${p.name}\"\n"; in
      rule "ip" (v4 p) + rule "ip6" (v6 p))
    trusted);
  nftables = config.networking.nftables.enable;

  peerOption = "services.hyper-nixos.peers";
  keyProblems = name: d:
    optional (!isKey d.hostKey) ''
      hyper-nixos: ${peerOption}.${name}.hostKey is not an SSH public key: ${builtins.toJSON d.hostKey}.
      Write one key as `ssh-keyscan -t ed25519 ${name}` prints it, without the host name: "ssh-ed25519 AAAA...".''
    ++ optional (!isKey d.rootKey) ''
      hyper-nixos: ${peerOption}.${name}.rootKey is not an SSH public key: ${builtins.toJSON d.rootKey}.
      Write the one line of ${identity}.pub on ${name} ("ssh-ed25519 AAAA... COMMENT"), with no options in front.''
    ++ map (a: ''
      hyper-nixos: ${peerOption}.${name}.addresses: ${builtins.toJSON a} is not an IP address.
      Write the IPv4 or IPv6 addresses ${name} connects from (a /PREFIX is allowed): sshd matches from= by address only.'')
      (filter (a: !isAddress a) (if d.addresses == null then [ ] else d.addresses));
  these = concatStringsSep ", " names;
in
{
  inherit names;

  option = mkOption {
    type = types.attrsOf (types.submodule {
      options = {
        hostKey = mkOption {
          type = types.str;
          example = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA...";
          description = "The peer's SSH host key, as `ssh-keyscan -t ed25519 HOST` prints it without the host name.";
        };
        rootKey = mkOption {
          type = types.str;
          example = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... hv-daemon@hv2";
          description = "The public key of the peer's hv daemon: ${identity}.pub on the peer.";
        };
        addresses = mkOption {
          type = types.nullOr (types.listOf types.str);
          default = null;
          example = [ "192.0.2.2" "2001:db8::2" ];
          description = ''
            The IP addresses the peer connects from. Its root key is accepted from these only
            (from= in root's authorized keys) and the migration ports are opened to these only.
            Defaults to the address in hosts.peers when that is an IPv4 address; a peer named by
            its host name with no addresses here is accepted from anywhere (with a warning).
          '';
        };
      };
    });
    default = { };
    example = lib.literalExpression ''
      {
        hv2 = {
          hostKey = "ssh-ed25519 AAAA...";   # ssh-keyscan -t ed25519 hv2.example.org
          rootKey = "ssh-ed25519 AAAA... hv-daemon@hv2";   # ${identity}.pub on hv2
          addresses = [ "192.0.2.2" ];
        };
      }
    '';
    description = ''
      The other hv hosts this one moves VMs to and from, by their name in hosts.peers (the
      host file), with the keys their daemons trust each other by. A peer of hosts.peers
      without keys here is shown to operators, but VMs do not move to or from it.
    '';
  };

  config = mkMerge [
    {
      assertions =
        map (m: { assertion = false; message = m; })
          (builtins.concatLists (map (n: keyProblems n cfg.peers.${n}) (attrNames cfg.peers)))
        ++ [
          {
            assertion = names == [ ] || config.services.openssh.enable;
            message = ''
              hyper-nixos: peers ${these} move VMs here as root over SSH, but SSH is off here.
              Turn the ssh feature on (hv features enable ssh), or remove them from ${peerOption}.'';
          }
          {
            assertion = names == [ ] || config.services.openssh.settings.PermitRootLogin != "no";
            message = ''
              hyper-nixos: peers ${these} log in here as root with a forced command, but
              services.openssh.settings.PermitRootLogin is "no". Set it to "forced-commands-only"
              (root logs in with keys that have a forced command only, as the peers' have).'';
          }
        ];
      warnings =
        map (n: ''
          hyper-nixos: ${peerOption}.${n} names a host that hosts.peers does not list: its keys are not trusted.
          Add ${n}=ssh://ADDRESS to hosts.peers in the host file, or remove the declaration.'')
          (filter (n: !elem n listedNames) (attrNames cfg.peers))
        ++ map (p: ''
          hyper-nixos: peer ${p.name} is named by its host name (${p.host}), so its root key is accepted from every
          address and the migration ports ${toString ports.from}-${toString ports.to} are open to every address.
          Set ${peerOption}.${p.name}.addresses to the addresses it connects from.'')
          anywhere;
    }

    # Root's side of the trust: made on the host, never in the store; its
    # public key is what each peer declares as this host's rootKey.
    (mkIf (listed != [ ]) {
      systemd.services.hv-peer-key = {
        description = "SSH key of hv's daemon for moving VMs between hv hosts (Hyper-NixOS)";
        documentation = [ "https://github.com/hyper-nixos/hv/blob/main/nix/README.md" ];
        wantedBy = [ "multi-user.target" ];
        requiredBy = [ "hv.service" ];
        before = [ "hv.service" ];
        unitConfig.ConditionPathExists = "!${identity}";
        serviceConfig = {
          Type = "oneshot";
          StateDirectory = "hyper-nixos/ssh"; # ${keyDir}
          StateDirectoryMode = "0700";
          UMask = "0077";
          ExecStart = "${ssh}/bin/ssh-keygen -q -t ed25519 -N \"\" -C hv-daemon@%H -f ${identity}";
        };
      };
    })

    (mkIf (names != [ ]) {
      programs.ssh.knownHosts = listToAttrs (map
        (p: { name = "hyper-nixos-peer-${p.name}"; value = { hostNames = [ p.knownName ]; publicKey = p.hostKey; }; })
        trusted);
      # Root's ssh offers the daemon's key to the peers (whoever runs it:
      # the daemon, libvirtd, root by hand), and only that key. "Match all"
      # gives the lines that follow back to every connection.
      programs.ssh.extraConfig = ''
        Match localuser root host ${concatStringsSep "," (map (p: p.host) trusted)}
          IdentityFile ${identity}
          IdentitiesOnly yes
        Match all
      '';
      users.users.root.openssh.authorizedKeys.keys = map authorizedKey trusted;

      networking.firewall.extraCommands = mkIf (!nftables) iptables;
      networking.firewall.extraInputRules = mkIf nftables nft;
      networking.firewall.allowedTCPPortRanges = mkIf (anywhere != [ ]) [ ports ];

      # The daemon claims tickets and copies disks over ssh (daemon.nix
      # keeps it off the network otherwise); libvirtd moves VMs over it.
      systemd.services.hv = {
        path = [ ssh ];
        serviceConfig = {
          PrivateNetwork = false;
          RestrictAddressFamilies = [ "AF_INET" "AF_INET6" ];
        };
      };
      systemd.services.libvirtd.path = [ ssh ];
    })
  ];
}
