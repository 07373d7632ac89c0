#!/usr/bin/env bash
# How long a newcomer waits: clones this repository's current commit into a scratch
# folder, runs `scripts/demo --port N` there (a new .venv, a new demo database), and times
# from the start until /healthz answers. Then stops the demo and removes the clone.
# Prints the seconds to the first answer and to the end of the install; the README quotes
# them. "Warm registries": pip's cache is left as it is, so a second run measures what a
# newcomer on a machine that has downloaded the packages before sees; PIP_NO_CACHE_DIR=1
# measures a cold download instead.
#
#   bench/fresh_clone_demo.sh [PORT]     # default: a free port
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$repo" rev-parse HEAD)
port=${1:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
work=$(mktemp -d)
demo=
stop() {
  if [ -n "$demo" ] && kill -0 "$demo" 2>/dev/null; then
    kill -TERM -- "-$demo" 2>/dev/null || kill -TERM "$demo"
    wait "$demo" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT
git clone --quiet --no-checkout "$repo" "$work/deconflict"
git -C "$work/deconflict" checkout --quiet "$commit"
echo "fresh clone of $commit in $work/deconflict; scripts/demo --port $port" >&2
unset DECONFLICT_DATABASE_URL DECONFLICT_DATA_DIR DECONFLICT_PORT
started=$(date +%s.%N)
# Its own process group, so that stopping it stops the server it execs into.
setsid "$work/deconflict/scripts/demo" --port "$port" >"$work/demo.log" 2>&1 &
demo=$!
installed=
while true; do
  now=$(date +%s.%N)
  if [ -z "$installed" ] && [ -f "$work/deconflict/.venv/.installed" ]; then
    installed=$(python3 -c "print(f'{$now - $started:.0f}')")
  fi
  if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$demo" 2>/dev/null; then
    cat "$work/demo.log" >&2
    echo "error: scripts/demo stopped before answering" >&2
    exit 1
  fi
  if python3 -c "import sys; sys.exit($now - $started < 900)"; then
    tail -n 40 "$work/demo.log" >&2
    echo "error: no answer from scripts/demo within 900 s" >&2
    exit 1
  fi
  sleep 0.25
done
total=$(python3 -c "print(f'{$(date +%s.%N) - $started:.0f}')")
venv_mb=$(du -sm "$work/deconflict/.venv" | cut -f1)
echo "scripts/demo on a fresh clone: first answer after ${total} s (install done after ${installed:-?} s; .venv ${venv_mb} MB)"
