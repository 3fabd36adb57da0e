#!/bin/sh
# Runs every fuzz target briefly, for CI: the host-file decoder and the
# catalog loader. Seeds live in testdata/fuzz/<Target> next to each test;
# a failure leaves its input there, to commit with the fix.
#   tests/fuzz.sh [seconds per target, default 5]
set -eu
cd "$(dirname "$0")/.."
t=${1:-5}
go test -run '^$' -fuzz '^FuzzDecodeHost$' -fuzztime "${t}s" ./nix/
go test -run '^$' -fuzz '^FuzzLoad$' -fuzztime "${t}s" ./security/features/
