#!/usr/bin/env python3
"""Reaction times of the programme's fallbacks (issue 6), as distributions over trials.

One ceremonyd runs a hall camera that arrives over SRT (a real gst-launch-1.0 sender as the
hall's encoder: scrolling SMPTE bars, H.264 in MPEG-TS, SRT caller) full screen, recording the
programme to Matroska and pushing it to a loopback nginx-rtmp. Then, trial after trial:

  stop     the sender is switched off (SIGINT: it closes its SRT connection). Measured on the
           recording's own timestamps: last frame of the moving hall picture → first frame of
           the "Mất tín hiệu" card. Target p95 ≤ 500 ms.
  kill     the sender dies (SIGKILL: no goodbye, the line just goes quiet), so only the
           input's signal_timeout (default 1 s) can tell. Same measure. Reported, no target:
           it is signal_timeout plus at most a frame, by design.
  back     a new sender is started 2.5 s after the last one ended: its process start → the
           daemon's API says the hall is running again (so it includes the sender's own
           start-up, ~0.3 s), after a clean stop and after a kill. Target p95 ≤ 1 s.
  server   nginx is killed for 3 s and started again: its return → the daemon publishes again
           (nginx's log). Target p95 ≤ 2 s.

Medians, p95 and max over the trials; the machine is small and shared.
  tests/bench/reaction_bench.py --build build              # 10 trials each, ~4 min
  tests/bench/reaction_bench.py --build build --trials 3   # quick look
"""

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import media_bench as mb  # noqa: E402  (nginx-rtmp, process helpers)

CONFIG = """[event]
title = "Đo thời gian phản ứng"
date = "2025-07-28"
timezone = "+07:00"
venue = "Phòng thử nghiệm"

[programme]
width = 1280
height = 720
fps = 30

[sources.hoi_truong]
kind = "uri"
uri = "srt://127.0.0.1:{srt}?mode=listener{srt_options}"
label = "Camera hội trường"

[scenes.hoi_truong]
kind = "source"
source = "hoi_truong"

[outputs.ghi]
kind = "record"
directory = "rec"

[[timeline]]
id = "truc-tiep"
title = "Trực tiếp hội trường"
start = "09:00"
duration = "3600s"
scene = "hoi_truong"
"""


def sender(srt, log):
    return mb.start(["gst-launch-1.0", "-e", "videotestsrc", "is-live=true", "pattern=smpte",
                     "horizontal-speed=20", "!", "video/x-raw,width=640,height=360,framerate=30/1",
                     "!", "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=15",
                     "!", "h264parse", "config-interval=-1", "!", "mpegtsmux", "name=m",
                     "alignment=7", "!", "srtsink", f"uri=srt://127.0.0.1:{srt}?mode=caller",
                     "audiotestsrc", "is-live=true", "!", "audioconvert", "!", "avenc_aac", "!",
                     "aacparse", "!", "m."], log)


def hall_state(api):
    try:
        with urllib.request.urlopen(api + "/api/status", timeout=2) as r:
            for i in json.load(r).get("inputs", []):
                if i.get("id") == "hoi_truong":
                    return i.get("state", "")
    except OSError:
        pass
    return ""


def grids(path, log_dir):
    """(pts seconds, 8×8 RGB grid) of every frame of the recording."""
    r = mb.run(["ffmpeg", "-nostdin", "-v", "info", "-i", str(path), "-an", "-vf",
                "format=rgb24,scale=8:8:flags=area,showinfo", "-fps_mode", "passthrough", "-f",
                "rawvideo", "-pix_fmt", "rgb24", "-"], 600, log_dir / "ffmpeg-grids.txt")
    times = [float(line.split(" pts_time:")[1].split()[0])
             for line in r.stderr.decode(errors="replace").splitlines()
             if "showinfo" in line and " pts_time:" in line]
    raw = r.stdout
    frames = [raw[i:i + 192] for i in range(0, len(raw) - 191, 192)]
    return list(zip(times, frames))


def is_card(g):  # the card's grey (#3a3a3a) fills its lower quarter
    return all(abs(g[(r * 8 + c) * 3 + k] - 58) <= 14 for r in (6, 7) for c in range(8)
               for k in range(3))


def change(a, b):
    return max(abs(x - y) for x, y in zip(a, b))


def card_onsets(track):
    """For every hall → card switch: last moving hall frame → first card frame, in ms."""
    out = []
    for i in range(1, len(track)):
        if not is_card(track[i][1]) or is_card(track[i - 1][1]):
            continue
        j = i - 1
        while j > 0 and not is_card(track[j - 1][1]) and change(track[j - 1][1], track[j][1]) < 6:
            j -= 1
        # A stretch of the moving hall picture (not the pre-show card before any feed).
        moving = sum(1 for k in range(max(1, j - 15), j)
                     if change(track[k - 1][1], track[k][1]) >= 6)
        if moving >= 8:
            out.append((track[i][0] - track[j][0]) * 1000)
    return out


def summary(name, values, target=None):
    if not values:
        return f"{name}: no trials"
    v = sorted(values)
    p95 = v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]
    line = (f"{name:7s} n={len(v):2d}  median {statistics.median(v):6.0f} ms  p95 {p95:6.0f} ms"
            f"  max {v[-1]:6.0f} ms")
    if target:
        line += f"  (target p95 ≤ {target} ms: {'met' if p95 <= target else 'MISSED'})"
    return line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--srt-options", default="",
                    help='appended to the listener URI, e.g. "&peeridletimeo=1500"')
    args = ap.parse_args()
    build = Path(args.build).resolve()
    work = Path(tempfile.mkdtemp(prefix="ceremonyd-reaction-"))
    try:
        nginx = mb.Nginx(work)
        api_port, srt = mb.free_port(), mb.free_port()
        (work / "hall.toml").write_text(CONFIG.format(srt=srt, srt_options=args.srt_options))
        api = f"http://127.0.0.1:{api_port}"
        daemon = mb.start([str(build / "ceremonyd"), "--config", str(work / "hall.toml"),
                           "--rehearsal=1", "--fresh", "--state-dir", str(work / "state"),
                           "--listen", f"127.0.0.1:{api_port}", "--rtmp", nginx.url("bench")],
                          work / "daemon.log")
        if not mb.wait_until(lambda: nginx.published("bench"), 20):
            raise RuntimeError("no publish:\n" + mb.tail(work / "daemon.log"))
        back, stop_n, kill_n = [], 0, 0
        for trial in range(2 * args.trials):
            s = sender(srt, work / f"sender-{trial}.log")
            t0 = time.monotonic()
            if not mb.wait_until(lambda: hall_state(api) == "running", 10, 0.02):
                raise RuntimeError("the hall never came: " + mb.tail(work / "daemon.log"))
            back.append((time.monotonic() - t0) * 1000)
            time.sleep(2.5)
            kill = trial % 2 == 1  # alternate: a clean stop, then a dead line
            mb.stop(s, signal.SIGKILL if kill else signal.SIGINT, 5)
            kill_n, stop_n = kill_n + kill, stop_n + (not kill)
            mb.wait_until(lambda: hall_state(api) in ("stalled", "retrying"), 5, 0.02)
            time.sleep(2.5)  # the card on air; the listener rebuilt and waiting
        # The ingest goes away and comes back.
        server = []
        log = nginx.dir / "error.log"
        for trial in range(args.trials):
            before = log.read_text(errors="replace").count(" publish: name='bench'")
            mb.stop(nginx.proc, signal.SIGKILL, 2)
            time.sleep(3)
            d = str(nginx.dir)
            nginx.proc = mb.start([mb.NGINX, "-p", d + "/", "-c", d + "/nginx.conf", "-e",
                                   d + "/error.log"], nginx.dir / f"nginx-{trial}.out", cwd=d)
            mb.wait_until(lambda: mb.accepts(nginx.port), 10, 0.01)
            t0 = time.monotonic()
            mb.wait_until(lambda: log.read_text(errors="replace").count(
                " publish: name='bench'") > before, 30, 0.01)
            server.append((time.monotonic() - t0) * 1000)
            time.sleep(2)
        mb.stop(daemon, signal.SIGTERM, 15)
        rec = sorted((work / "rec").glob("*.mkv"))
        onsets = card_onsets(grids(rec[0], work)) if rec else []
        # Trials alternate stop, kill: the onsets come in that order.
        stops, kills = onsets[0::2], onsets[1::2]
        print(f"hall over SRT, {args.trials} trials each (recording: {len(onsets)} card onsets)")
        print(summary("stop", stops, 500))
        print(summary("kill", kills))
        # back[t] follows trial t-1's end: a clean stop when t-1 is even, a kill when odd.
        after_stop = [back[t] for t in range(1, len(back)) if (t - 1) % 2 == 0]
        after_kill = [back[t] for t in range(1, len(back)) if (t - 1) % 2 == 1]
        print(summary("back", after_stop, 1000) + "  after a clean stop")
        print(summary("back", after_kill, 1000) + "  after a kill")
        print(summary("server", server, 2000))
        print(json.dumps({"stop_ms": [round(x) for x in stops], "kill_ms": [round(x) for x in kills],
                          "back_ms": [round(x) for x in back],
                          "server_ms": [round(x) for x in server]}))
    finally:
        mb.stop_all()
        subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
