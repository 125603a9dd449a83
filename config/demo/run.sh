#!/bin/sh
# `make run`: the demo ceremony with its 96 connection points alive on loopback.
#
#   config/demo/run.sh BIN_DIR DEMO_DIR [ceremonyd options...]
#
# config/demo/points.py writes the demo into DEMO_DIR (the Quảng Ngãi ceremony of
# config/quang-ngai-2025-07-28.toml — the embedded demo — with its 96 points moved to
# 127.0.55.x, the video bridge's SRT listener on 127.0.55.1, a simulator spec, the viewers'
# spec and the points' tokens, all private), BIN_DIR/point_simulator plays the points, and
# BIN_DIR/ceremonyd runs the ceremony moved to now and 60× faster (--rehearsal=60, as the
# embedded demo does), with the options given after DEMO_DIR (a later --rehearsal=N or
# --listen wins). Once the daemon answers, a BIN_DIR/bridge_viewer per line of viewers.spec
# watches the ceremony as its point over SRT (it reads its token from the point's file), and a
# BIN_DIR/whip_sender per line of returns.spec sends its point's camera back over WHIP (a
# coloured picture and a tone; its token from the point's file too). The simulator, the
# viewers and the senders stop, by their PIDs, when the daemon does: Ctrl-C, SIGTERM, or
# the daemon's own exit. With --config FILE in the options it is not a demo: ceremonyd runs
# that file as before, without simulated points.
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
viewers=
senders=
stop_helpers() {
  for pid in $senders $viewers $simulator; do kill "$pid" 2>/dev/null || :; done
  for pid in $senders $viewers $simulator; do wait "$pid" 2>/dev/null || :; done
}
trap stop_helpers EXIT
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

# The simulated viewers, once the daemon answers (its SRT listener starts before its API).
# Each is a real SRT receiver that demuxes and parses the programme's H.264 and AAC without
# decoding them: three cost the two-core machine little next to the programme's encode.
host=${listen%:*}
case $host in 127.*) ;; *) host=127.0.0.1 ;; esac  # 0.0.0.0, a LAN address: loopback reaches it
tries=0
until python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.5)' \
  "$host" "${listen##*:}" 2>/dev/null; do
  if ! kill -0 "$daemon" 2>/dev/null || [ $tries -ge 150 ]; then break; fi
  tries=$((tries + 1))
  sleep 0.2
done
if kill -0 "$daemon" 2>/dev/null && [ $tries -lt 150 ]; then
  while read -r what point at token; do
    [ "$what" = viewer ] || continue
    "$bin/bridge_viewer" --srt "$at" --point "$point" --token-file "$dir/$token" \
      --stats-ms 10000 >"$dir/viewer-$point.log" 2>&1 &
    viewers="$viewers $!"
  done <"$dir/viewers.spec"
  # The points that send their camera back: the bridge's WHIP on the API's address.
  if [ -x "$bin/whip_sender" ]; then
    while read -r what point token colour tone; do
      [ "$what" = sender ] || continue
      "$bin/whip_sender" --url "http://$host:${listen##*:}/whip/$point" --token-file "$dir/$token" \
        --color "$colour" --tone-hz "$tone" --width 320 --height 180 --fps 15 --kbps 300 \
        >"$dir/sender-$point.log" 2>&1 &
      senders="$senders $!"
    done <"$dir/returns.spec"
  else
    echo "$bin/whip_sender chưa được build: không có điểm cầu mô phỏng nào gửi hình về" >&2
  fi
elif kill -0 "$daemon" 2>/dev/null; then
  echo "ceremonyd chưa trả lời trên $listen sau 30 s: không có điểm cầu mô phỏng nào xem qua cầu truyền hình" >&2
fi

status=0
while kill -0 "$daemon" 2>/dev/null; do
  if wait "$daemon"; then status=0; else status=$?; fi
done
exit "$status"
