{
  description = "Hyper-NixOS: hv, the console and CLI of a NixOS virtualisation host, and its NixOS module";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      version = self.shortRev or self.dirtyShortRev or "devel";

      # The module, with hv from this flake.
      module = { lib, pkgs, ... }: {
        imports = [ ./nix/module.nix ];
        services.hyper-nixos.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.hv;
      };
    in
    {
      packages = forAllSystems (pkgs: rec {
        hv = pkgs.callPackage ./nix/package.nix { inherit version; };
        default = hv;
      });

      nixosModules = {
        hyper-nixos = module;
        default = module;
      };

      checks = forAllSystems (pkgs: {
        # The shared vectors and the implementation coverage, at evaluation.
        contract =
          let result = import ./nix/tests/run.nix; in
          if builtins.match "[0-9]+ passed, 0 failed" result != null
          then pkgs.writeText "hyper-nixos-contract" result
          else throw "nix/tests/run.nix: ${result}";
        # The example host file and every preset evaluate with NixOS itself.
        nixos = import ./nix/tests/nixos-eval.nix { inherit pkgs module; inherit (nixpkgs.lib) nixosSystem; };
        # A host boots with the module (needs KVM).
        vm = import ./nix/tests/vm.nix { inherit pkgs module; };
        # A host boots in the hardened phase with the balanced preset (needs KVM).
        vm-hardened = import ./nix/tests/vm-hardened.nix { inherit pkgs module; };
      });
    };
}
