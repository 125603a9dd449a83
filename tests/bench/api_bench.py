#!/usr/bin/env python3
"""Control API benchmark (issue 4): GET /api/status under wrk, and 200 live-stream clients,
while the programme streams at 720p30.

ceremonyd runs a ceremony of test sources (a 720p30 picture-in-picture of two moving test
patterns with a lower third, x264 veryfast CBR 3500 kbps) with `--rehearsal=1`, pushing it
to a loopback nginx-rtmp that records it (`record all`, as media_bench.py does). One daemon
per round; in each round, after a warm-up, four phases of the same length, their order
rotating from round to round:

  baseline  no API load: the daemon's CPU-s/s (streaming alone)
  wrk       wrk -t2 -c100 -d<seconds>s --latency, Authorization: Bearer <viewer token>,
            against GET /api/status: requests/s, p50/p90/p99 latency, the daemon's CPU-s/s
            (the API's cost = wrk phase - baseline, also per request), and wrk's own CPU
            (it competes for the same cores)
  whoami    the same wrk against GET /api/whoami: the same HTTP, routing and token path with
            a tiny answer, so status - whoami is what building the status JSON costs
  nginx     the same wrk against a plain nginx (HTTP only, one worker, no access log)
            serving the bytes /api/status answered at the start of the round as a static
            file, while the same daemon streams: the peer a C event loop reaches on this
            machine at this moment, so ceremonyd's figures are also given as ratios to it
  sse       200 clients on GET /api/stream?token=... (an asyncio client in a separate
            process, this script with --sse-client, reading continuously; its CPU is not
            the daemon's and is reported apart): the daemon's CPU-s/s, and how often each
            client got a `status` message

Every phase also checks the programme: the video timestamps of the FLV nginx recorded (read
with ffprobe after the round) within the phase's window of stream time must be continuous at
30 fps (no gap > 2 frame intervals, the frame count as expected) and the stream must have
kept up with real time; the baseline window is the reference. CPU from /proc/<pid>/stat
(utime+stime of the process tree), per wall second. Medians over rounds: the machine is
small (2 cores) and shared, so quote medians and the spread, not single runs.
Standard library only; the nginx, process and /proc helpers are media_bench.py's.

  tests/bench/api_bench.py --build build                            # 3 rounds x 4 x 30 s, ~9 min
  tests/bench/api_bench.py --build build --rounds 1 --seconds 10    # quick look
  tests/bench/api_bench.py --build build --perf /tmp/prof   # + perf profiles of the wrk phases
"""

import argparse
import asyncio
import json
import os
import re
import secrets
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import media_bench as mb  # noqa: E402  (nginx-rtmp, process and /proc helpers)

FPS = 30
FRAME_MS = 1000 / FPS
PHASES = ("baseline", "status", "whoami", "nginx", "sse")
WRK_PHASES = ("status", "whoami", "nginx")

# The programme: 720p30 as Facebook wants it, with motion in it (the ball moves, the inset
# too), a lower third, one item long enough for the whole run. No connection points: the
# status JSON carries their counts only.
CONFIG = """# api_bench.py: a 720p30 programme of test sources, one long item.
[event]
title = "Đo hiệu năng API — Lễ Phát động “Bình dân học vụ số”"
date = "2025-07-28"
timezone = "+07:00"
venue = "Hội trường B, Trụ sở UBND tỉnh Quảng Ngãi"

[programme]
width = 1280
height = 720
fps = 30
video_bitrate_kbps = 3500
keyframe_interval_s = 2
h264_profile = "main"
x264_preset = "veryfast"
audio_bitrate_kbps = 128
audio_rate = 48000
audio_channels = 2
font = "Noto Sans"

[sources.hall]
kind = "test"
pattern = "ball"
tone_hz = 440
label = "Camera hội trường (mẫu thử)"

[sources.point]
kind = "test"
pattern = "smpte"
tone_hz = 0
label = "Điểm cầu (mẫu thử)"

[scenes.hall_point]
kind = "pip"
main = "hall"
inset = "point"
position = "bottom-right"
label = "Hội trường + điểm cầu"

[scenes.after]
kind = "slate"
text = "Hết giờ đo"
background = "#102a54"

# Every client of the bench comes from 127.0.0.1: the per-address caps are for the
# province's network, not for a load generator on the same machine.
[api]
max_connections_per_address = 2000
max_streams = 2000
max_streams_per_address = 2000

[[timeline]]
id = "chi-dao"
title = "Phát biểu chỉ đạo và phát động phong trào"
start = "14:00"
duration = "{item}s"
scene = "hall_point"
lower_third = {{ name = "Nguyễn Văn A", role = "Phó Chủ tịch UBND tỉnh Quảng Ngãi" }}

[[timeline]]
id = "be-mac"
title = "Bế mạc"
duration = "60s"
scene = "after"
"""


def log(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------- HTTP bits


def http_get(port, path, token, timeout=5.0):
    """(status, body bytes) of one GET over a fresh connection."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def api_port_from_log(path):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return None
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", text)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------- the SSE client process


async def _sse_main(port, token, clients, seconds, connect_timeout):
    """`clients` connections to /api/stream, each read continuously; once all are in, prints
    READY, measures `seconds`, prints one JSON line, closes everything."""
    loop = asyncio.get_running_loop()
    window = {"start": None, "end": None}
    stats = [{"status_times": [], "bytes": 0, "events": 0, "error": None}
             for _ in range(clients)]

    async def one(i, connected):
        st = stats[i]
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, limit=1 << 20), connect_timeout)
        except Exception as e:
            st["error"] = f"connect: {e!r}"
            connected.set_result(False)
            return
        try:
            writer.write(f"GET /api/stream?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         f"Accept: text/event-stream\r\n\r\n".encode())
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), connect_timeout)
            if not head.startswith(b"HTTP/1.1 200"):
                st["error"] = "answer: " + head.split(b"\r\n", 1)[0].decode(errors="replace")
                connected.set_result(False)
                return
            connected.set_result(True)
            while True:
                block = await reader.readuntil(b"\n\n")  # one SSE message (or a comment)
                now = loop.time()
                st["bytes"] += len(block)
                if window["start"] is None or now < window["start"]:
                    continue
                if window["end"] is not None and now > window["end"]:
                    continue
                st["events"] += 1
                if block.startswith(b"event: status\n") or b"\nevent: status\n" in block:
                    st["status_times"].append(now)
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as e:
            if window["end"] is None or loop.time() < window["end"]:
                st["error"] = f"stream: {e!r}"
        except asyncio.CancelledError:
            pass
        except Exception as e:  # a timeout waiting for the answer, a message too long
            st["error"] = f"stream: {e!r}"
        finally:
            if not connected.done():
                connected.set_result(False)
            writer.close()

    futs = [loop.create_future() for _ in range(clients)]
    tasks = []
    for i in range(clients):  # connect at a steady pace rather than in one burst
        tasks.append(asyncio.create_task(one(i, futs[i])))
        if i % 20 == 19:
            await asyncio.sleep(0.02)
    done = await asyncio.wait_for(asyncio.gather(*futs), connect_timeout + 10)
    ok = sum(1 for d in done if d)
    await asyncio.sleep(1.5)  # the snapshot on connect is not what we count
    window["start"] = loop.time()
    print(f"READY {ok}", flush=True)
    await asyncio.sleep(seconds)
    window["end"] = loop.time()
    out = []
    for st in stats:
        t = st["status_times"]
        gaps = [b - a for a, b in zip(t, t[1:])]
        first_gap = (t[0] - window["start"]) if t else seconds
        last_gap = (window["end"] - t[-1]) if t else seconds
        out.append({"status": len(t), "events": st["events"], "bytes": st["bytes"],
                    "max_gap": max(gaps + [first_gap, last_gap]), "error": st["error"]})
    print(json.dumps({"connected": ok, "seconds": window["end"] - window["start"],
                      "clients": out}), flush=True)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def sse_client_main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--sse-client", action="store_true")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token-file", type=Path, required=True)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=30)
    a = ap.parse_args(argv)
    token = a.token_file.read_text().strip()
    asyncio.run(_sse_main(a.port, token, a.clients, a.seconds, 15.0))
    return 0


def readline_within(p, timeout):
    """One line of p's stdout within `timeout` s (None if none came or it exited)."""
    deadline = time.monotonic() + timeout
    buf = b""
    fd = p.stdout.fileno()
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0.0, min(1.0, deadline - time.monotonic())))
        if not r:
            continue
        chunk = os.read(fd, 1)
        if not chunk:
            return None
        if chunk == b"\n":
            return buf.decode(errors="replace")
        buf += chunk
        if len(buf) > 1 << 24:
            return None
    return None


# ---------------------------------------------------------------- measurements


class StaticNginx:
    """The peer for the wrk phases: a plain nginx on loopback serving one static file
    (status.json), one worker as the daemon has one API thread, no access log, keep-alive
    without a request limit (wrk keeps its 100 connections)."""

    def __init__(self, work):
        self.dir = Path(work) / "nginx-http"
        (self.dir / "www").mkdir(parents=True)
        (self.dir / "tmp").mkdir()
        self.port = mb.free_port()
        d = str(self.dir)
        (self.dir / "nginx.conf").write_text(f"""daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {d}/tmp;
  proxy_temp_path {d}/tmp;
  fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp;
  scgi_temp_path {d}/tmp;
  keepalive_requests 100000000;
  server {{
    listen 127.0.0.1:{self.port};
    root {d}/www;
    default_type "application/json; charset=utf-8";
  }}
}}
""")
        self.proc = mb.start([mb.NGINX, "-p", d + "/", "-c", d + "/nginx.conf", "-e",
                              d + "/error.log"], self.dir / "nginx.out", cwd=d)
        if not mb.wait_until(lambda: mb.accepts(self.port) or self.proc.poll() is not None, 10) \
                or self.proc.poll() is not None:
            raise RuntimeError("the static nginx did not start:\n" +
                               mb.tail(self.dir / "error.log"))

    def serve(self, body):
        (self.dir / "www" / "status.json").write_bytes(body)


class Window:
    """CPU of the daemon (whole tree, and its main thread = the io_context that answers the
    API), of the machine, the wall time, and the stream time nginx had recorded."""

    def __init__(self, daemon_pid, progress):
        self.pid, self.progress = daemon_pid, progress

    def begin(self):
        self.t0, self.cpu0 = time.monotonic(), mb.cpu_seconds(self.pid)
        self.main0 = mb.thread_seconds(self.pid)
        self.busy0 = mb.machine_busy_seconds()
        self.ts0 = self.progress.update()

    def end(self):
        t1, cpu1 = time.monotonic(), mb.cpu_seconds(self.pid)
        main1 = mb.thread_seconds(self.pid)
        busy1 = mb.machine_busy_seconds()
        ts1 = self.progress.update()
        wall = t1 - self.t0
        key = next((k for k in main1 if k[0] == str(self.pid)), None)
        main = (main1.get(key, 0) - self.main0.get(key, 0)) / wall if key else float("nan")
        out = {"wall": wall, "daemon_cpu": (cpu1 - self.cpu0) / wall, "main_thread_cpu": main,
               "machine_cpu": (busy1 - self.busy0) / wall,
               "threads": mb.thread_profile(self.main0, main1, wall)[:6]}
        if self.ts0 and ts1:
            out.update(ts0=self.ts0[0], ts1=ts1[0], speed=(ts1[0] - self.ts0[0]) / wall)
        return out


def parse_wrk(text):
    def dur(v, unit):
        return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]
    out = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out["rps"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", text)
    out["requests"] = int(m.group(1)) if m else None
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\b", text, re.M)
        out[f"p{pct}"] = dur(*m.groups()) if m else None
    m = re.search(r"^\s+Latency\s+([\d.]+)(us|ms|s|m)\s+([\d.]+)(us|ms|s|m)\s+([\d.]+)(us|ms|s|m)",
                  text, re.M)
    if m:
        g = m.groups()
        out.update(mean=dur(g[0], g[1]), stdev=dur(g[2], g[3]), max=dur(g[4], g[5]))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non_2xx"] = int(m.group(1)) if m else 0
    return out


def run_wrk(args, port, token, run_dir, win, path="/api/status", name="wrk", perf=None):
    argv = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.seconds}s",
            "--latency", "--timeout", "5s", "-H", f"Authorization: Bearer {token}",
            f"http://127.0.0.1:{port}{path}"]
    (run_dir / f"{name}.command").write_text(" ".join(a if "Bearer" not in a else
                                                      "-H 'Authorization: Bearer ***'"
                                                      for a in argv) + "\n")
    log_path = run_dir / f"{name}.out"
    p = mb.start(argv, log_path)
    win.begin()
    if perf:  # sample the daemon (every thread) for most of the run, flat profile
        perf["proc"] = mb.start(["perf", "record", "-e", "cpu-clock", "-F", "999", "-p",
                                 str(win.pid), "-o", str(perf["data"]), "--", "sleep",
                                 str(max(1, args.seconds - 4))], run_dir / f"{name}.perf.log")
    deadline = time.monotonic() + args.seconds + 30
    ru = status = None
    while time.monotonic() < deadline:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.05)
    res = win.end()
    if ru is None or not pid:
        mb.stop(p, signal.SIGKILL, 1)
        res["why"] = "wrk did not finish in time"
        return res
    p.returncode = os.waitstatus_to_exitcode(status)
    mb.stop(p)
    text = log_path.read_text(errors="replace")
    res.update(parse_wrk(text))
    res["wrk_cpu"] = (ru.ru_utime + ru.ru_stime) / res["wall"]
    if p.returncode != 0 or not res.get("rps"):
        res["why"] = f"wrk failed ({p.returncode}):\n" + mb.tail(log_path)
    return res


def run_sse(args, port, token_file, run_dir, win):
    argv = [sys.executable, str(Path(__file__).resolve()), "--sse-client", "--port", str(port),
            "--token-file", str(token_file), "--clients", str(args.clients),
            "--seconds", str(args.seconds)]
    err = open(run_dir / "sse-client.err", "wb")
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                         start_new_session=True, preexec_fn=mb._child_setup)
    err.close()
    mb._started.append(p)
    try:
        ready = readline_within(p, 40)
        if not ready or not ready.startswith("READY"):
            return {"why": "the SSE clients did not connect:\n" +
                    mb.tail(run_dir / "sse-client.err")}
        win.begin()
        line = readline_within(p, args.seconds + 30)
        res = win.end()
        if not line:
            res["why"] = "the SSE client gave no result:\n" + mb.tail(run_dir / "sse-client.err")
            return res
        client_cpu = mb.cpu_seconds(p.pid) / res["wall"]  # whole life, an upper bound
        rep = json.loads(line)
        (run_dir / "sse-clients.json").write_text(line)
        cl = rep["clients"]
        rates = [c["status"] / rep["seconds"] for c in cl]
        res.update(connected=rep["connected"], clients=len(cl),
                   errors=sum(1 for c in cl if c["error"]),
                   first_error=next((c["error"] for c in cl if c["error"]), None),
                   status_rate_median=statistics.median(rates), status_rate_min=min(rates),
                   status_max_gap=max(c["max_gap"] for c in cl),
                   kib_per_client_s=statistics.median(c["bytes"] for c in cl) / 1024 /
                   rep["seconds"], client_cpu=client_cpu)
        if rep["connected"] < args.clients:
            res["why"] = f"only {rep['connected']}/{args.clients} clients connected"
        return res
    finally:
        mb.stop(p, signal.SIGTERM, 5)


def baseline(args, win):
    win.begin()
    time.sleep(args.seconds)
    return win.end()


def video_timestamps(path, run_dir):
    """Every video packet's timestamp (ms) in the FLV nginx recorded, in order."""
    r = mb.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                "packet=dts_time", "-of", "csv=p=0", str(path)], timeout=180)
    if r.returncode != 0:
        (run_dir / "ffprobe.err").write_bytes(r.stderr)
    ts = []
    for line in r.stdout.decode(errors="replace").split():
        try:
            ts.append(round(float(line.strip(",")) * 1000))
        except ValueError:
            pass
    return ts


def frame_check(ts, t0, t1):
    """Frames within [t0, t1] s of stream time: count, expected count, largest gap, gaps
    longer than two frame intervals."""
    lo, hi = t0 * 1000, t1 * 1000
    win = [t for t in ts if lo <= t <= hi]
    if len(win) < 2:
        return {"frames": len(win), "expected": (t1 - t0) * FPS, "max_gap_ms": None,
                "long_gaps": None}
    gaps = [b - a for a, b in zip(win, win[1:])]
    return {"frames": len(win), "expected": round((win[-1] - win[0]) / FRAME_MS) + 1,
            "max_gap_ms": max(gaps), "long_gaps": sum(1 for g in gaps if g > 2 * FRAME_MS),
            "non_monotonic": sum(1 for g in gaps if g <= 0)}


# ---------------------------------------------------------------- one round


def one_round(args, nginx, peer, work, r, order):
    run_dir = work / f"r{r}"
    run_dir.mkdir()
    stream = f"api_r{r}"
    cfg = run_dir / "api.toml"
    item = args.warmup + len(order) * (args.seconds + 45) + 60
    cfg.write_text(CONFIG.format(item=item))
    viewer, operator = run_dir / "viewer-token", run_dir / "operator-token"
    viewer.write_text(secrets.token_hex(16) + "\n")
    operator.write_text(secrets.token_hex(16) + "\n")
    os.chmod(viewer, 0o600)
    os.chmod(operator, 0o600)
    token = viewer.read_text().strip()
    argv = [str(args.build / "ceremonyd"), "--config", str(cfg), "--rehearsal=1",
            "--rtmp", nginx.url(stream), "--listen", "127.0.0.1:0",
            "--viewer-token-file", str(viewer), "--operator-token-file", str(operator),
            "--state-dir", str(run_dir / "state")]
    (run_dir / "command.txt").write_text("\n".join(argv) + "\n")
    daemon_log = run_dir / "ceremonyd.log"
    d = mb.start(argv, daemon_log, cwd=run_dir)
    result = {"round": r, "order": order, "phases": {}}
    try:
        if not mb.wait_until(lambda: (nginx.published(stream) and api_port_from_log(daemon_log))
                             or d.poll() is not None, 40):
            raise RuntimeError("ceremonyd did not publish / listen within 40 s:\n" +
                               mb.tail(daemon_log))
        if d.poll() is not None:
            raise RuntimeError(f"ceremonyd exited with {d.returncode}:\n" + mb.tail(daemon_log))
        port = api_port_from_log(daemon_log)
        time.sleep(args.warmup)
        st, body = http_get(port, "/api/status", token)
        if st != 200:
            raise RuntimeError(f"GET /api/status answered {st}: {body[:200]!r}")
        result["status_bytes"] = len(body)
        peer.serve(body)
        result["status_live"] = json.loads(body).get("live")
        progress = mb.FlvProgress(nginx.recording(stream))
        win = Window(d.pid, progress)
        for phase in order:
            if d.poll() is not None:
                raise RuntimeError(f"ceremonyd exited with {d.returncode}:\n" +
                                   mb.tail(daemon_log))
            if phase == "baseline":
                res = baseline(args, win)
            elif phase == "nginx":
                c0 = mb.cpu_seconds(peer.proc.pid)
                res = run_wrk(args, peer.port, token, run_dir, win, "/status.json", phase)
                res["peer_cpu"] = (mb.cpu_seconds(peer.proc.pid) - c0) / res["wall"]
            elif phase in ("status", "whoami"):
                perf = None
                if args.perf and r == 1:
                    perf = {"data": args.perf / f"{phase}.perf.data"}
                res = run_wrk(args, port, token, run_dir, win,
                              "/api/status" if phase == "status" else "/api/whoami", phase, perf)
                if perf and "proc" in perf:
                    perf["proc"].wait(timeout=args.seconds + 30)
                    mb.stop(perf["proc"])
            else:
                res = run_sse(args, port, viewer, run_dir, win)
            res["others_cpu"] = max(0.0, res.get("machine_cpu", 0) - res.get("daemon_cpu", 0) -
                                    res.get("wrk_cpu", 0) - res.get("client_cpu", 0) -
                                    res.get("peer_cpu", 0))
            result["phases"][phase] = res
            time.sleep(args.gap)  # connections closed, wrk/clients gone, queues drained
    finally:
        mb.stop(d)
    mb.wait_until(lambda: nginx.ended(stream), 10)
    ts = video_timestamps(nginx.recording(stream), run_dir)
    result["recorded_frames"] = len(ts)
    for phase, res in result["phases"].items():
        if "ts0" in res:
            res["frames"] = frame_check(ts, res["ts0"], res["ts1"])
    if not args.keep:
        try:
            nginx.recording(stream).unlink()
        except OSError:
            pass
    return result


def fmt_phase(phase, p):
    if p.get("why"):
        return f"{phase:<8} INVALID: {p['why']}"
    f = p.get("frames", {})
    frames = (f"frames {f.get('frames')}/{f.get('expected')}, max gap {f.get('max_gap_ms')} ms, "
              f"gaps>2 intervals {f.get('long_gaps')}, {p.get('speed', 0):.3f}x real time")
    s = (f"{phase:<8} daemon {p['daemon_cpu']:.3f} CPU-s/s (main thread "
         f"{p['main_thread_cpu']:.3f}), others {p['others_cpu']:.2f}; {frames}")
    if phase in WRK_PHASES:
        s += (f"\n{'':<10}{p['rps']:.0f} req/s, p50 {p['p50']:.2f} ms, p90 {p['p90']:.2f} ms, "
              f"p99 {p['p99']:.2f} ms, max {p.get('max', float('nan')):.1f} ms, "
              f"errors {p['socket_errors']}, non-2xx {p['non_2xx']}; wrk {p['wrk_cpu']:.3f} "
              f"CPU-s/s" + (f", nginx {p['peer_cpu']:.3f} CPU-s/s" if "peer_cpu" in p else ""))
    if phase == "sse":
        s += (f"\n{'':<10}{p['connected']}/{p['clients']} clients, status msgs/s per client "
              f"median {p['status_rate_median']:.2f} (min {p['status_rate_min']:.2f}), longest "
              f"gap {p['status_max_gap']:.2f} s, {p['kib_per_client_s']:.2f} KiB/s per client, "
              f"client errors {p['errors']}, client process {p['client_cpu']:.3f} CPU-s/s")
    return s


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def summary(args, results):
    ok = lambda ph: [r["phases"][ph] for r in results  # noqa: E731
                     if ph in r["phases"] and not r["phases"][ph].get("why")]
    base, wrk, who, sse = ok("baseline"), ok("status"), ok("whoami"), ok("sse")
    peer = ok("nginx")
    log(f"\n   medians over {len(results)} round(s) of {args.seconds} s per phase "
        f"(2-core shared machine: medians, spread in brackets):")

    def spread(xs, f="{:.3f}"):
        return ", ".join(f.format(x) for x in xs)
    out = {}
    if base:
        b = med(p["daemon_cpu"] for p in base)
        out["baseline_cpu"] = b
        log(f"   baseline  daemon {b:.3f} CPU-s/s ({spread([p['daemon_cpu'] for p in base])})"
            f"; others on the machine {med(p['others_cpu'] for p in base):.2f}")
    def per_request(phase):
        """Per round: (the phase's daemon CPU - the same daemon's baseline) / requests per s."""
        per = []
        for r in results:
            pw, pb = r["phases"].get(phase, {}), r["phases"].get("baseline", {})
            if pw.get("rps") and not pw.get("why") and "daemon_cpu" in pb:
                per.append((pw["daemon_cpu"] - pb["daemon_cpu"], pw["rps"]))
        return per

    if base and sse:
        d = [r["phases"]["sse"]["daemon_cpu"] - r["phases"]["baseline"]["daemon_cpu"]
             for r in results if "daemon_cpu" in r["phases"].get("sse", {})
             and "daemon_cpu" in r["phases"].get("baseline", {})]
        out["sse_over_baseline"] = med(d)
    for phase, path, ps in (("status", "/api/status", wrk), ("whoami", "/api/whoami", who),
                            ("nginx", "/status.json from nginx", peer)):
        if not ps:
            continue
        rps = med(p["rps"] for p in ps)
        p50, p99 = med(p["p50"] for p in ps), med(p["p99"] for p in ps)
        dc = med(p["daemon_cpu"] for p in ps)
        o = out.setdefault(phase, {})
        o.update(rps=rps, p50=p50, p90=med(p["p90"] for p in ps), p99=p99, daemon_cpu=dc,
                 main_thread_cpu=med(p["main_thread_cpu"] for p in ps),
                 wrk_cpu=med(p["wrk_cpu"] for p in ps), others=med(p["others_cpu"] for p in ps))
        verdict = ("meets" if p99 <= 5 else "MISSES") + " the target p99 <= 5 ms"
        log(f"   {phase:<9} wrk GET {path}: {rps:.0f} req/s "
            f"({spread([p['rps'] for p in ps], '{:.0f}')}), "
            f"p50 {p50:.2f} ms ({spread([p['p50'] for p in ps], '{:.2f}')}), "
            f"p99 {p99:.2f} ms ({spread([p['p99'] for p in ps], '{:.2f}')})"
            + (f" -> {verdict}" if phase == "status" else ""))
        # Little's law for a closed loop: mean latency = connections / throughput.
        log(f"             closed loop: {args.connections} connections / {rps:.0f} req/s = "
            f"{1000 * args.connections / rps:.2f} ms mean latency "
            f"(wrk's mean {med(p.get('mean') for p in ps):.2f} ms)")
        if phase == "nginx":
            o["peer_cpu"] = med(p["peer_cpu"] for p in ps)
            log(f"             nginx {o['peer_cpu']:.3f} CPU-s/s = "
                f"{1e6 * o['peer_cpu'] / rps:.1f} us per request; the daemon (streaming, no "
                f"API load) {dc:.3f}; wrk {o['wrk_cpu']:.3f}; the rest {o['others']:.2f}")
            continue
        log(f"             daemon {dc:.3f} CPU-s/s ({spread([p['daemon_cpu'] for p in ps])}), "
            f"its main (API) thread {o['main_thread_cpu']:.3f}; wrk itself "
            f"{o['wrk_cpu']:.3f}; the rest of the machine {o['others']:.2f}")
        per = per_request(phase)
        if per:
            api = med(a for a, _ in per)
            us = med(1e6 * a / q for a, q in per)
            o.update(api_cpu=api, us_per_request=us)
            log(f"             the API costs {api:.3f} CPU-s/s over the baseline = "
                f"{us:.1f} us of daemon CPU per request "
                f"({spread([1e6 * a / q for a, q in per], '{:.1f}')})")
    # ceremonyd against the peer, per round (same daemon streaming, same minute), then medians.
    for phase in ("status", "whoami"):
        pairs = [(r["phases"][phase], r["phases"]["nginx"]) for r in results
                 if not r["phases"].get(phase, {}).get("why") and
                 not r["phases"].get("nginx", {}).get("why") and
                 r["phases"].get(phase, {}).get("rps") and r["phases"].get("nginx", {}).get("rps")]
        if not pairs:
            continue
        rr = [a["rps"] / b["rps"] for a, b in pairs]
        r99 = [a["p99"] / b["p99"] for a, b in pairs]
        r50 = [a["p50"] / b["p50"] for a, b in pairs]
        out.setdefault(phase, {}).update(rps_vs_nginx=med(rr), p99_vs_nginx=med(r99),
                                         p50_vs_nginx=med(r50))
        log(f"   {phase:<9} ÷ nginx: throughput {med(rr):.2f}× ({spread(rr, '{:.2f}')}), "
            f"p50 {med(r50):.2f}× ({spread(r50, '{:.2f}')}), "
            f"p99 {med(r99):.2f}× ({spread(r99, '{:.2f}')})")
    if sse:
        dc = med(p["daemon_cpu"] for p in sse)
        out["sse"] = {"daemon_cpu": dc,
                      "status_rate_median": med(p["status_rate_median"] for p in sse),
                      "status_rate_min": min(p["status_rate_min"] for p in sse),
                      "status_max_gap": max(p["status_max_gap"] for p in sse)}
        extra = (f"; per round minus the baseline: {out['sse_over_baseline']:+.3f} (median)"
                 if "sse_over_baseline" in out else "")
        log(f"   sse       {args.clients} clients: daemon {dc:.3f} CPU-s/s "
            f"({spread([p['daemon_cpu'] for p in sse])}){extra}; status msgs/s per client "
            f"median {med(p['status_rate_median'] for p in sse):.2f}, lowest "
            f"{min(p['status_rate_min'] for p in sse):.2f}, longest gap "
            f"{max(p['status_max_gap'] for p in sse):.2f} s")
    log("   programme (video timestamps nginx recorded, per phase window):")
    for ph in PHASES:
        ps = ok(ph)
        if not ps:
            continue
        fr = [p.get("frames", {}) for p in ps]
        log(f"   {ph:<9} frames {sum(f.get('frames') or 0 for f in fr)}/"
            f"{sum(f.get('expected') or 0 for f in fr)} expected, gaps > 2 intervals "
            f"{sum(f.get('long_gaps') or 0 for f in fr)}, largest gap "
            f"{max((f.get('max_gap_ms') or 0) for f in fr)} ms, speed "
            f"{med(p.get('speed') for p in ps):.3f}x real time")
    return out


# ---------------------------------------------------------------- main


def main():
    if "--sse-client" in sys.argv[1:]:
        return sse_client_main(sys.argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=HERE.parents[1] / "build")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, one daemon each (3)")
    ap.add_argument("--seconds", type=int, default=30, help="seconds per phase (30)")
    ap.add_argument("--warmup", type=int, default=10, help="seconds after publish (10)")
    ap.add_argument("--gap", type=float, default=3, help="pause between phases (3 s)")
    ap.add_argument("--connections", type=int, default=100, help="wrk connections (100)")
    ap.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (2)")
    ap.add_argument("--clients", type=int, default=200, help="SSE clients (200)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir and recordings")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    ap.add_argument("--perf", type=Path, metavar="DIR",
                    help="in round 1, record a flat perf profile (cpu-clock) of the daemon "
                    "during each wrk phase into DIR/<phase>.perf.data")
    args = ap.parse_args()
    args.build = args.build.resolve()
    if args.perf:
        args.perf = args.perf.resolve()
        args.perf.mkdir(parents=True, exist_ok=True)
    if not (1 <= args.rounds <= 20 and 5 <= args.seconds <= 600 and 0 <= args.warmup <= 120
            and 1 <= args.connections <= 2000 and 1 <= args.clients <= 2000):
        ap.error("--rounds 1..20, --seconds 5..600, --warmup 0..120, --connections and "
                 "--clients 1..2000")
    missing = [str(t) for t in (mb.NGINX, mb.RTMP_MODULE, args.build / "ceremonyd")
               if not Path(t).exists()]
    missing += [t for t in ("wrk", "ffprobe") if not shutil.which(t)]
    if missing:
        print("api bench: missing " + ", ".join(missing) +
              " (deps/install.sh installs wrk and the rest)", file=sys.stderr)
        return 1

    def on_signal(signum, frame):
        mb.stop_all()
        sys.exit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    work = Path(tempfile.mkdtemp(prefix="ceremonyd-api-bench-"))
    failed = False
    try:
        nginx = mb.Nginx(work)
        peer = StaticNginx(work)
        log(f"   {os.cpu_count()} CPUs; {args.rounds} round(s): {args.warmup} s warm-up, then "
            f"baseline / wrk -t{args.wrk_threads} -c{args.connections} on /api/status and "
            f"/api/whoami and on nginx's static copy / {args.clients} SSE clients, {args.seconds} s each (order rotating); work dir {work}")
        results = []
        for r in range(1, args.rounds + 1):
            shift = (r - 1) % len(PHASES)
            order = list(PHASES[shift:] + PHASES[:shift])
            try:
                res = one_round(args, nginx, peer, work, r, order)
            except Exception as e:  # a round that cannot run is reported, the rest go on
                log(f"   round {r} FAILED: {e}")
                failed = True
                continue
            results.append(res)
            log(f"   round {r} (order {' → '.join(order)}; /api/status is "
                f"{res['status_bytes']} bytes, live={res['status_live']}, "
                f"{res['recorded_frames']} frames recorded)")
            for ph in order:
                log("      " + fmt_phase(ph, res["phases"][ph]))
        mb.stop(nginx.proc)
        mb.stop(peer.proc)
        if not results:
            failed = True
        else:
            out = summary(args, results)
            if args.json:
                args.json.write_text(json.dumps({"args": {k: str(v) for k, v in
                                                          vars(args).items()},
                                                 "rounds": results, "medians": out},
                                                indent=2, default=str))
    except Exception as e:
        print(f"api bench: {e}", file=sys.stderr)
        failed = True
    finally:
        mb.stop_all()
        if args.keep or failed:
            log(f"   kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
