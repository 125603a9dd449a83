#!/bin/sh
# The unit's sandbox, as `systemd-analyze security` scores it (0 = locked down, 10 = open):
# the unit as shipped at most 1.1, with the capture-card drop-in at most 1.5, with the
# network allow-list example at most 1.0. A drop-in is read after the unit, as systemd does.
# Also fails if a setting is misspelt or unknown to this systemd (analyze prints it).
set -eu
dir=$(dirname "$0")/../../systemd
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
check() {
  name=$1 threshold=$2
  shift 2
  cat "$@" > "$work/$name.service"
  out=$(systemd-analyze security --offline=true --threshold="$threshold" "$work/$name.service" 2>&1) || {
    printf '%s\n' "$out"
    echo "FAIL: $name: exposure over $threshold/10" >&2
    exit 1
  }
  if printf '%s\n' "$out" | grep -Ei 'unknown (key|lvalue)|failed to parse|invalid' >&2; then
    echo "FAIL: $name: systemd did not take every line" >&2
    exit 1
  fi
  printf '%s: %s\n' "$name" "$(printf '%s\n' "$out" | grep 'Overall exposure')"
}
check ceremonyd 11 "$dir/ceremonyd.service"
check ceremonyd-capture 15 "$dir/ceremonyd.service" "$dir/capture.conf"
check ceremonyd-network 10 "$dir/ceremonyd.service" "$dir/network.conf.example"
