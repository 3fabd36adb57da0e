# A stand-in for nixpkgs' package set: every package the module, its
# features, the flake, the VM tests and nixos.nix name, as a derivation-shaped value (its
# store path made up; nothing is built). writeText forces its text, so that
# a bad interpolation in a generated file still fails the evaluation.
let
  drv = name: {
    type = "derivation";
    inherit name;
    outPath = "${builtins.storeDir}/00000000000000000000000000000000-${name}";
  };
  named = names: builtins.listToAttrs (map (name: { inherit name; value = drv name; }) names);
in
named [
  "coreutils" "cryptsetup" "findutils" "gawk" "git" "gnugrep" "libvirt" "nftables" "nix" "nixos-rebuild"
  "novnc" "openssh" "openssl" "qemu" "qemu-ovmf-metadata" "swtpm" "systemd" "usbutils" "vhost-user" "virtio-win" "virtiofsd"
]
// {
  callPackage = path: args: drv ("hv" + (if args ? version then "-${args.version}" else ""));
  writeText = name: text: builtins.seq text (drv name);
  writeShellScript = name: text: builtins.seq text (drv name);
  runCommand = name: env: script: builtins.seq script (drv name);
  # The test itself, for eval.nix to evaluate its nodes.
  testers.runNixOSTest = test: test;
  OVMFFull.fd = drv "OVMF-fd";
  python3Packages.websockify = drv "websockify";
  stdenv.hostPlatform.system = "x86_64-linux";
}
