#!/bin/sh
# Installs the Debian packages listed in deps/packages.txt that are missing.
# Runs apt-get update at most once, and only when something is missing.
set -eu
here=$(dirname "$0")
list=$(grep -v '^[[:space:]]*#' "$here/packages.txt" | grep -v '^[[:space:]]*$')
missing=""
for p in $list; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
# Debian starts the servers it installs: a Prometheus on :9090 and an Alertmanager on :9093
# that nobody asked for (the tests run their own, on free ports). Only the ones installed
# just now are stopped and disabled; a machine's own Prometheus is left alone.
for s in prometheus prometheus-alertmanager; do
  case " $missing " in
    *" $s "*) [ -d /run/systemd/system ] && $SUDO systemctl disable --now "$s" >/dev/null 2>&1 || : ;;
  esac
done
