#!/usr/bin/env python3
"""Return feeds benchmark (issue 14): the daemon's CPU per point that sends its camera back
to the province over WHIP, when the feed is received but shown nowhere, and when it is shown.

Senders are tests/tools/whip_sender processes replaying (--file) one pre-encoded clip, made
once with gst x264enc: 1280x720 at 30 fps, about 1.5 Mbit/s, a keyframe every 2 s, as a
commune's hardware encoder or OBS sends; the senders encode no picture (only an Opus sine,
their microphone), and their CPU is reported, not counted. They run at normal priority: unlike
bridge_bench.py's viewers, a sender starved of CPU would send less and spare the daemon work
(--sender-nice 19 renices them, and their scheduling group, for the settle time and the
window).

One ceremonyd makes a 720p30 programme (x264 veryfast CBR 2500 kbps, AAC) and pushes it to
a loopback nginx-rtmp that records it, in each of two configurations, one daemon run each:

  hidden   no `point` source: the feeds are received (webrtcbin, SRTP, RTP), not decoded
           (since c391149); the programme is a test source, full screen
  shown    every sending point has a `point` source (its frames go through the normaliser
           to the programme's channel), two of them on air side by side

At N = 0, 1, 8, 24 senders (--counts), once every sender is connected and the daemon says
it receives each (/api/points: `return.connected`): a settle time, then one window: CPU-s/s
of the daemon (/proc, utime+stime of its tree), VmRSS, what the daemon received from each
feed (`return.bytes_received`, kbit/s), the inputs running (shown), and the programme's
frames in the window of stream time from the FLV nginx records (frames lost against 30/s,
the largest gap). Per configuration and round: the least-squares slope of CPU against N
(the CPU per feed) and (CPU(N) - CPU(0)) / N at each N. Medians over rounds.

The peer, in a third ramp (janus): Debian's Janus (only its HTTP transport and the VideoRoom
plugin, one room, a fresh Janus per ramp) receiving the same N feeds from the same senders
(whip_sender --janus: same webrtcbin, same clip, only the signalling differs), with nobody
subscribed, as nobody shows a hidden feed; the daemon meanwhile makes the same programme with
no feed, so the machine carries the same encode. Its CPU is Janus's process; "connected" is
the room's publishers (listparticipants). The summary sets the daemon's CPU per feed
(hidden) beside Janus's, per N, with the ratio of the medians and the median of the
per-round ratios. Rounds interleave the ramps, the order rotating (--modes).

Standard library only; the nginx-rtmp, process and /proc helpers are media_bench.py's, the
FLV frame reader and Janus's paths bridge_bench.py's.

  tests/bench/return_bench.py --build build              # 1 round, 3 ramps, ~10 min
  tests/bench/return_bench.py --build build --modes hidden,janus --counts 24,48 --rounds 2
"""

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import http.client
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import media_bench as mb  # noqa: E402  (nginx-rtmp, process and /proc helpers)
import bridge_bench as bb  # noqa: E402  (FlvFrames, fit, renice)

FPS = 30
CLIP_SECONDS = 20

CONFIG = """# return_bench.py ({mode}): a 720p30 programme with the points' return feeds.
[event]
title = "Return feeds benchmark"
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

{sources}
[scenes.hall]
kind = "source"
source = "hall"

{scenes}
# Every sender comes from 127.0.0.1.
[api]
max_connections_per_address = 2000
max_streams = 2000
max_streams_per_address = 2000

[bridge]
max_viewers = 200
return_bitrate_kbps = 4000

[health]
interval = "2s"
jitter = "500ms"

{points}
[[timeline]]
id = "tra-ve"
title = "Benchmark"
start = "09:00"
duration = "{item}s"
scene = "{scene}"
"""

POINT = """[[points]]
id = "{id}"
name = "Xã số {n}"
kind = "xã"
probes = [{{ kind = "bridge", token_file = "{token}", heartbeat_timeout = "600s" }}]
"""


def log(*a):
    print(*a, flush=True)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def make_clip(cache, log_dir):
    """The 720p30 H.264 clip every sender replays, made once and kept in `cache`: a moving
    zone plate with a running clock (detail that moves, so it costs what a camera costs)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"return-720p30-1500k-{CLIP_SECONDS}s.mp4"
    if path.exists() and path.stat().st_size > 0:
        return path
    log(f"   making the {CLIP_SECONDS} s 720p clip once in {cache}")
    part = path.with_suffix(".part.mp4")
    r = mb.run(["gst-launch-1.0", "-q", "videotestsrc", f"num-buffers={CLIP_SECONDS * FPS}",
                "pattern=zone-plate", "kx2=20", "ky2=20", "kt=1", "!",
                f"video/x-raw,width=1280,height=720,framerate={FPS}/1", "!",
                "timeoverlay", "font-desc=Sans 48", "!",
                "x264enc", "bitrate=1650", "pass=cbr", "speed-preset=veryfast",
                f"key-int-max={2 * FPS}", "tune=zerolatency", "!",
                "video/x-h264,profile=main", "!", "h264parse", "!", "mp4mux", "!",
                "filesink", f"location={part}"],
               timeout=600, log=log_dir / "make-clip.log")
    if r.returncode != 0:
        raise RuntimeError("making the clip failed:\n" + r.stderr.decode(errors="replace"))
    part.rename(path)
    return path


class Daemon:
    def __init__(self, args, work, nginx, mode, points, name=None):
        self.mode = mode
        name = name or mode
        self.dir = work / f"daemon-{name}"
        self.dir.mkdir()
        self.port = mb.free_port()
        self.stream = f"return_{name.replace('-', '_')}"
        self.points = [f"xa-{i + 1}" for i in range(points)]
        self.token_files = {}
        blocks, sources = [], []
        for i, p in enumerate(self.points):
            f = self.dir / f"{p}.token"
            bb.write_secret(f, secrets.token_urlsafe(24))
            self.token_files[p] = f
            blocks.append(POINT.format(id=p, n=i + 1, token=f.name))
            if mode == "shown":
                sources.append(f'[sources.p{i + 1}]\nkind = "point"\npoint = "{p}"\n')
        scenes = ('[scenes.hai_xa]\nkind = "side_by_side"\nleft = "p1"\nright = "p2"\n'
                  if mode == "shown" else "")
        (self.dir / "return.toml").write_text(CONFIG.format(
            mode=mode, sources="\n".join(sources), scenes=scenes, points="\n".join(blocks),
            item=3600, scene="hai_xa" if mode == "shown" else "hall"))
        self.operator_file = self.dir / "operator.token"
        bb.write_secret(self.operator_file, secrets.token_urlsafe(24))
        self.token = self.operator_file.read_text().strip()
        argv = [str(args.build / "ceremonyd"), "--config", str(self.dir / "return.toml"),
                "--rehearsal=1", "--listen", f"127.0.0.1:{self.port}",
                "--operator-token-file", str(self.operator_file),
                "--state-dir", str(self.dir / "state"), "--rtmp", nginx.url(self.stream)]
        self.log = self.dir / "ceremonyd.log"
        self.proc = mb.start(argv, self.log, cwd=self.dir)
        if not mb.wait_until(lambda: (mb.accepts(self.port) and nginx.published(self.stream))
                             or self.proc.poll() is not None, 40):
            raise RuntimeError("ceremonyd did not listen / publish within 40 s:\n" +
                               mb.tail(self.log))
        if self.proc.poll() is not None:
            raise RuntimeError(f"ceremonyd exited with {self.proc.returncode}:\n" +
                               mb.tail(self.log))

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            c.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
            r = c.getresponse()
            return json.loads(r.read()) if r.status == 200 else None
        except (OSError, ValueError):
            return None
        finally:
            c.close()

    def returns(self):
        """{point: its `return` object} for the points that send."""
        j = self.get("/api/points") or {}
        return {p["id"]: p["return"] for p in j.get("points", [])
                if isinstance(p.get("return"), dict)}

    def inputs_running(self):
        j = self.get("/api/status") or {}
        return sum(1 for i in j.get("inputs", []) if i.get("state") == "running")


class JanusRoom:
    """Janus on loopback with only its HTTP transport and the VideoRoom plugin, one room
    (id 1) taking up to 1,000 H.264 + Opus publishers, no bitrate cap and no periodic
    keyframe request (the clip has its own every 2 s); nobody subscribes, as nobody shows a
    hidden feed: the publishers' media is received (ICE, DTLS/SRTP, RTP) and relayed to no one.
    A fresh Janus per ramp. The folders are bridge_bench.py's Janus's."""

    def __init__(self, work, ramp_name):
        self.root = work / f"janus-{ramp_name}"
        self.http_port = mb.free_port()
        for sub in ("conf", "plugins", "transports", "none"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        # Janus loads every plugin in its folder: a folder with only the one it needs.
        os.symlink(bb.JANUS_LIB / "plugins/libjanus_videoroom.so",
                   self.root / "plugins/libjanus_videoroom.so")
        os.symlink(bb.JANUS_LIB / "transports/libjanus_http.so",
                   self.root / "transports/libjanus_http.so")
        r = str(self.root)
        (self.root / "conf/janus.jcfg").write_text(
            f'general: {{\n  configs_folder = "{r}/conf"\n  plugins_folder = "{r}/plugins"\n'
            f'  transports_folder = "{r}/transports"\n  events_folder = "{r}/none"\n'
            f'  loggers_folder = "{r}/none"\n  debug_level = 3\n}}\nmedia: {{}}\nnat: {{}}\n')
        (self.root / "conf/janus.transport.http.jcfg").write_text(
            f'general: {{ json = "plain" base_path = "/janus" http = true ip = "127.0.0.1" '
            f'port = {self.http_port} https = false }}\nadmin: {{ admin_http = false }}\n')
        (self.root / "conf/janus.plugin.videoroom.jcfg").write_text(
            'general: {}\nroom-1: {\n  description = "return feeds"\n  publishers = 1000\n'
            '  bitrate = 0\n  fir_freq = 0\n  audiocodec = "opus"\n  videocodec = "h264"\n'
            '  record = false\n}\n')
        self.log = self.root / "janus.log"
        self.proc = mb.start([bb.JANUS, "-C", r + "/conf/janus.jcfg", "-F", r + "/conf", "-o"],
                             self.log, cwd=r)
        if not mb.wait_until(lambda: mb.accepts(self.http_port) or self.proc.poll() is not None,
                             15, 0.05) or self.proc.poll() is not None:
            raise RuntimeError("janus did not start:\n" + mb.tail(self.log))

    def api(self):
        return f"http://127.0.0.1:{self.http_port}/janus"

    def publishers(self):
        """How many publishers room 1 lists (a plugin request on a session of our own)."""
        def post(path, body):
            c = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=5)
            try:
                body["transaction"] = secrets.token_hex(6)
                c.request("POST", "/janus" + path, json.dumps(body),
                          {"Content-Type": "application/json"})
                return json.loads(c.getresponse().read())
            except (OSError, ValueError):
                return {}
            finally:
                c.close()
        sid = post("", {"janus": "create"}).get("data", {}).get("id")
        if not sid:
            return None
        try:
            hid = post(f"/{sid}", {"janus": "attach", "plugin": "janus.plugin.videoroom"}
                       ).get("data", {}).get("id")
            if not hid:
                return None
            j = post(f"/{sid}/{hid}", {"janus": "message",
                                       "body": {"request": "listparticipants", "room": 1}})
            parts = j.get("plugindata", {}).get("data", {}).get("participants", [])
            return sum(1 for p in parts if p.get("publisher"))
        finally:
            post(f"/{sid}", {"janus": "destroy"})


class Sender:
    def __init__(self, args, daemon, point, clip, log_dir, janus=None):
        self.point = point
        self.log = log_dir / f"sender-{'janus' if janus else daemon.mode}-{point}.log"
        self.argv = [str(args.build / "whip_sender")]
        if janus:
            self.argv += ["--janus", janus.api(), "--room", "1", "--display", point]
        else:
            self.argv += ["--url", f"http://127.0.0.1:{daemon.port}/whip/{point}",
                          "--token-file", str(daemon.token_files[point])]
        self.argv += ["--file", str(clip), "--tone-hz", "1000"]
        self.start()

    def start(self):
        self.proc = mb.start(self.argv, self.log)

    def sending(self):
        try:
            return "whip_sender: sending " in self.log.read_text(errors="replace")
        except OSError:
            return False

    def renice(self, nice):
        bb.Receivers.renice(self, nice)

    def kbps(self):
        """What it said it sent over its last second (its webrtcbin's statistics)."""
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return None
        for line in reversed(lines):
            if line.startswith("whip_sender: stats ") and " kbps=" in line:
                return int(line.split(" kbps=")[1].split()[0])
        return None


def window(args, daemon, flv, senders, n, janus=None):
    pids = [s.proc.pid for s in senders]
    before = daemon.returns()
    j0 = mb.cpu_seconds(janus.proc.pid) if janus else None
    c0, s0 = mb.cpu_seconds(daemon.proc.pid), sum(mb.cpu_seconds(p) for p in pids)
    busy0, t0 = mb.machine_busy_seconds(), time.monotonic()
    flv.update()
    ts0 = flv.last_ts
    time.sleep(args.seconds)
    flv.update()
    ts1 = flv.last_ts
    wall = time.monotonic() - t0
    c1, s1 = mb.cpu_seconds(daemon.proc.pid), sum(mb.cpu_seconds(p) for p in pids)
    j1 = mb.cpu_seconds(janus.proc.pid) if janus else None
    busy1 = mb.machine_busy_seconds()
    after = daemon.returns()
    kbps = [(after[p]["bytes_received"] - before[p]["bytes_received"]) * 8 / wall / 1000
            for p in after if p in before and after[p].get("session") == before[p].get("session")]
    prog = flv.check(ts0, ts1) if ts0 is not None and ts1 is not None else {}
    res = {"mode": "janus" if janus else daemon.mode, "n": n,
           # The contender's CPU: Janus's in the janus ramp (the daemon there only makes the
           # programme, with no feed), else the daemon's.
           "cpu": (j1 - j0) / wall if janus else (c1 - c0) / wall,
           "daemon_cpu": (c1 - c0) / wall, "senders_cpu": (s1 - s0) / wall,
            "machine_busy": (busy1 - busy0) / wall,
            "rss_mb": mb.status_kb(daemon.proc.pid, "VmRSS") / 1024,
            "connected": sum(1 for r in after.values() if r.get("connected")),
            "on_programme": sum(1 for r in after.values() if r.get("on_programme")),
            "inputs_running": daemon.inputs_running(),
            "kbps_min": min(kbps) if kbps else None, "kbps_med": med(kbps),
            "sent_kbps_med": med([s.kbps() for s in senders]),
            "programme_frames": prog.get("frames"), "programme_expected": prog.get("expected"),
            "programme_lost": prog.get("lost"), "programme_max_gap_ms": prog.get("max_gap_ms"),
            # Pictures the programme made per second of wall time (30 when it keeps up).
            "programme_fps": (prog.get("frames") or 0) / wall,
            "behind_s": flv.behind()}
    if janus:
        res["rss_mb"] = mb.status_kb(janus.proc.pid, "VmRSS") / 1024
        res["connected"] = janus.publishers() or 0
    res["others_cpu"] = max(0.0, res["machine_busy"] - res["daemon_cpu"] - res["senders_cpu"] -
                            (res["cpu"] if janus else 0))
    return res


def fmt(w):
    def f(v, spec):
        return "-" if v is None else format(v, spec)
    who = "janus" if w["mode"] == "janus" else "daemon"
    return (f"{who} {w['cpu']:.3f} CPU-s/s, {w['rss_mb']:.0f} MB"
            + (f" (daemon {w['daemon_cpu']:.2f})" if who == "janus" else "")
            + f"; senders {w['senders_cpu']:.2f}; machine {w['machine_busy']:.2f} (others "
            f"{w['others_cpu']:.2f}); connected {w['connected']}, on programme "
            f"{w['on_programme']}, inputs running {w['inputs_running']}; received kbit/s "
            f"min {f(w['kbps_min'], '.0f')} med {f(w['kbps_med'], '.0f')} (senders say "
            f"{f(w['sent_kbps_med'], '.0f')}); programme "
            f"{w['programme_fps']:.1f} fps, {f(w['programme_frames'], 'd')}/"
            f"{f(w['programme_expected'], 'd')} frames of its stream time, lost "
            f"{f(w['programme_lost'], 'd')}, max gap {f(w['programme_max_gap_ms'], '.0f')} ms, "
            f"behind {f(w['behind_s'], '.1f')} s")


def ramp(args, work, nginx, clip, mode, round_no):
    counts = args.counts
    # The janus ramp: the daemon makes the same programme with no feed (so the machine
    # carries the same encode), and the senders publish to Janus's VideoRoom instead.
    daemon = Daemon(args, work, nginx, "hidden" if mode == "janus" else mode,
                    max(counts + [2]), name=f"{mode}-r{round_no}")
    janus = JanusRoom(work, f"r{round_no}") if mode == "janus" else None
    flv = bb.FlvFrames(nginx.recording(daemon.stream))
    senders, out = [], []
    log_dir = work / "senders"
    log_dir.mkdir(exist_ok=True)

    def connected():
        if janus:
            return janus.publishers() or 0
        return sum(1 for r in daemon.returns().values() if r.get("connected"))
    try:
        time.sleep(args.warmup)
        w = window(args, daemon, flv, [], 0, janus)
        w["round"] = round_no
        out.append(w)
        log(f"   r{round_no} {mode:6} {0:>3}: {fmt(w)}")
        for n in counts:
            for s in senders:
                s.renice(0)
            # In batches: a WHIP answer waits for ICE gathering, and a starved daemon that
            # gets 16 offers at once answers some after the senders' 10 s.
            while len(senders) < n:
                batch = []
                for _ in range(min(args.batch, n - len(senders))):
                    batch.append(Sender(args, daemon, daemon.points[len(senders)], clip, log_dir,
                                        janus))
                    senders.append(batch[-1])
                for attempt in range(3):
                    mb.wait_until(lambda: all(s.sending() or s.proc.poll() is not None
                                              for s in batch), 30, 0.2)
                    again = [s for s in batch if not s.sending()]
                    if not again or attempt == 2:
                        break
                    for s in again:
                        mb.stop(s.proc, signal.SIGTERM, 5)
                        s.start()
            ok = mb.wait_until(lambda: connected() >= n, 30, 0.5)
            if not ok:
                log(f"   r{round_no} {mode:6} {n:>3}: not every sender connected "
                    f"({sum(1 for s in senders if s.sending())} say so)")
            for s in senders:
                s.renice(args.sender_nice)
            time.sleep(args.settle)
            w = window(args, daemon, flv, senders, n, janus)
            w["round"] = round_no
            out.append(w)
            log(f"   r{round_no} {mode:6} {n:>3}: {fmt(w)}")
    finally:
        for s in senders:
            mb.stop(s.proc, signal.SIGTERM, 5)
        flv.stopping = True
        mb.stop(daemon.proc, signal.SIGTERM, 15)
        if janus:
            mb.stop(janus.proc, signal.SIGTERM, 10)
    return out


def summary(results):
    log("== return feeds: medians over rounds")
    table = {}
    for mode in ("hidden", "janus", "shown"):
        rows = [w for w in results if w["mode"] == mode]
        if not rows:
            continue
        rounds = sorted({w.get("round", 0) for w in rows if w["n"] > 0})
        # The slope over the steps where the programme kept up (>= 29 fps, < 1 s behind):
        # past them the daemon is starved and its CPU says how much it got, not needed.
        slopes = []
        for r in rounds:
            base = [w for w in rows if w["n"] == 0 and w.get("round") in (r, None)]
            pts = [(0, base[0]["cpu"])] if base else []
            pts += [(w["n"], w["cpu"]) for w in rows if w.get("round") == r and w["n"] > 0
                    and w["programme_fps"] >= FPS - 1 and (w["behind_s"] or 0) < 1]
            slopes.append(bb.fit(pts)[0])
        ns = sorted({w["n"] for w in rows})
        base = med([w["cpu"] for w in rows if w["n"] == 0])
        table[mode] = {"slope": med(slopes), "base": base, "by_n": {}}
        slope = med(slopes)
        log(f"   {mode}: CPU per feed (slope where the programme kept up) "
            + ("-" if slope is None else f"{slope:.3f}") + f" CPU-s/s; with no feed {base:.3f}")
        for n in ns:
            ws = [w for w in rows if w["n"] == n]
            m = {k: med([w[k] for w in ws]) for k in ws[0] if isinstance(ws[0][k], (int, float))
                 and k not in ("n", "round")}
            m["per_feed"] = (m["cpu"] - base) / n if n and base is not None else None
            table[mode]["by_n"][n] = m
            def g(k, spec=".0f"):
                return "-" if m.get(k) is None else format(m[k], spec)
            log(f"     N={n:>3}: {'janus' if mode == 'janus' else 'daemon'} {m['cpu']:.3f} CPU-s/s"
                + (f" ({m['per_feed']:.4f} a feed)" if m["per_feed"] is not None else "")
                + f", {m['rss_mb']:.0f} MB; programme {g('programme_fps', '.1f')} fps, "
                f"{g('behind_s', '.1f')} s behind, lost {g('programme_lost')} of "
                f"{g('programme_expected')}, max gap {g('programme_max_gap_ms')} ms; inputs "
                f"running {g('inputs_running')}; received kbit/s min {g('kbps_min')} med "
                f"{g('kbps_med')}; senders {m['senders_cpu']:.2f} CPU-s/s; connected "
                f"{g('connected')}; others {g('others_cpu', '.2f')}")
    # Side by side: the daemon receiving N feeds for nobody against Janus's VideoRoom
    # receiving the same N with no subscriber, per round (same run, interleaved) then medians.
    if "hidden" in table and "janus" in table:
        log("== ceremonyd (received, not decoded) / Janus VideoRoom, CPU per feed")
        for n in sorted(table["janus"]["by_n"]):
            if not n or n not in table["hidden"]["by_n"]:
                continue
            ratios = []
            for r in sorted({w.get("round") for w in results if w["n"] == n}):
                d = [w for w in results if w["mode"] == "hidden" and w["n"] in (0, n)
                     and w.get("round") == r]
                j = [w for w in results if w["mode"] == "janus" and w["n"] in (0, n)
                     and w.get("round") == r]
                if len(d) == 2 and len(j) == 2:
                    pd = (max(d, key=lambda w: w["n"])["cpu"] - min(d, key=lambda w: w["n"])["cpu"]) / n
                    pj = (max(j, key=lambda w: w["n"])["cpu"] - min(j, key=lambda w: w["n"])["cpu"]) / n
                    if pj > 0:
                        ratios.append(pd / pj)
            hd, jn = table["hidden"]["by_n"][n], table["janus"]["by_n"][n]
            table.setdefault("ratio", {})[n] = med(ratios)
            log(f"   N={n:>3}: ceremonyd {hd['per_feed']:.4f}, Janus {jn['per_feed']:.4f} CPU-s/s a "
                f"feed; ratio of medians {hd['per_feed'] / jn['per_feed']:.2f}, median of the "
                f"per-round ratios " + ("-" if not ratios else f"{med(ratios):.2f}")
                + f"; programme {hd['programme_fps']:.1f} / {jn['programme_fps']:.1f} fps, "
                f"{hd['behind_s']:.1f} / {jn['behind_s']:.1f} s behind"
                # Starved: the programme fell behind, or the senders took most of the 2 cores.
                + ("" if all(x["programme_fps"] >= FPS - 1 and (x["behind_s"] or 0) < 1.5
                             and x["senders_cpu"] < 0.75 * (os.cpu_count() or 2)
                             for x in (hd, jn)) else
                   " (STARVED: a contender got what the machine left it, not what it needed;"
                   " the ratio means nothing)"))
    return table


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=HERE.parents[1] / "build",
                    help="build directory with ceremonyd and whip_sender (default: build)")
    ap.add_argument("--counts", default="1,8,24", help="senders at each step (1,8,24)")
    ap.add_argument("--rounds", type=int, default=1, help="rounds of every ramp (1)")
    ap.add_argument("--modes", default="hidden,janus,shown",
                    help="ramps, in each round's order (rotating): hidden (ceremonyd, no `point` "
                    "source), janus (Janus VideoRoom, the daemon making the programme with no "
                    "feed), shown (every feed a `point` source); default hidden,janus,shown")
    ap.add_argument("--seconds", type=int, default=10, help="measured seconds per window (10)")
    ap.add_argument("--settle", type=int, default=4, help="seconds after connecting (4)")
    ap.add_argument("--batch", type=int, default=4,
                    help="senders started together, each batch connected before the next (4)")
    ap.add_argument("--warmup", type=int, default=8, help="seconds after the publish (8)")
    ap.add_argument("--sender-nice", type=int, default=0,
                    help="niceness of the senders during the settle time and the window (0)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/bench-return"),
                    help="where the clip is made once (/tmp/bench-return)")
    ap.add_argument("--work", type=Path, help="parent of the work dir (default: $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    args = ap.parse_args()
    args.build = args.build.resolve()
    args.counts = sorted({int(x) for x in args.counts.split(",") if int(x) > 0})
    args.modes = [m for m in args.modes.split(",") if m]
    if not set(args.modes) <= {"hidden", "janus", "shown"}:
        ap.error("--modes: hidden, janus, shown")
    if "janus" in args.modes and not (bb.JANUS_LIB / "plugins/libjanus_videoroom.so").exists():
        print("return bench: no Janus VideoRoom (apt-get install janus): its ramp is skipped",
              file=sys.stderr)
        args.modes.remove("janus")
    missing = [str(t) for t in (args.build / "ceremonyd", args.build / "whip_sender", mb.NGINX,
                                mb.RTMP_MODULE) if not Path(t).exists()]
    if missing:
        print("return bench: missing " + ", ".join(missing), file=sys.stderr)
        return 1

    def on_signal(signum, frame):
        mb.stop_all()
        sys.exit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ceremonyd-return-bench-", dir=args.work))
    try:
        clip = make_clip(args.cache, work)
        nginx = mb.Nginx(work)
        log(f"   {os.cpu_count()} CPUs; {args.rounds} round(s); senders {args.counts}; windows "
            f"of {args.seconds} s after {args.settle} s settle; work dir {work}")
        results = []
        for r in range(1, args.rounds + 1):
            k = (r - 1) % len(args.modes)
            order = args.modes[k:] + args.modes[:k]  # the order rotating
            for mode in order:
                results += ramp(args, work, nginx, clip, mode, r)
        table = summary(results)
        if args.json:
            args.json.write_text(json.dumps({"windows": results, "summary": table}, indent=1))
        return 0
    finally:
        mb.stop_all()
        if not args.keep:
            subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    sys.exit(main())
