#!/usr/bin/env python3
"""Bridge benchmark (issue 13): CPU and memory per connected viewer of the video bridge,
side by side with Janus's streaming plugin fanning out the same RTP.

One ceremonyd streams a 720p30 programme of test sources (x264 veryfast CBR 2500 kbps, a
keyframe every 2 s, AAC) to a loopback nginx-rtmp that records it, and runs its [bridge]
with an SRT listener and a relay of its one RTP packetisation (H.264 pt 96, Opus pt 111) to a
loopback Janus (Debian's janus: only its streaming plugin and HTTP transport, one "rtp"
mountpoint), so Janus fans out exactly the packets the daemon's own viewers get.

Viewers are tests/tools/bridge_viewer processes (webrtcbin WHEP or Janus viewers, srtsrc SRT
callers; at most 32 a process, the new ones of a step joining in parallel processes of <= 16;
they only depacketise and parse, no decoding); their CPU is measured and reported but is not
the daemon's or Janus's. They join at normal priority; for the settle time and the window they
are reniced to 19 (their scheduling group too: with sched_autogroup a session's nice is what
counts), so that on this small machine the measured process gets the CPU it asks for, as if
its viewers were elsewhere. Where the machine cannot carry both, the receivers starve and
their viewers show as stalled; the daemon's own send rate (/api/points, kbps of each point's
best session) and the programme's recording then tell whether the daemon delivered. Each
round:

  idle      nobody watches: the 0-viewer CPU of the daemon (its encoding) and of Janus
  webrtc    WHEP viewers of the daemon, ramped 1 -> 8 -> 32 -> 96 (Janus has none)
  srt       SRT callers of the daemon's listener, ramped the same way
  janus     viewers of Janus's mountpoint, ramped the same way (the daemon has no viewer of
            its own; Janus is restarted after each ramp, so its sessions are gone)

the order of the three ramps rotating from round to round. At every count, once every viewer
shows a picture and after a settle time, one window: CPU-s/s from /proc/<pid>/stat
(utime+stime of the process tree) of the daemon and of Janus, VmRSS, the machine's busy time
(/proc/stat) and the receivers' own CPU; every viewer's frame rate over the window (it must
get ~30 pictures/s: a viewer below 24/s or with a gap > 1 s is "stalled" and reported); the
programme's frames in the window of stream time, from the FLV nginx records (largest gap,
frames lost, speed against real time, how many seconds it is behind). Per round and
transport: a least-squares fit of CPU-s/s against viewers (0 from the idle window, then 1,
8, 32, 96): the slope is the CPU per viewer (also over 0-32 only, where this machine carries
every viewer); the same for VmRSS (0 = just before the ramp). Medians over rounds, ratios to
Janus's slope. Join time: bridge_viewer's start of a viewer -> its first picture.

In the last round, with the 32 and then the 96 WebRTC tool viewers connected, a headless
Chromium (Node + playwright-core, if found) opens a point's real page. First, glass-to-glass:
the full-screen test source burns the wall clock into every frame it makes (`clock = true`, a
strip of blocks, pipelines/programme/ClockStrip.h); on every frame the page presents
(requestVideoFrameCallback) tests/tools/clock_strip.js reads the strip back from a canvas and
Date.now() minus the time it carries is that frame's delay, p50/p95 over --glass seconds (5).
Then it samples the centre pixel of its <video> on every frame while an operator cuts (POST
/api/program/cut) to the red scene and back (5 times each way): operator cut -> screen,
p50/p95, the latency the operator sees. Without node or playwright-core (`npm install
playwright-core` in the --playwright dir) both are skipped.

Standard library only; the nginx-rtmp, process and /proc helpers are media_bench.py's.

  tests/bench/bridge_bench.py --build build            # 2 rounds, ~13 min
  tests/bench/bridge_bench.py --build build --quick    # 1 round, short windows, ~6 min
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import http.client
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import media_bench as mb  # noqa: E402  (nginx-rtmp, process and /proc helpers)

JANUS = "/usr/bin/janus"
JANUS_LIB = Path("/usr/lib/x86_64-linux-gnu/janus")
CHROMIUM = "/usr/bin/chromium"
FPS = 30
FRAME_MS = 1000 / FPS
COUNTS = (1, 8, 32, 96)
PER_PROCESS = 32
TRANSPORTS = ("webrtc", "srt", "janus")
POINTS = 8  # the tool viewers are spread over these points' ids (several share one)

CONFIG = """# bridge_bench.py: a 720p30 programme of test sources with the video bridge on.
[event]
title = "Bridge benchmark"
date = "2025-07-28"
timezone = "+07:00"
venue = "Loopback"

[programme]
width = 1280
height = 720
fps = 30
video_bitrate_kbps = 2500
keyframe_interval_s = 2

[sources.hall]
kind = "test"
pattern = "ball"
tone_hz = 440
clock = true

[sources.inset]
kind = "test"
pattern = "smpte"
tone_hz = 0

[sources.do]
kind = "test"
pattern = "red"
tone_hz = 660
clock = true

[scenes.chinh]
kind = "pip"
main = "hall"
inset = "inset"
position = "bottom-right"

[scenes.do]
kind = "source"
source = "do"

# Every client of the bench comes from 127.0.0.1: the per-address caps are for the
# province's network, not for a load generator on the same machine.
[api]
max_connections_per_address = 2000
max_streams = 2000
max_streams_per_address = 2000

[bridge]
max_viewers = 200
srt_listen = "127.0.0.1:{srt_port}"
relay_video = "127.0.0.1:{video_port}"
relay_audio = "127.0.0.1:{audio_port}"

[health]
interval = "2s"
jitter = "500ms"

{points}
[[timeline]]
id = "do-hieu-nang"
title = "Benchmark"
start = "09:00"
duration = "{item}s"
scene = "chinh"
"""

POINT = """[[points]]
id = "{id}"
name = "Point {n}"
kind = "xã"
probes = [{{ kind = "bridge", token_file = "{token}", heartbeat_timeout = "600s" }}]
"""


def log(*a):
    print(*a, flush=True)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def pct(xs, q):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def fit(points):
    """Least squares y = a + b x over [(x, y)]: (slope b, intercept a)."""
    pts = [(x, y) for x, y in points if y is not None]
    if len(pts) < 2:
        return None, None
    n = len(pts)
    mx, my = sum(x for x, _ in pts) / n, sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    if sxx == 0:
        return None, None
    b = sum((x - mx) * (y - my) for x, y in pts) / sxx
    return b, my - b * mx


def free_udp_port(avoid=()):
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in avoid:
            return port


def write_secret(path, text):
    path.write_text(text + "\n")
    os.chmod(path, 0o600)


def kill_pids(pids):
    """SIGKILL what is left of processes we started (by PID: a detached browser, say)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


# ---------------------------------------------------------------- the programme's frames


class FlvFrames(mb.FlvProgress):
    """FlvProgress that also keeps every video tag's timestamp (ms), as nginx records it."""

    def __init__(self, path):
        super().__init__(path)
        self.times = []
        self.lock = threading.Lock()
        self.least_lag = None  # the smallest (wall clock - stream time) seen: "on time"
        self.stopping = False
        self.poller = threading.Thread(target=self._poll, daemon=True)
        self.poller.start()

    def _poll(self):  # read it as it grows, so that how far behind it is can be told
        while not self.stopping:
            self.update()
            time.sleep(0.25)

    def behind(self):
        """How many seconds the recording is behind its best moment (0 = on time)."""
        with self.lock:
            if self.last_ts is None or self.least_lag is None:
                return None
            return time.monotonic() - self.last_ts - self.least_lag

    def update(self):
        with self.lock:
            at = self._update()
            if at is not None:
                lag = time.monotonic() - at[0]
                self.least_lag = lag if self.least_lag is None else min(self.least_lag, lag)
            return at

    def _update(self):
        try:
            with open(self.path, "rb") as f:
                if self.offset is None:
                    head = f.read(9)
                    if len(head) < 9 or head[:3] != b"FLV":
                        return None
                    self.offset = int.from_bytes(head[5:9], "big") + 4
                f.seek(self.offset)
                data = f.read(64 * 1024 * 1024)
        except OSError:
            return None
        pos = 0
        while pos + 11 <= len(data):
            size = int.from_bytes(data[pos + 1:pos + 4], "big")
            end = pos + 11 + size + 4
            if end > len(data):
                break
            if data[pos] & 0x1F == 9:
                ts = int.from_bytes(data[pos + 4:pos + 7], "big") | data[pos + 7] << 24
                # Skip the AVC sequence header (codec config, not a picture): packet type 0.
                if not (size >= 2 and data[pos + 11] & 0x0F == 7 and data[pos + 12] == 0):
                    self.times.append(ts)
                    self.last_ts = ts / 1000
                    self.frames += 1
            pos = end
        self.offset += pos
        return None if self.last_ts is None else (self.last_ts, self.frames)

    def check(self, t0, t1):
        """Pictures within [t0, t1] s of stream time: count, expected, largest gap (ms)."""
        lo, hi = t0 * 1000, t1 * 1000
        with self.lock:
            win = [t for t in self.times if lo <= t <= hi]
        if len(win) < 2:
            return {"frames": len(win), "expected": None, "max_gap_ms": None, "lost": None}
        gaps = [b - a for a, b in zip(win, win[1:])]
        expected = round((win[-1] - win[0]) / FRAME_MS) + 1
        return {"frames": len(win), "expected": expected, "max_gap_ms": max(gaps),
                "lost": max(0, expected - len(win)),
                "long_gaps": sum(1 for g in gaps if g > 2 * FRAME_MS)}


# ---------------------------------------------------------------- peers


class Janus:
    """Janus on loopback with only its streaming plugin and HTTP API, one "rtp" mountpoint
    (id 1) taking H.264 pt 96 and Opus pt 111: tests/integration/support/JanusServer.h."""

    def __init__(self, work):
        self.root = work / "janus"
        self.http_port = mb.free_port()
        self.video_port = free_udp_port()
        self.audio_port = free_udp_port((self.video_port,))
        for sub in ("conf", "plugins", "transports", "none"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        # Janus loads every plugin in its folder: a folder with only the two it needs.
        os.symlink(JANUS_LIB / "plugins/libjanus_streaming.so",
                   self.root / "plugins/libjanus_streaming.so")
        os.symlink(JANUS_LIB / "transports/libjanus_http.so",
                   self.root / "transports/libjanus_http.so")
        r = str(self.root)
        (self.root / "conf/janus.jcfg").write_text(
            f'general: {{\n  configs_folder = "{r}/conf"\n  plugins_folder = "{r}/plugins"\n'
            f'  transports_folder = "{r}/transports"\n  events_folder = "{r}/none"\n'
            f'  loggers_folder = "{r}/none"\n  debug_level = 3\n}}\nmedia: {{}}\nnat: {{}}\n')
        (self.root / "conf/janus.transport.http.jcfg").write_text(
            f'general: {{ json = "plain" base_path = "/janus" http = true ip = "127.0.0.1" '
            f'port = {self.http_port} https = false }}\nadmin: {{ admin_http = false }}\n')
        (self.root / "conf/janus.plugin.streaming.jcfg").write_text(
            'general: {}\nprogramme: {\n  type = "rtp"\n  id = 1\n  description = '
            '"ceremonyd programme"\n  media = (\n    { type = "video" mid = "v" port = '
            f'{self.video_port} pt = 96 codec = "h264" fmtp = "profile-level-id=4d001f;'
            'packetization-mode=1" },\n    { type = "audio" mid = "a" port = '
            f'{self.audio_port} pt = 111 codec = "opus" }}\n  )\n}}\n')
        self.proc = None
        self.starts = 0

    def api(self):
        return f"http://127.0.0.1:{self.http_port}/janus"

    def start(self):
        self.starts += 1
        r = str(self.root)
        self.proc = mb.start([JANUS, "-C", r + "/conf/janus.jcfg", "-F", r + "/conf", "-o"],
                             self.root / f"janus-{self.starts}.log", cwd=r)
        if not mb.wait_until(lambda: mb.accepts(self.http_port) or self.proc.poll() is not None,
                             15, 0.05) or self.proc.poll() is not None:
            raise RuntimeError("janus did not start:\n" +
                               mb.tail(self.root / f"janus-{self.starts}.log"))

    def restart(self):
        mb.stop(self.proc)
        # Its UDP ports must be free again before the new one binds them.
        mb.wait_until(lambda: self._udp_free(), 5, 0.05)
        self.start()

    def _udp_free(self):
        for port in (self.video_port, self.audio_port):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    return False
        return True


class Daemon:
    def __init__(self, args, work, janus, nginx, item_s):
        self.dir = work / "daemon"
        self.dir.mkdir()
        self.port = mb.free_port()
        self.srt_port = mb.free_port()
        self.stream = "bridge_bench"
        self.points = [f"diem-{i + 1}" for i in range(POINTS)]
        self.token_files = {}
        blocks = []
        for i, p in enumerate(self.points):
            f = self.dir / f"{p}.token"
            write_secret(f, secrets.token_urlsafe(24))
            self.token_files[p] = f
            blocks.append(POINT.format(id=p, n=i + 1, token=f.name))
        (self.dir / "bridge.toml").write_text(CONFIG.format(
            srt_port=self.srt_port, video_port=janus.video_port, audio_port=janus.audio_port,
            points="\n".join(blocks), item=item_s))
        self.operator_file = self.dir / "operator.token"
        write_secret(self.operator_file, secrets.token_urlsafe(24))
        self.token = self.operator_file.read_text().strip()
        argv = [str(args.build / "ceremonyd"), "--config", str(self.dir / "bridge.toml"),
                "--rehearsal=1", "--listen", f"127.0.0.1:{self.port}",
                "--operator-token-file", str(self.operator_file),
                "--state-dir", str(self.dir / "state"), "--rtmp", nginx.url(self.stream)]
        (self.dir / "command.txt").write_text("\n".join(argv) + "\n")
        self.log = self.dir / "ceremonyd.log"
        self.proc = mb.start(argv, self.log, cwd=self.dir)
        if not mb.wait_until(lambda: (mb.accepts(self.port) and nginx.published(self.stream))
                             or self.proc.poll() is not None, 40):
            raise RuntimeError("ceremonyd did not listen / publish within 40 s:\n" +
                               mb.tail(self.log))
        if self.proc.poll() is not None:
            raise RuntimeError(f"ceremonyd exited with {self.proc.returncode}:\n" +
                               mb.tail(self.log))

    def alive(self):
        return self.proc.poll() is None

    def request(self, method, path, body=None, timeout=5.0):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Authorization": f"Bearer {self.token}"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def sessions(self):
        """The bridge's sessions as /api/bridge lists them: {transport: count}."""
        try:
            st, body = self.request("GET", "/api/bridge")
            if st != 200:
                return None
            out = {}
            for s in json.loads(body):
                out[s.get("transport", "?")] = out.get(s.get("transport", "?"), 0) + 1
            return out
        except (OSError, ValueError):
            return None

    def sent_kbps(self):
        """What the daemon itself sent to each point's best session (/api/points: kbps over
        the last report interval): evidence of delivery that does not depend on receivers."""
        try:
            st, body = self.request("GET", "/api/points")
            if st != 200:
                return []
            return [p["bridge"].get("kbps", 0) for p in json.loads(body).get("points", [])
                    if isinstance(p.get("bridge"), dict) and p["bridge"].get("connected")]
        except (OSError, ValueError, KeyError, AttributeError):
            return []

    def metric(self, name):
        try:
            st, body = self.request("GET", "/metrics")
        except OSError:
            return None
        total, seen = 0.0, False
        for line in body.decode(errors="replace").splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
                seen = True
        return total if seen else None


# ---------------------------------------------------------------- the receivers


class Receivers:
    """One bridge_viewer process (up to 32 viewers), its JSON lines read as they come, each
    stamped with the time it arrived."""

    def __init__(self, args, name, mode, count, daemon, janus, point, log_dir):
        self.name, self.mode, self.count = name, mode, count
        argv = [str(args.build / "bridge_viewer"), "--count", str(count), "--seconds", "0",
                "--stats-ms", str(args.stats_ms)]
        if mode == "webrtc":
            argv += ["--whep", f"http://127.0.0.1:{daemon.port}/whep/{point}",
                     "--token-file", str(daemon.token_files[point])]
        elif mode == "srt":
            argv += ["--srt", f"127.0.0.1:{daemon.srt_port}", "--point", point,
                     "--token-file", str(daemon.token_files[point])]
        else:
            argv += ["--janus", janus.api(), "--mountpoint", "1"]
        self.err = log_dir / f"{name}.stderr"
        err = open(self.err, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=err, start_new_session=True,
                                     preexec_fn=mb._child_setup)
        err.close()
        mb._started.append(self.proc)
        self.lock = threading.Lock()
        self.joined, self.failed, self.ready = {}, {}, None
        self.stats = {}  # viewer -> [(arrival, frames, audio, max_gap_ms, width, height)]
        self.out = open(log_dir / f"{name}.jsonl", "w")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            now = time.monotonic()
            line = raw.decode(errors="replace").strip()
            if not line:
                continue
            self.out.write(f"{now:.3f} {line}\n")
            try:
                e = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                kind = e.get("event")
                if kind == "joined":
                    self.joined[e["viewer"]] = e
                elif kind == "failed":
                    self.failed[e.get("viewer")] = e.get("error", "")
                elif kind == "ready":
                    self.ready = e
                elif kind == "stats":
                    self.stats.setdefault(e["viewer"], []).append(
                        (now, e.get("frames", 0), e.get("audio", 0), e.get("max_gap_ms", 0),
                         e.get("width", 0), e.get("height", 0)))
        self.out.flush()

    def tried(self):
        """Every viewer has tried (WHEP answered, Janus started, SRT caller started)."""
        with self.lock:
            return self.ready is not None

    def showing(self):
        """Every viewer that got in shows a picture."""
        with self.lock:
            return self.ready is not None and len(self.joined) + len(self.failed) >= self.count

    def viewer_window(self, t0, t1):
        """{viewer: (fps, max_gap_ms, width, height)} over [t0, t1] from its stats lines."""
        out = {}
        with self.lock:
            for v, lines in self.stats.items():
                inside = [s for s in lines if t0 <= s[0] <= t1]
                before = [s for s in lines if s[0] < t0]
                ref = before[-1] if before else (inside[0] if inside else None)
                if ref is None or not inside or inside[-1][0] <= ref[0]:
                    out[v] = (0.0, None, 0, 0)
                    continue
                last = inside[-1]
                fps = (last[1] - ref[1]) / (last[0] - ref[0])
                gap = max(s[3] for s in inside)
                out[v] = (fps, gap, last[4], last[5])
        return out

    def alive(self):
        return self.proc.poll() is None

    def renice(self, nice):
        """The receivers' priority. With sched_autogroup (on here) every session is a
        scheduling group that gets a fair share whatever its threads' nice, so the group's
        nice is set too; without it, every thread's."""
        try:
            with open(f"/proc/{self.proc.pid}/autogroup", "w") as f:
                f.write(str(nice))
        except OSError:
            pass
        try:
            for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
                try:
                    os.setpriority(os.PRIO_PROCESS, int(tid), nice)
                except OSError:
                    pass
        except OSError:
            pass

    def stop(self):
        mb.stop(self.proc, signal.SIGTERM, 20)
        self.reader.join(timeout=5)
        self.out.close()


# ---------------------------------------------------------------- one measurement window


def window(args, ctx, receivers, n, transport, label):
    d, janus, flv = ctx["daemon"], ctx["janus"], ctx["flv"]
    rpids = [r.proc.pid for r in receivers if r.alive()]
    at0 = flv.update()
    t0 = time.monotonic()
    c_d0, c_j0 = mb.cpu_seconds(d.proc.pid), mb.cpu_seconds(janus.proc.pid)
    c_r0 = sum(mb.cpu_seconds(p) for p in rpids)
    c_n0, busy0 = mb.cpu_seconds(ctx["nginx"].proc.pid), mb.machine_busy_seconds()
    time.sleep(args.seconds)
    c_d1, c_j1 = mb.cpu_seconds(d.proc.pid), mb.cpu_seconds(janus.proc.pid)
    c_r1 = sum(mb.cpu_seconds(p) for p in rpids)
    c_n1, busy1 = mb.cpu_seconds(ctx["nginx"].proc.pid), mb.machine_busy_seconds()
    t1 = time.monotonic()
    at1 = flv.update()
    wall = t1 - t0
    res = {"transport": transport, "n": n, "label": label, "wall": wall,
           "daemon_cpu": (c_d1 - c_d0) / wall, "janus_cpu": (c_j1 - c_j0) / wall,
           "receivers_cpu": (c_r1 - c_r0) / wall, "nginx_cpu": (c_n1 - c_n0) / wall,
           "machine_cpu": (busy1 - busy0) / wall,
           "daemon_rss_mib": mb.status_kb(d.proc.pid, "VmRSS") / 1024,
           "janus_rss_mib": mb.status_kb(janus.proc.pid, "VmRSS") / 1024}
    res["others_cpu"] = max(0.0, res["machine_cpu"] - res["daemon_cpu"] - res["janus_cpu"] -
                            res["receivers_cpu"] - res["nginx_cpu"])
    res["behind_s"] = flv.behind()
    if at0 and at1 and at1[0] > at0[0]:
        res["speed"] = (at1[0] - at0[0]) / wall
        res["programme"] = flv.check(at0[0], at1[0])
    else:
        res["speed"], res["programme"] = None, {"frames": 0, "expected": None,
                                                "max_gap_ms": None, "lost": None}
    # Every viewer's pictures over the window.
    per = {}
    for r in receivers:
        for v, x in r.viewer_window(t0, t1).items():
            per[(r.name, v)] = x
    expected = sum(r.count for r in receivers)
    joined = sum(len(r.joined) for r in receivers)
    failed = sum(len(r.failed) for r in receivers)
    fpss = [x[0] for x in per.values()]
    stalled = [k for k, x in per.items()
               if x[0] < 0.8 * FPS or (x[1] is not None and x[1] > 1000)]
    stalled += [("never", i) for i in range(max(0, joined - len(per)))]
    res.update(expected_viewers=expected, joined=joined, failed=failed,
               watching=len(per) - len(stalled), stalled=len(stalled),
               fps_min=min(fpss) if fpss else None, fps_median=med(fpss),
               viewer_max_gap_ms=max((x[1] or 0 for x in per.values()), default=None),
               sizes=sorted({f"{x[2]}x{x[3]}" for x in per.values()}))
    res["sessions"] = d.sessions()
    res["sent_kbps"] = d.sent_kbps() if transport in ("webrtc", "srt") else []
    return res


def fmt_window(r):
    p = r["programme"]
    viewers = ""
    if r["n"]:
        viewers = (f" viewers {r['watching']}/{r['n']} at {r['fps_median'] or 0:.1f} fps "
                   f"(min {r['fps_min'] or 0:.1f}, gap <= {r['viewer_max_gap_ms']} ms)")
        if r["failed"] or r["stalled"]:
            viewers += f" FAILED {r['failed']} STALLED {r['stalled']}"
        if r["sent_kbps"]:
            viewers += (f"; the daemon sent {min(r['sent_kbps'])}-{max(r['sent_kbps'])} kbps "
                        f"to the points' best sessions")
    speed = f"{r['speed']:.3f}x" if r["speed"] else "n/a"
    return (f"daemon {r['daemon_cpu']:.3f} janus {r['janus_cpu']:.3f} CPU-s/s, RSS "
            f"{r['daemon_rss_mib']:.0f}/{r['janus_rss_mib']:.0f} MiB;{viewers}; receivers "
            f"{r['receivers_cpu']:.2f}, others {r['others_cpu']:.2f} CPU-s/s; programme "
            f"{p['frames']}/{p['expected']} frames, gap {p['max_gap_ms']} ms, {speed}, "
            f"{r['behind_s'] or 0:.2f} s behind")


# ---------------------------------------------------------------- a ramp


def steps():
    """(viewers after the step, [process sizes added]) for 1 -> 8 -> 32 -> 96, each
    process <= 32 viewers, the new ones of a step joining in parallel processes."""
    out, have = [], 0
    for n in COUNTS:
        add, sizes = n - have, []
        parts = max(1, -(-add // PER_PROCESS), -(-add // 16))
        for i in range(parts):
            sizes.append(add // parts + (1 if i < add % parts else 0))
        out.append((n, sizes))
        have = n
    return out


def ramp(args, ctx, transport, round_no, cut_test):
    d, janus = ctx["daemon"], ctx["janus"]
    run_dir = ctx["work"] / f"r{round_no}-{transport}"
    run_dir.mkdir()
    target = janus if transport == "janus" else d
    rss0 = mb.status_kb(target.proc.pid, "VmRSS") / 1024
    receivers, windows, joins, signalled = [], [], [], []
    cut = None
    try:
        k = 0
        for n, sizes in steps():
            started = []
            for size in sizes:
                point = d.points[k % len(d.points)]
                started.append(Receivers(args, f"{transport}-{k}", transport, size, d, janus,
                                         point, run_dir))
                k += 1
            receivers += started
            budget = 20 + 6 * max(sizes)
            if not mb.wait_until(lambda: all(r.tried() or not r.alive() for r in started),
                                 budget, 0.2):
                log(f"      {transport} {n}: not every viewer had tried within {budget} s")
            if not mb.wait_until(lambda: all(r.showing() or not r.alive() for r in started),
                                 15, 0.2):
                log(f"      {transport} {n}: not every viewer showed a picture within 15 s")
            for r in started:
                with r.lock:
                    joins += [(n, e.get("join_ms")) for e in r.joined.values()]
                    signalled += [(n, e.get("signalled_ms")) for e in r.joined.values()
                                  if e.get("signalled_ms", -1) >= 0]
                if not r.alive():
                    log(f"      {r.name} exited ({r.proc.returncode}):\n{mb.tail(r.err, 10)}")
            if not d.alive():
                raise RuntimeError(f"ceremonyd exited with {d.proc.returncode}:\n" +
                                   mb.tail(d.log))
            # Joining at the same priority as everything else; measured while they yield.
            for r in receivers:
                r.renice(args.receiver_nice)
            time.sleep(args.settle)
            w = window(args, ctx, receivers, n, transport, f"r{round_no}")
            w["round"] = round_no
            windows.append(w)
            log(f"   round {round_no} {transport:<6} {n:>3}: {fmt_window(w)}")
            if cut_test and n in (32, COUNTS[-1]):
                cut = cut or {}
                cut[n] = cut_latency(args, ctx, run_dir / f"cut-{n}", n)
            for r in receivers:
                r.renice(0)
    finally:
        for r in receivers:
            r.stop()
        if transport == "janus":
            janus.restart()
        else:  # until the daemon has let go of every session (WHEP DELETE, SRT close)
            mb.wait_until(lambda: not any((d.sessions() or {"?": 1}).values()), 20, 0.25)
        # A programme that fell behind catches up first (its encoder's CPU is not the next
        # ramp's): until the recording is within 0.3 s of its best, at most 60 s.
        if not mb.wait_until(lambda: (ctx["flv"].behind() or 0) < 0.3, 60, 0.25):
            log(f"      the programme is still {ctx['flv'].behind():.1f} s behind after 60 s")
        time.sleep(2)
    return {"transport": transport, "round": round_no, "rss0": rss0, "windows": windows,
            "joins": joins, "signalled": signalled, "cut": cut}


# ---------------------------------------------------------------- operator cut -> screen


CUT_JS = r"""
// bridge_bench.py: a point's real page in headless Chromium; the centre pixel of its
// <video> sampled on every frame while an operator cuts to the red scene and back.
const fs = require('fs');
const { chromium } = require('playwright-core');
const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  const pointToken = fs.readFileSync(cfg.pointTokenFile, 'utf8').trim();
  const operatorToken = fs.readFileSync(cfg.operatorTokenFile, 'utf8').trim();
  const context = await chromium.launchPersistentContext(cfg.profile, {
    executablePath: cfg.chromium, headless: true, viewport: { width: 1280, height: 720 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--autoplay-policy=no-user-gesture-required'] });
  try {
    const page = context.pages()[0] || await context.newPage();
    const opened = Date.now();
    await page.goto(cfg.base + '/diem-cau/' + cfg.point + '?token=' +
                    encodeURIComponent(pointToken), { timeout: 15000 });
    await page.waitForFunction(() => window.bridge && window.bridge.state === 'playing',
                               null, { timeout: 20000 });
    out({ event: 'playing', ms: Date.now() - opened });
    // Glass-to-glass: the clock burnt into the programme, read on every presented frame.
    if (cfg.glassSeconds > 0) {
      await page.evaluate(fs.readFileSync(cfg.clockStrip, 'utf8') + '\ntrue');
      await page.evaluate(() => {
        window.clockRead = clockStrip.start(document.getElementById('programme'));
      });
      await sleep(cfg.glassSeconds * 1000);
      const g = await page.evaluate(() => {
        window.clockRead.stopped = true;
        return Object.assign(clockStrip.summary(window.clockRead), { ages: window.clockRead.ages });
      });
      out(Object.assign({ event: 'glass' }, g));
    }
    await page.evaluate(() => {
      const v = document.getElementById('programme');
      const c = document.createElement('canvas'); c.width = 16; c.height = 9;
      const g = c.getContext('2d', { willReadFrequently: true });
      window.flips = []; window.frames = 0; let red = null;
      const look = () => {
        g.drawImage(v, 0, 0, 16, 9);
        const [r, gr, b] = g.getImageData(8, 4, 1, 1).data;
        const now = r > 180 && gr < 80 && b < 80;
        window.frames++;
        if (now !== red) { red = now; window.flips.push({ t: Date.now(), red: now }); }
      };
      if (v.requestVideoFrameCallback) {
        const each = () => { look(); v.requestVideoFrameCallback(each); };
        v.requestVideoFrameCallback(each);
      } else setInterval(look, 10);
    });
    await sleep(1000);
    for (let i = 0; i < cfg.cuts; ++i) {
      for (const [scene, red] of [['do', true], [cfg.back, false]]) {
        const seen = await page.evaluate(() => window.flips.length);
        const at = Date.now();
        const res = await fetch(cfg.base + '/api/program/cut', { method: 'POST',
          headers: { Authorization: 'Bearer ' + operatorToken,
                     'Content-Type': 'application/json' },
          body: JSON.stringify({ scene }) });
        const answered = Date.now();
        if (res.status !== 200) { out({ event: 'error', error: 'cut answered ' + res.status });
                                  continue; }
        let t = null;
        try {
          await page.waitForFunction(
            ([n, want]) => window.flips.slice(n).some((f) => f.red === want), [seen, red],
            { timeout: 5000, polling: 50 });
          t = await page.evaluate(
            ([n, want]) => window.flips.slice(n).find((f) => f.red === want).t, [seen, red]);
        } catch (e) { out({ event: 'missed', scene }); }
        if (t !== null) out({ event: 'cut', scene, ms: t - at, api_ms: answered - at });
        await sleep(800 + Math.floor(Math.random() * 400));
      }
    }
    out({ event: 'done', frames: await page.evaluate(() => window.frames) });
  } finally {
    await context.close();
  }
})().catch((e) => { out({ event: 'error', error: String(e).slice(0, 300) }); process.exit(1); });
"""


def playwright_dir(args):
    for d in [args.playwright] + [Path(p) for p in
                                  os.environ.get("NODE_PATH", "").split(":") if p]:
        if d and (Path(d) / "node_modules" / "playwright-core").is_dir():
            return Path(d) / "node_modules"
        if d and (Path(d) / "playwright-core").is_dir():
            return Path(d)
    return None


def cut_latency(args, ctx, run_dir, watching):
    """Operator cut -> the point's screen, with a headless Chromium on the real page."""
    run_dir.mkdir()
    node, modules = shutil.which("node"), playwright_dir(args)
    if not node or not modules or not Path(CHROMIUM).exists():
        why = ("no node" if not node else "no playwright-core (npm install playwright-core "
               f"into {args.playwright})" if not modules else f"no {CHROMIUM}")
        log(f"      cut -> screen: skipped ({why})")
        return {"skipped": why}
    d = ctx["daemon"]
    (run_dir / "cut.js").write_text(CUT_JS)
    profile = run_dir / "chromium-profile"
    profile.mkdir()
    cfg = {"base": f"http://127.0.0.1:{d.port}", "point": d.points[-1],
           "pointTokenFile": str(d.token_files[d.points[-1]]),
           "operatorTokenFile": str(d.operator_file), "profile": str(profile),
           "chromium": CHROMIUM, "cuts": args.cuts, "back": "chinh",
           "clockStrip": str(HERE.parent / "tools" / "clock_strip.js"),
           "glassSeconds": args.glass}
    (run_dir / "cut.json").write_text(json.dumps(cfg))
    env = dict(os.environ, NODE_PATH=str(modules))
    out_file = run_dir / "cut.out"
    p = mb.start([node, str(run_dir / "cut.js"), str(run_dir / "cut.json")], out_file,
                 cwd=run_dir, env=env)
    tree = set()
    deadline = time.monotonic() + 60 + args.glass + args.cuts * 14
    while p.poll() is None and time.monotonic() < deadline:
        tree.update(mb.tree_of(p.pid))
        time.sleep(0.5)
    tree.update(mb.tree_of(p.pid) if p.poll() is None else [])
    mb.stop(p, signal.SIGTERM, 5)
    kill_pids(pid for pid in tree if pid != p.pid and _alive_with(pid, str(profile)))
    res = {"to_red": [], "back": [], "api_ms": [], "missed": 0, "errors": []}
    for line in out_file.read_text(errors="replace").splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("event") == "cut":
            (res["to_red"] if e["scene"] == "do" else res["back"]).append(e["ms"])
            res["api_ms"].append(e.get("api_ms"))
        elif e.get("event") == "missed":
            res["missed"] += 1
        elif e.get("event") == "error":
            res["errors"].append(e.get("error"))
        elif e.get("event") == "playing":
            res["playing_ms"] = e["ms"]
        elif e.get("event") == "done":
            res["page_frames"] = e.get("frames")
        elif e.get("event") == "glass":
            res["glass"] = e
    glass = res.get("glass")
    if glass and glass.get("read"):
        log(f"      glass-to-glass ({watching} tool viewers): p50 {glass['p50']} ms, "
            f"p95 {glass['p95']} ms, min {glass['min']}, max {glass['max']} ms over "
            f"{glass['read']} frames ({glass['unread']} of {glass['frames']} presented did not "
            f"read; {glass['width']}x{glass['height']})")
    elif args.glass > 0:
        log(f"      glass-to-glass: no frame read {glass or res['errors']}")
    both = res["to_red"] + res["back"]
    if both:
        log(f"      cut -> screen ({watching} tool viewers): p50 {pct(both, 0.5):.0f} ms, "
            f"p95 {pct(both, 0.95):.0f} ms "
            f"over {len(both)} cuts (to red p50 {pct(res['to_red'], 0.5) or 0:.0f}, back p50 "
            f"{pct(res['back'], 0.5) or 0:.0f}; missed {res['missed']}; the page played "
            f"{res.get('playing_ms')} ms after it opened)")
    else:
        log(f"      cut -> screen: no cut measured {res['errors']}\n{mb.tail(out_file, 10)}")
    return res


def _alive_with(pid, needle):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return needle.encode() in f.read()
    except OSError:
        return False


# ---------------------------------------------------------------- summary


def crowded(w):
    """The measured processes had to compete for the CPU: the machine without the
    (yielding) receivers used >= 1.8 of its 2 cores, or the programme fell behind."""
    return (w["machine_cpu"] - w["receivers_cpu"] >= 0.9 * (os.cpu_count() or 2) or
            (w["speed"] is not None and not 0.95 <= w["speed"] <= 1.05))


def summary(args, idle, ramps):
    per = {}
    for t in TRANSPORTS:
        rounds = []
        key = "janus_cpu" if t == "janus" else "daemon_cpu"
        rkey = "janus_rss_mib" if t == "janus" else "daemon_rss_mib"
        for rp in [x for x in ramps if x["transport"] == t]:
            zero = [w for w in idle if w["round"] == rp["round"]]
            c0 = zero[0][key] if zero else None
            pts = ([(0, c0)] if zero else []) + [(w["n"], w[key]) for w in rp["windows"]]
            slope, icpt = fit(pts)
            low, _ = fit([p for p in pts if p[0] <= 32])
            mslope, _ = fit([(0, rp["rss0"])] + [(w["n"], w[rkey]) for w in rp["windows"]])
            marginal = {w["n"]: (w[key] - c0) / w["n"] for w in rp["windows"]
                        if c0 is not None and w["n"]}
            rounds.append({"round": rp["round"], "slope": slope, "intercept": icpt,
                           "slope_to_32": low, "rss_slope": mslope, "points": pts,
                           "marginal": marginal, "windows": rp["windows"]})
        joins = [j for rp in ramps if rp["transport"] == t for j in rp["joins"]]
        per[t] = {"rounds": rounds, "slope": med(r["slope"] for r in rounds),
                  "slope_to_32": med(r["slope_to_32"] for r in rounds),
                  "intercept": med(r["intercept"] for r in rounds),
                  "rss_slope": med(r["rss_slope"] for r in rounds),
                  "marginal": {n: med(r["marginal"].get(n) for r in rounds) for n in COUNTS},
                  "cpu": {n: med(w[key] for r in rounds for w in r["windows"] if w["n"] == n)
                          for n in COUNTS},
                  "join_all": [j for _, j in joins],
                  "join_to_32": [j for n, j in joins if n <= 32],
                  "join_96": [j for n, j in joins if n == 96]}
    log("\n   == CPU per viewer: least squares of CPU-s/s over 0 (idle window), " +
        ", ".join(map(str, COUNTS)) + " viewers, per round; medians over rounds")
    jan = per["janus"]
    for t in TRANSPORTS:
        p = per[t]
        if p["slope"] is None:
            log(f"   {t:<7} no data")
            continue
        def ratio(k):
            return f"{p[k] / jan[k]:.2f}x Janus" if jan[k] else "n/a"
        spread = ", ".join(f"{r['slope'] * 1000:.2f}" for r in p["rounds"] if r["slope"])
        log(f"   {t:<7} slope {p['slope'] * 1000:.2f} mCPU-s/s per viewer (rounds: {spread}) "
            f"= {ratio('slope')}; over 0-32 only {p['slope_to_32'] * 1000:.2f} "
            f"= {ratio('slope_to_32')}; intercept {p['intercept']:.3f} CPU-s/s; VmRSS "
            f"{p['rss_slope'] * 1024:.0f} KiB per viewer")
        log("           CPU-s/s at " + ", ".join(
            f"{n}: {p['cpu'][n]:.3f}" for n in COUNTS if p["cpu"][n] is not None) +
            "; (CPU(n)-CPU(0))/n in mCPU-s/s: " + ", ".join(
            f"{n}: {p['marginal'][n] * 1000:.1f}" for n in COUNTS
            if p["marginal"][n] is not None))
        for name, js in (("all", p["join_all"]), ("steps to 32", p["join_to_32"]),
                         ("step to 96", p["join_96"])):
            if js:
                log(f"           join ({name}): p50 {pct(js, 0.5):.0f} ms, p95 "
                    f"{pct(js, 0.95):.0f} ms, max {max(js):.0f} ms ({len(js)} joins)")
        for r in p["rounds"]:
            for w in r["windows"]:
                flags = []
                if w["failed"] or w["stalled"]:
                    flags.append(f"{w['failed']} failed, {w['stalled']} stalled of "
                                 f"{w['expected_viewers']} (median {w['fps_median'] or 0:.1f} "
                                 f"fps)")
                if crowded(w):
                    flags.append(f"crowded: machine {w['machine_cpu']:.2f} (receivers "
                                 f"{w['receivers_cpu']:.2f}, others {w['others_cpu']:.2f}), "
                                 f"programme {w['speed'] or 0:.2f}x")
                if flags:
                    log(f"           round {r['round']} at {w['n']}: " + "; ".join(flags))
    log("\n   == the programme at 96 viewers (nginx's recording of the RTMP push, the window)")
    for rp in ramps:
        for w in rp["windows"]:
            if w["n"] == 96:
                p = w["programme"]
                log(f"   round {rp['round']} {rp['transport']:<7} {p['frames']}/{p['expected']} "
                    f"frames, largest gap {p['max_gap_ms']} ms, {w['speed'] or 0:.3f}x real "
                    f"time, {w['behind_s'] or 0:.2f} s behind; daemon {w['daemon_cpu']:.2f}, "
                    f"janus {w['janus_cpu']:.2f}, machine "
                    f"{w['machine_cpu']:.2f} of 2 CPU-s/s (receivers {w['receivers_cpu']:.2f}, "
                    f"others {w['others_cpu']:.2f}); viewers at >= 24 fps: {w['watching']}/96")
    for rp in ramps:
        for n, c in sorted((rp.get("cut") or {}).items()):
            g = c.get("glass") or {}
            if g.get("read"):
                log(f"\n   == glass-to-glass, burnt-in clock -> point's screen (Chromium, {n} "
                    f"tool viewers): p50 {g['p50']} ms, p95 {g['p95']} ms, max {g['max']} ms "
                    f"({g['read']} frames read, {g['unread']} not)")
            elif not c.get("skipped"):
                log(f"\n   == glass-to-glass ({n} tool viewers): no frame read")
            both = c.get("to_red", []) + c.get("back", [])
            if both:
                log(f"\n   == operator cut -> point's screen (Chromium, {n} tool viewers): "
                    f"p50 {pct(both, 0.5):.0f} ms, p95 {pct(both, 0.95):.0f} ms, max "
                    f"{max(both):.0f} ms ({len(both)} cuts, {c['missed']} missed within 5 s)")
            else:
                log(f"\n   == operator cut -> point's screen ({n} tool viewers): "
                    f"{c.get('skipped') or c.get('errors') or 'every cut missed'}")
    return per


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=HERE.parents[1] / "build",
                    help="build directory with ceremonyd and bridge_viewer (default: build)")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds (2)")
    ap.add_argument("--seconds", type=int, default=10, help="measured seconds per window (10)")
    ap.add_argument("--settle", type=int, default=4,
                    help="seconds after every viewer shows a picture (4)")
    ap.add_argument("--receiver-nice", type=int, default=19,
                    help="niceness of the bridge_viewer processes during the settle time and "
                    "the window (19: they take only the CPU the daemon, Janus and nginx "
                    "leave, as if they ran elsewhere); they join at 0")
    ap.add_argument("--warmup", type=int, default=10, help="seconds after the publish (10)")
    ap.add_argument("--stats-ms", type=int, default=1000, help="bridge_viewer's stats period")
    ap.add_argument("--cuts", type=int, default=5,
                    help="cuts to red and back again, each way measured (5: 10 cuts)")
    ap.add_argument("--no-cut", action="store_true",
                    help="skip the Chromium tests (cut -> screen and glass-to-glass)")
    ap.add_argument("--glass", type=int, default=5,
                    help="seconds of frames read for glass-to-glass (5; 0: none)")
    ap.add_argument("--playwright", type=Path, default=Path("/tmp/bench-bridge/node"),
                    help="where `npm install playwright-core` put node_modules")
    ap.add_argument("--quick", action="store_true",
                    help="a short look: 1 round, 6 s windows, 2 s settle, 6 cuts")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--work", type=Path, help="parent of the work dir (default: $TMPDIR)")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.settle, args.warmup, args.cuts = 1, 6, 2, 5, 3
    args.build = args.build.resolve()
    if not (1 <= args.rounds <= 10 and 2 <= args.seconds <= 600):
        ap.error("--rounds 1..10, --seconds 2..600")
    missing = [str(t) for t in (args.build / "ceremonyd", args.build / "bridge_viewer", JANUS,
                                JANUS_LIB / "plugins/libjanus_streaming.so", mb.NGINX,
                                mb.RTMP_MODULE) if not Path(t).exists()]
    if missing:
        print("bridge bench: missing " + ", ".join(missing), file=sys.stderr)
        return 1

    def on_signal(signum, frame):
        mb.stop_all()
        sys.exit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ceremonyd-bridge-bench-", dir=args.work))
    failed = False
    began = time.monotonic()
    try:
        nginx = mb.Nginx(work)
        janus = Janus(work)
        janus.start()
        per_ramp = sum(len(steps()) * (args.settle + args.seconds + 15) + 40
                       for _ in TRANSPORTS)
        item = args.warmup + args.rounds * (per_ramp + args.seconds + 20) + 600
        daemon = Daemon(args, work, janus, nginx, item)
        flv = FlvFrames(nginx.recording(daemon.stream))
        ctx = {"daemon": daemon, "janus": janus, "nginx": nginx, "flv": flv, "work": work}
        log(f"   {os.cpu_count()} CPUs; {args.rounds} round(s); windows of {args.seconds} s "
            f"after {args.settle} s settle; viewers {', '.join(map(str, COUNTS))} "
            f"(<= {PER_PROCESS} a process); work dir {work}")
        time.sleep(args.warmup)
        flv.update()
        idle, ramps = [], []
        for r in range(1, args.rounds + 1):
            w = window(args, ctx, [], 0, "idle", f"r{r}")
            w["round"] = r
            idle.append(w)
            log(f"   round {r} idle   {0:>3}: {fmt_window(w)}")
            shift = (r - 1) % len(TRANSPORTS)
            for t in TRANSPORTS[shift:] + TRANSPORTS[:shift]:
                cut = (t == "webrtc" and r == args.rounds and not args.no_cut)
                ramps.append(ramp(args, ctx, t, r, cut))
                if not daemon.alive():
                    raise RuntimeError(f"ceremonyd exited with {daemon.proc.returncode}:\n" +
                                       mb.tail(daemon.log))
        relay = {m: daemon.metric(m) for m in ("ceremonyd_bridge_relay_packets_total",
                                               "ceremonyd_bridge_relay_dropped_total")}
        per = summary(args, idle, ramps)
        log(f"\n   relay to Janus: {relay}; machine: see 'others' per window; "
            f"the bench took {time.monotonic() - began:.0f} s")
        if args.json:
            args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                             "idle": idle, "ramps": ramps, "relay": relay,
                                             "summary": {t: {k: v for k, v in p.items()
                                                             if k != "rounds"}
                                                         for t, p in per.items()}},
                                            indent=1, default=str))
    except Exception as e:  # report, clean up, fail
        import traceback
        traceback.print_exc()
        print(f"bridge bench: {e}", file=sys.stderr)
        failed = True
    finally:
        if "flv" in locals():
            flv.stopping = True
        mb.stop_all()
        if args.keep or failed:
            print(f"   kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
