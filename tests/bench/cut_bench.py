#!/usr/bin/env python3
"""Cut to a point (issue 14): the operator's click -> the point's picture on the programme.
Target: p95 <= 500 ms, the keyframe request included (once feeds are decoded only while
needed, a cut to a point must ask its sender for a keyframe).

One ceremonyd --rehearsal=1 makes a 720p30 programme and pushes it to a loopback nginx-rtmp;
point xa-1 sends a green picture (tests/tools/whip_sender --color 0x00c000: x264 live, a
white ball moving on it) and has a `point` source; the run-of-show's item is a blue slate
(background #0000c0). A watcher, ffmpeg playing the stream back from nginx with no buffering
(-fflags nobuffer -flags low_delay, scaled to 64x36 RGB, a pipe flushed at each frame), tells
each frame's colour: green (the point), blue (the slate), else nothing.

Cuts at random moments (to the point 3.5-5.5 s after the last, when its feed is no
longer decoded, so each asks for a keyframe; to the slate 1.5-3.5 s after), alternating: POST /api/program/cut
{"scene": "point:xa-1"} then {"scene": "slate"}; each time, from the moment the request is
sent to the first frame of the new colour the watcher decodes. The cut to the slate needs no
keyframe and no point: it is the latency of the way there and back (the daemon's take lead,
the encoder, RTMP, nginx, the watcher's decode), which is subtracted: the cost of a point is
its cut's latency less the median slate cut's. --others N adds N more points sending the
replayed 720p clip (return_bench.py's) with no `point` source, received for nobody.

  tests/bench/cut_bench.py --build build            # 20 cuts each way, ~2 min
  tests/bench/cut_bench.py --build build --cuts 40 --others 8
"""

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import media_bench as mb  # noqa: E402  (nginx-rtmp, process helpers)
import bridge_bench as bb  # noqa: E402  (write_secret)
import return_bench as rb  # noqa: E402  (the replayed clip)

W, H = 64, 36
GREEN, BLUE = (0, 192, 0), (0, 0, 192)

CONFIG = """# cut_bench.py: a point cut to and from a slate.
[event]
title = "Cut benchmark"
date = "2025-07-28"
timezone = "+07:00"
venue = "Loopback"

[programme]
width = 1280
height = 720
fps = 30
video_bitrate_kbps = 2500
keyframe_interval_s = 2

[sources.p1]
kind = "point"
point = "xa-1"
# A flat green with a small ball moving on it: the picture check would call it frozen.
expect_motion = false

[scenes.slate]
kind = "slate"
text = ""
background = "#0000c0"

[api]
max_connections_per_address = 500
max_streams = 500
max_streams_per_address = 500

[bridge]
return_bitrate_kbps = 4000

[health]
interval = "2s"

{points}
[[timeline]]
id = "cho"
title = "Chờ"
start = "09:00"
duration = "3600s"
scene = "slate"
"""


def log(*a):
    print(*a, flush=True)


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


class Watcher:
    """ffmpeg playing the programme back from nginx: each frame's colour and arrival time."""

    def __init__(self, url, log_path):
        self.proc = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-fflags", "nobuffer", "-flags",
             "low_delay", "-probesize", "32768", "-analyzeduration", "0", "-i", url, "-an",
             "-vf", f"scale={W}:{H}", "-pix_fmt", "rgb24", "-f", "rawvideo", "-flush_packets",
             "1", "-"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=open(log_path, "wb"), start_new_session=True, preexec_fn=mb._child_setup)
        mb._started.append(self.proc)  # stopped with the rest (mb.stop_all)
        self.frames = []  # (monotonic time, colour)
        self.raw = b""  # the last frame
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    @staticmethod
    def colour(frame):
        def share(c):
            n = 0
            for i in range(0, len(frame), 3):
                if (abs(frame[i] - c[0]) < 60 and abs(frame[i + 1] - c[1]) < 60
                        and abs(frame[i + 2] - c[2]) < 60):
                    n += 1
            return n / (W * H)
        if share(GREEN) > 0.5:
            return "point"
        if share(BLUE) > 0.5:
            return "slate"
        return "other"

    def _read(self):
        size = W * H * 3
        while True:
            buf = b""
            while len(buf) < size:
                chunk = self.proc.stdout.read(size - len(buf))
                if not chunk:
                    return
                buf += chunk
            t = time.monotonic()
            c = self.colour(buf)
            with self.cond:
                self.raw = buf
                self.frames.append((t, c))
                self.cond.notify_all()

    def first(self, colour, since, timeout):
        """The time of the first frame of `colour` arrived after `since` (None at timeout)."""
        until = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, c in self.frames:
                    if t > since and c == colour:
                        return t
                left = until - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def last(self):
        with self.cond:
            return self.frames[-1] if self.frames else None


def api(port, token, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request(method, path, json.dumps(body) if body is not None else None,
                  {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=HERE.parents[1] / "build",
                    help="build directory with ceremonyd and whip_sender (default: build)")
    ap.add_argument("--cuts", type=int, default=20, help="cuts each way (20)")
    ap.add_argument("--others", type=int, default=0,
                    help="more points sending the 720p clip, with no `point` source (0)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/bench-return"),
                    help="where return_bench.py's clip is made once (for --others)")
    ap.add_argument("--seed", type=int, help="random seed of the cut moments")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    args = ap.parse_args()
    args.build = args.build.resolve()
    missing = [str(t) for t in (args.build / "ceremonyd", args.build / "whip_sender", mb.NGINX,
                                mb.RTMP_MODULE, Path("/usr/bin/ffmpeg")) if not Path(t).exists()]
    if missing:
        print("cut bench: missing " + ", ".join(missing), file=sys.stderr)
        return 1
    rng = random.Random(args.seed)

    def on_signal(signum, frame):
        mb.stop_all()
        sys.exit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    work = Path(tempfile.mkdtemp(prefix="ceremonyd-cut-bench-"))
    watcher = None
    try:
        nginx = mb.Nginx(work)
        points = ["xa-1"] + [f"xa-{i + 2}" for i in range(args.others)]
        tokens = {}
        blocks = []
        for i, p in enumerate(points):
            f = work / f"{p}.token"
            bb.write_secret(f, secrets.token_urlsafe(24))
            tokens[p] = f
            blocks.append(rb.POINT.format(id=p, n=i + 1, token=f.name))
        (work / "cut.toml").write_text(CONFIG.format(points="\n".join(blocks)))
        op = work / "operator.token"
        bb.write_secret(op, secrets.token_urlsafe(24))
        token = op.read_text().strip()
        port = mb.free_port()
        daemon = mb.start([str(args.build / "ceremonyd"), "--config", str(work / "cut.toml"),
                           "--rehearsal=1", "--listen", f"127.0.0.1:{port}",
                           "--operator-token-file", str(op), "--state-dir", str(work / "state"),
                           "--rtmp", nginx.url("cut")], work / "ceremonyd.log", cwd=work)
        if not mb.wait_until(lambda: (mb.accepts(port) and nginx.published("cut"))
                             or daemon.poll() is not None, 40) or daemon.poll() is not None:
            raise RuntimeError("ceremonyd did not publish within 40 s:\n" +
                               mb.tail(work / "ceremonyd.log"))
        senders = [mb.start([str(args.build / "whip_sender"), "--url",
                             f"http://127.0.0.1:{port}/whip/xa-1", "--token-file",
                             str(tokens["xa-1"]), "--color", "0x00c000", "--width", "1280",
                             "--height", "720", "--fps", "30", "--kbps", "1500"],
                            work / "sender-xa-1.log")]
        if args.others:
            clip = rb.make_clip(args.cache, work)
            for p in points[1:]:
                senders.append(mb.start([str(args.build / "whip_sender"), "--url",
                                         f"http://127.0.0.1:{port}/whip/{p}", "--token-file",
                                         str(tokens[p]), "--file", str(clip)],
                                        work / f"sender-{p}.log"))
                time.sleep(0.3)

        def connected():
            st, body = api(port, token, "GET", "/api/points")
            if st != 200:
                return 0
            return sum(1 for p in json.loads(body).get("points", [])
                       if (p.get("return") or {}).get("connected"))
        if not mb.wait_until(lambda: connected() >= len(points), 60, 0.5):
            raise RuntimeError(f"only {connected()} of {len(points)} points sending")
        watcher = Watcher(nginx.url("cut"), work / "watcher.log")
        if not mb.wait_until(lambda: (watcher.last() or (0, ""))[1] == "slate", 20, 0.2):
            raise RuntimeError(f"the watcher sees no slate: {watcher.last()}:\n" +
                               mb.tail(work / "watcher.log"))
        time.sleep(2)
        log(f"   {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}; {args.cuts} cuts each "
            f"way; {args.others} other feeds; work dir {work}")
        lat = {"point": [], "slate": []}
        missed = {"point": 0, "slate": 0}
        cold_missed = 0  # cuts to the point whose feed was still decoded
        c0, busy0, w0 = mb.cpu_seconds(daemon.pid), mb.machine_busy_seconds(), time.monotonic()
        for k in range(2 * args.cuts):
            to = "point" if k % 2 == 0 else "slate"
            # A cut to the point comes once its feed is no longer decoded (2 s after it left
            # the programme, at the next second's steering): a cold cut, its keyframe asked for.
            time.sleep(rng.uniform(3.5, 5.5) if to == "point" else rng.uniform(1.5, 3.5))
            if to == "point":
                st, body = api(port, token, "GET", "/api/points/xa-1")
                if st == 200 and (json.loads(body).get("return") or {}).get("decoding"):
                    cold_missed += 1
            t0 = time.monotonic()
            st, body = api(port, token, "POST", "/api/program/cut",
                           {"scene": "point:xa-1" if to == "point" else "slate"})
            if st != 200:
                raise RuntimeError(f"cut to {to}: HTTP {st} {body[:200]!r}")
            t1 = watcher.first(to, t0, 5)
            if t1 is None:
                missed[to] += 1
                raw = watcher.raw
                mean = [sum(raw[i::3]) // (W * H) for i in range(3)]
                log(f"   cut {k + 1:>2} to {to}: not seen within 5 s (the last frame "
                    f"{watcher.last()[1]}, mean RGB {mean})")
                continue
            lat[to].append((t1 - t0) * 1000)
            log(f"   cut {k + 1:>2} to {to:5}: {lat[to][-1]:.0f} ms")
        wall = time.monotonic() - w0
        daemon_cpu = (mb.cpu_seconds(daemon.pid) - c0) / wall
        busy = (mb.machine_busy_seconds() - busy0) / wall
        base = statistics.median(lat["slate"]) if lat["slate"] else None
        res = {"load": os.getloadavg(), "daemon_cpu": daemon_cpu, "machine_busy": busy,
               "others": args.others, "missed": missed, "latency_ms": lat,
               "warm_point_cuts": cold_missed}
        log(f"   cuts to the point while its feed was still decoded: {cold_missed}")
        log("== cut latency (ms, request sent -> first frame of the colour decoded)")
        for to in ("point", "slate"):
            xs = lat[to]
            if xs:
                res[to] = {"p50": pct(xs, 50), "p95": pct(xs, 95), "min": min(xs),
                           "max": max(xs)}
                log(f"   to {to:5}: p50 {pct(xs, 50):.0f}, p95 {pct(xs, 95):.0f}, min "
                    f"{min(xs):.0f}, max {max(xs):.0f} ({len(xs)} seen, {missed[to]} missed)")
        if base is not None and lat["point"]:
            extra = [x - base for x in lat["point"]]
            res["point_less_slate"] = {"p50": pct(extra, 50), "p95": pct(extra, 95)}
            log(f"   the point's cost (its cut less the slate's median {base:.0f} ms): p50 "
                f"{pct(extra, 50):.0f}, p95 {pct(extra, 95):.0f} ms (target p95 <= 500 ms for "
                f"the whole cut: {'met' if pct(lat['point'], 95) <= 500 else 'missed'})")
        log(f"   daemon {daemon_cpu:.2f} CPU-s/s, machine {busy:.2f}")
        if args.json:
            args.json.write_text(json.dumps(res, indent=1))
        return 0 if lat["point"] and not missed["point"] else 1
    finally:
        mb.stop_all()
        if not args.keep:
            subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    sys.exit(main())
