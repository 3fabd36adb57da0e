# hv, built from this repository. The flake builds it with its own nixpkgs;
# the module builds it with the system's when used without the flake.
{ lib, buildGoModule, pkg-config, libvirt, version ? "devel" }:
buildGoModule {
  pname = "hv";
  inherit version;

  src = lib.cleanSource ../.;

  # The hash of the vendored modules (go mod vendor); when go.mod changes,
  # nix build prints the new one.
  vendorHash = "sha256-VQjzRRHsznnVElb4ix2ux0TKd6ItGD5xtWmCgeTWKk0=";

  subPackages = [ "cmd/hv" ];
  nativeBuildInputs = [ pkg-config ];
  buildInputs = [ libvirt ];
  ldflags = [ "-s" "-w" "-X main.version=${version}" ];

  # hv's polkit actions, which its daemon asks about. NixOS links
  # share/polkit-1 of environment.systemPackages where polkitd reads them.
  postInstall = ''
    install -Dm0644 nix/polkit/org.hyper-nixos.policy $out/share/polkit-1/actions/org.hyper-nixos.policy
  '';

  # The tests need libvirt's test driver, tmux and nix-instantiate: CI runs
  # them, and the flake's checks run the NixOS VM test.
  doCheck = false;

  meta = {
    description = "Console and CLI for a NixOS virtualisation host, managed as an unprivileged operator";
    mainProgram = "hv";
    platforms = lib.platforms.linux;
  };
}
