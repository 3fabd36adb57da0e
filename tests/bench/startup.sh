#!/usr/bin/env bash
# startup.sh: wall time from starting `hv --demo` in a terminal to the home
# screen showing the host summary, against `hv vm list --demo` (process
# start plus connecting to the demo host). Their difference is what the TUI
# adds after libvirt has connected; the Go benchmark BenchmarkFirstFrame*
# in ui/app measures that part alone. Target: at most 150 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/hv-bench-XXXXXX)
sock=hv-start-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/hv" ./cmd/hv
ms() { date +%s%3N; }

runs=5
tui=0 cli=0
for _ in $(seq $runs); do
  t0=$(ms)
  XDG_STATE_HOME=$work "$work/hv" vm list --demo >/dev/null
  cli=$((cli + $(ms) - t0))

  tmux -L "$sock" kill-server 2>/dev/null || true
  t0=$(ms)
  tmux -L "$sock" new-session -d -x 120 -y 40 "exec env TERM=xterm-256color XDG_STATE_HOME=$work $work/hv --demo"
  until tmux -L "$sock" capture-pane -p 2>/dev/null | grep -q "14 VMs"; do sleep 0.005; done
  tui=$((tui + $(ms) - t0))
done
echo "hv vm list --demo (start + connect + list): $((cli / runs)) ms"
echo "hv --demo to the home screen with its host summary: $((tui / runs)) ms (includes tmux and polling)"
echo "difference, the TUI after connecting: about $(((tui - cli) / runs)) ms (target <= 150 ms)"
