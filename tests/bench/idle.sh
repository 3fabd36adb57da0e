#!/usr/bin/env bash
# idle.sh: hv left idle on the VM list of a 1000-VM test-driver host.
# Prints the CPU it used over 30 s (share of one core) and its resident
# memory. Targets: at most 5% of one core, at most 80 MB.
# HV_IDLE_ENV adds variables to hv's environment (e.g. HV_IDLE_ENV=GOGC=50).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/hv-bench-XXXXXX)
sock=hv-bench-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

tests/bench/genhost.sh 1000 "$work/host.xml"
go build -o "$work/hv" ./cmd/hv
tmux -L "$sock" new-session -d -x 120 -y 40 \
  "exec env TERM=xterm-256color XDG_STATE_HOME=$work ${HV_IDLE_ENV:-} $work/hv --connect test://$work/host.xml"
pid=$(tmux -L "$sock" display-message -p '#{pane_pid}')
for _ in $(seq 100); do
  tmux -L "$sock" capture-pane -p | grep -q "1000 VMs" && break
  sleep 0.1
done
tmux -L "$sock" capture-pane -p | grep -q "1000 VMs" || { echo "hv did not show the host" >&2; exit 1; }
tmux -L "$sock" send-keys 1         # the VM list: the stats tick runs there
sleep 5                             # let it settle
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep 30
t1=$(ticks)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
anon=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status")
file=$(awk '/RssFile/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" 'BEGIN {printf "%.2f", d / hz / 30 * 100}')
echo "idle on the VM list of 1000 VMs for 30 s: CPU ${cpu}% of one core (target <= 5%)"
echo "resident memory: $((rss / 1024)) MB now, $((hwm / 1024)) MB peak (target <= 80 MB)"
echo "  of which $((anon / 1024)) MB hv's own (anonymous), $((file / 1024)) MB mapped files (the binary and its libraries, shared)"
tmux -L "$sock" capture-pane -p | head -3
