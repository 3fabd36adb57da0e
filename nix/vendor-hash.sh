#!/bin/sh
# Prints the vendorHash of nix/package.nix for the current go.mod: the NAR
# hash of `go mod vendor`, which buildGoModule checks. With --write, puts it
# into nix/package.nix. Needs go and nix-hash (Debian: nix-bin).
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go mod vendor -o "$tmp/vendor"
hex=$(NIX_CONFIG='build-users-group =' nix-hash --type sha256 "$tmp/vendor")
sri="sha256-$(printf '%s' "$hex" | xxd -r -p | base64 -w0)"
if [ "${1-}" = --write ]; then
	sed -i "s|vendorHash = \"[^\"]*\";|vendorHash = \"$sri\";|" nix/package.nix
fi
echo "$sri"
