#!/usr/bin/env python3
"""The demo's 96 connection points, alive on loopback: what `make run` (config/demo/run.sh) and
tests/integration/DemoPointsTest.cpp start.

    config/demo/points.py OUT_DIR [--api 127.0.0.1:8080]

writes into OUT_DIR (made private, 0700; every file 0600):

  ceremony.toml   config/quang-ngai-2025-07-28.toml as it is (the embedded demo, so its
                  diagnostics keep their line numbers), with `[health] points_csv` appended
  points.csv      config/quang-ngai-points.csv with each point moved to its own loopback
                  address, 127.0.55.N, on one port picked free now; the same names,
                  contacts and probe kinds (http, tcp, heartbeat)
  tokens/ID       a fresh random token for each heartbeat point and each watching point
  simulator.spec  tests/tools/point_simulator's spec: an endpoint per http/tcp point, a
                  heartbeat sender per heartbeat point (it holds the tokens: never printed)
  viewers.spec    the points that watch the ceremony over the video bridge: `[bridge]` is
                  appended to ceremony.toml with its SRT listener on 127.0.55.1 (a UDP port
                  picked free now), each of WATCHING gets a second probe, of kind bridge, with
                  its own token, and config/demo/run.sh starts a tests/tools/bridge_viewer per
                  line, which reads the token from its file (never on a command line)
  returns.spec    the points that send their camera back over WHIP: each of SENDING gets a
                  `point` source in ceremony.toml (so `cut point:<id>` shows it) and
                  config/demo/run.sh starts a tests/tools/whip_sender per line (a coloured
                  picture with a ball and a tone), with that point's token file

Nothing listens beyond 127.0.55.0/24, and no test uses that block (they take 127.0.0.x and
up, one port picked free per test), so a demo and a test run side by side.
"""
import argparse
import csv
import io
import os
import secrets
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent.parent
CEREMONY = ROOT / "config" / "quang-ngai-2025-07-28.toml"
POINTS = ROOT / "config" / "quang-ngai-points.csv"
BLOCK = "127.0.55."

# What a few points do; every other one answers at once (healthy). The health rules that
# judge them are in daemon/health/README.md.
BEHAVIOUR = {
    "son-ha": "refusing",          # down («mất kết nối»): its contact is the one to call
    "binh-son": "flapping 20000",  # its line drops for 10 s every 20 s: up, down, up…
    "phuoc-giang": "slow 1200",    # slower than [health] degraded_latency (1 s):
    "dak-cam": "slow 1400",        #   degraded («chập chờn», «phản hồi chậm»)
    "tu-nghia": "slow 1600",
}
HEARTBEAT_EVERY_MS = 2000  # each heartbeat point POSTs this often (the daemon waits 30 s)
# Healthy points that also watch the ceremony over the bridge's SRT listener (a hardware
# decoder's way in: plain loopback UDP, no browser). The other points do not watch, which is
# normal: the dashboard shows «▶ đang xem» on these three tiles only.
WATCHING = ("nghia-hanh", "thien-tin", "duc-pho")
BRIDGE_MAX_VIEWERS = 10  # the three, and room for a point's page opened in a browser
# Watching points that also send their camera back (WHIP, with their bridge token): the
# dashboard shows «📷 gửi hình về» on their tiles, and an operator can cut to one. Small
# pictures (320×180 at 15 fps, 300 kbit/s): two encoders and their decodes cost the daemon's
# machine little next to the programme's encode.
SENDING = {"nghia-hanh": ("0xc0392b", 440), "duc-pho": ("0x2471a3", 660)}  # colour, tone Hz


def free_port(address, kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def heartbeat_base(api):
    """http://HOST:PORT of the daemon's API as a point on this machine reaches it."""
    host, _, port = api.rpartition(":")
    if not port.isdigit() or not host:
        sys.exit(f"points.py: --api needs ADDRESS:PORT, not {api!r}")
    if not host.startswith("127."):  # 0.0.0.0, a LAN address, [::1]: loopback reaches it
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.chmod(path, 0o600)  # an older file keeps its mode through O_TRUNC


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--api", default="127.0.0.1:8080",
                        help="where the daemon's API listens (its --listen)")
    args = parser.parse_args()
    os.umask(0o077)
    out = args.out
    (out / "tokens").mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    os.chmod(out / "tokens", 0o700)

    ceremony = CEREMONY.read_text(encoding="utf-8")
    if "points_csv" in ceremony or "\n[health]" in ceremony:
        sys.exit(f"points.py: {CEREMONY} has points of its own now; update config/demo/points.py")
    if "\n[bridge]" in ceremony:
        sys.exit(f"points.py: {CEREMONY} has a bridge of its own now; update config/demo/points.py")
    srt = f"{BLOCK}1:{free_port(BLOCK + '1', socket.SOCK_DGRAM)}"
    if set(SENDING) - set(WATCHING):
        sys.exit("points.py: a point that sends its camera back must be one of WATCHING (its token)")
    with POINTS.open(encoding="utf-8-sig", newline="") as f:
        names = {r["id"]: r["name"] for r in csv.DictReader(f)}
    sources = "".join(f"\n[sources.diem_cau_{pid.replace('-', '_')}]\nkind = \"point\"\n"
                      f"point = \"{pid}\"\nlabel = \"Điểm cầu {names[pid]}\"\n"
                      for pid in SENDING)
    write_private(out / "ceremony.toml", ceremony +
                  "\n# --- Added by config/demo/points.py: the demo's points, on loopback ---\n"
                  "[health]\npoints_csv = \"points.csv\"\n\n"
                  f"[bridge]\nmax_viewers = {BRIDGE_MAX_VIEWERS}\nsrt_listen = \"{srt}\"\n"
                  + sources)

    with POINTS.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames)
        rows = list(reader)
    port = free_port(BLOCK + "1")
    api = heartbeat_base(args.api)
    address = {}  # point id -> its loopback address
    spec = [f"# Generated by config/demo/points.py from {POINTS.relative_to(ROOT)}; do not edit.",
            "# endpoint ID ADDRESS:PORT BEHAVIOUR | heartbeat ID URL EVERY_MS STOP_AFTER_MS TOKEN"]
    unknown = (set(BEHAVIOUR) | set(WATCHING)) - {r["id"] for r in rows}
    if unknown:
        sys.exit(f"points.py: {', '.join(sorted(unknown))} not in {POINTS}")
    viewers = ["# Generated by config/demo/points.py; config/demo/run.sh starts a bridge_viewer "
               "per line.", "# viewer ID SRT_ADDRESS:PORT TOKEN_FILE (relative to this directory)"]
    csv_rows = []
    for row in rows:
        csv_rows.append(row)
        pid, kind = row["id"], row["probe_kind"]
        if pid not in address:
            address[pid] = BLOCK + str(2 + len(address))
            if len(address) > 250:
                sys.exit("points.py: more points than 127.0.55.2–251 holds")
        at = f"{address[pid]}:{port}"
        row["token_file"] = ""
        if kind == "heartbeat":
            token = secrets.token_hex(16)
            write_private(out / "tokens" / pid, token + "\n")
            row["url_or_host"] = ""
            row["token_file"] = f"tokens/{pid}"
            spec.append(f"heartbeat {pid} {api}/api/points/{pid}/heartbeat "
                        f"{HEARTBEAT_EVERY_MS} 0 {token}")
            continue
        behaviour = BEHAVIOUR.get(pid, "healthy")
        if kind in ("http", "https"):
            path = urlsplit(row["url_or_host"]).path or "/"
            row["probe_kind"] = "http"  # the simulator speaks plain HTTP
            row["url_or_host"] = f"http://{at}{path}"
        elif kind == "tcp":
            if behaviour.split()[0] not in ("healthy", "refusing"):
                sys.exit(f"points.py: {pid} is probed over tcp: «{behaviour}» would not show")
            row["url_or_host"] = at
        else:
            sys.exit(f"points.py: {pid}: probe kind {kind!r} has no stand-in in the demo")
        spec.append(f"endpoint {pid} {at} {behaviour}")
        if pid in WATCHING:
            if behaviour != "healthy":
                sys.exit(f"points.py: {pid} watches the ceremony: it must be healthy, not «{behaviour}»")
            # Its second probe, on the next row: its bridge session, with a token of its own.
            write_private(out / "tokens" / pid, secrets.token_hex(16) + "\n")
            csv_rows.append({**{f: "" for f in fields}, "id": pid, "probe_kind": "bridge",
                             "token_file": f"tokens/{pid}"})
            viewers.append(f"viewer {pid} {srt} tokens/{pid}")

    csv_text = io.StringIO()
    writer = csv.DictWriter(csv_text, fieldnames=fields + ["token_file"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows)
    write_private(out / "points.csv", csv_text.getvalue())
    write_private(out / "simulator.spec", "\n".join(spec) + "\n")
    write_private(out / "viewers.spec", "\n".join(viewers) + "\n")
    returns = ["# Generated by config/demo/points.py; config/demo/run.sh starts a whip_sender "
               "per line.", "# sender ID TOKEN_FILE COLOUR TONE_HZ"]
    returns += [f"sender {pid} tokens/{pid} {colour} {tone}"
                for pid, (colour, tone) in SENDING.items()]
    write_private(out / "returns.spec", "\n".join(returns) + "\n")
    endpoints = sum(1 for line in spec if line.startswith("endpoint "))
    print(f"{len(address)} điểm cầu mô phỏng trên {BLOCK}2–{1 + len(address)} cổng {port}: "
          f"{endpoints} trả lời thăm dò, {len(spec) - 2 - endpoints} gửi heartbeat, "
          f"{len(viewers) - 2} xem buổi lễ qua cầu truyền hình (SRT {srt}), "
          f"{len(SENDING)} gửi hình về tỉnh (WHIP)")


if __name__ == "__main__":
    main()
