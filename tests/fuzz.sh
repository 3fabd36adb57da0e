#!/bin/sh
# Runs every fuzz target of the module briefly, for CI. Seeds live in
# testdata/fuzz/<Target> next to each test; a failure leaves its input
# there, to commit with the fix.
#   tests/fuzz.sh [seconds per target, default 5]
set -eu
cd "$(dirname "$0")/.."
t=${1:-5}
# file:line:func FuzzName(... -> ./dir FuzzName
git grep -n '^func Fuzz' -- '*_test.go' | sed -E 's#^(.*)/[^/]+_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]+).*#./\1 \2#' |
  while read -r pkg target; do
    echo "fuzz: $pkg $target (${t}s)"
    # A crash is always written to testdata/fuzz and fails at once. A run
    # that fails without one is the fuzzer's own trouble (a worker lost on
    # a loaded machine): it is shown and tried once more.
    for try in 1 2; do
      if out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "${t}s" "$pkg" 2>&1); then break; fi
      echo "$out" | tail -20
      if [ "$try" = 2 ] || echo "$out" | grep -q 'Failing input written to'; then exit 1; fi
      echo "fuzz: $target failed without a failing input: once more"
    done
  done
