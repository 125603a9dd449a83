#!/bin/sh
# `make run`: the demo ceremony with its 96 connection points alive on loopback.
#
#   config/demo/run.sh BIN_DIR DEMO_DIR [ceremonyd options...]
#
# config/demo/points.py writes the demo into DEMO_DIR (the Quảng Ngãi ceremony of
# config/quang-ngai-2025-07-28.toml — the embedded demo — with its 96 points moved to
# 127.0.55.x, a simulator spec and the heartbeat tokens, all private), BIN_DIR/point_simulator
# plays the points, and BIN_DIR/ceremonyd runs the ceremony moved to now and 60× faster
# (--rehearsal=60, as the embedded demo does), with the options given after DEMO_DIR (a later
# --rehearsal=N or --listen wins). The simulator stops, by its PID, when the daemon does:
# Ctrl-C, SIGTERM, or the daemon's own exit. With --config FILE in the options it is not a
# demo: ceremonyd runs that file as before, without simulated points.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 BIN_DIR DEMO_DIR [ceremonyd options...]" >&2; exit 2; }
bin=$1
dir=$2
shift 2

listen=127.0.0.1:8080  # the daemon's default; the heartbeats go there
previous=
for a in "$@"; do
  case $a in
    --config | --config=* | --help | -h | --version) exec "$bin/ceremonyd" "$@" ;;
    --listen=*) listen=${a#--listen=} ;;
  esac
  if [ "$previous" = --listen ]; then listen=$a; fi
  previous=$a
done

python3 "$(dirname "$0")/points.py" "$dir" --api "$listen"

# In the background, so that its PID is known and it can be stopped by it.
"$bin/point_simulator" --spec "$dir/simulator.spec" >"$dir/simulator.log" 2>&1 &
simulator=$!
trap 'kill "$simulator" 2>/dev/null && wait "$simulator" || :' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
tries=0
until grep -q '^ready' "$dir/simulator.log"; do
  if ! kill -0 "$simulator" 2>/dev/null || [ $tries -ge 100 ]; then
    echo "point_simulator did not start (see $dir/simulator.log):" >&2
    tail -n 5 "$dir/simulator.log" >&2
    exit 1
  fi
  tries=$((tries + 1))
  sleep 0.1
done

# The daemon runs in the background too, and the shell waits for it: a signal to this shell
# (make passes on SIGTERM) is handed to the daemon at once instead of after its end. Ctrl-C
# reaches the daemon from the terminal as well, and it stops cleanly on the first signal; it
# is passed on as SIGTERM because a background job starts with SIGINT ignored (until the
# daemon sets its own handler).
"$bin/ceremonyd" --config "$dir/ceremony.toml" --rehearsal=60 "$@" &
daemon=$!
trap 'kill -TERM "$daemon" 2>/dev/null || :' INT TERM HUP
status=0
while kill -0 "$daemon" 2>/dev/null; do
  if wait "$daemon"; then status=0; else status=$?; fi
done
exit "$status"
