#!/bin/sh
# make bench: runs every benchmark in tests/bench (*_bench.py), each measuring ceremonyd
# side by side with its peer in one run, and prints medians and ratios.
#   tests/bench/run.sh BUILD_DIR [NAME...]     e.g. tests/bench/run.sh build media
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
[ $# -gt 0 ] && shift
status=0
for script in "$here"/*_bench.py; do
  name=$(basename "$script" _bench.py)
  if [ $# -gt 0 ]; then
    case " $* " in *" $name "*) ;; *) continue ;; esac
  fi
  echo "== bench: $name"
  python3 "$script" --build "$build" || status=1
done
exit $status
