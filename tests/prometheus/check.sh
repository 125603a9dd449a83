#!/bin/sh
# config/prometheus/ as Prometheus and Alertmanager read it:
#   - promtool check rules / check config (prometheus.yml with its rules, federation.yml);
#   - amtool check-config, and the routing: critical alerts to khan-cap, the rest to canh-bao;
#   - promtool test rules: tests/prometheus/ceremonyd.rules.test.yml (every alert fires on
#     the series that should raise it, not before its `for`, not on healthy ones).
# The live checks (a real Prometheus scraping a real ceremonyd, federation, inhibition) are
# tests/integration/PrometheusTest.cpp.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
conf=$here/../../config/prometheus
for tool in promtool amtool; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (deps/install.sh)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

promtool check rules "$conf/ceremonyd.rules.yml"
# prometheus.yml names the viewer token's file as installed (/etc/prometheus/…); check a copy
# whose token file exists, with its rules beside it as they are installed.
cp "$conf/ceremonyd.rules.yml" "$work/"
echo "token-for-the-check" > "$work/viewer.token"
sed "s|/etc/prometheus/ceremonyd-viewer.token|$work/viewer.token|" "$conf/prometheus.yml" \
  > "$work/prometheus.yml"
grep -q "credentials_file: $work/viewer.token" "$work/prometheus.yml" ||
  { echo "FAIL: prometheus.yml has no credentials_file for the viewer token" >&2; exit 1; }
promtool check config "$work/prometheus.yml"
promtool check config "$conf/federation.yml"
amtool check-config "$conf/alertmanager.yml"

route() {
  want=$1
  shift
  amtool config routes test --config.file="$conf/alertmanager.yml" --verify.receivers="$want" "$@"
}
route khan-cap alertname=CeremonydPointDown severity=critical point=son-ha instance=qn:8080
route khan-cap alertname=CeremonydUplinkDown severity=critical instance=qn:8080
route canh-bao alertname=CeremonydInputLost severity=warning input=hoi_truong
route canh-bao alertname=SomethingElse

promtool test rules "$here/ceremonyd.rules.test.yml"
echo "prometheus config: ok"
