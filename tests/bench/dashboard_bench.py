#!/usr/bin/env python3
"""Dashboard benchmark (issue «National scale»): a point's change to its tile's colour, and
the browser's CPU, in headless Chromium, at 96 and 3,321 points.

    python3 tests/bench/dashboard_bench.py --build BUILD_DIR [--quick] [--sizes 96,3321]
        [--changes 20] [--window 30] [--feeds changes,full] [--rounds 1]
        [--dashboards NAME=DIR,NAME=DIR] [--json OUT]

For each size, tests/tools/national_points.py writes the points (3,321: the 34 provinces as
groups; 96: the same kinds of points with no group, one province's wall of tiles as today),
tests/tools/point_simulator serves them on 127.64.0.0/10 (heartbeats included), and one
ceremonyd watches them ([health] interval 2 s). Then, in turn, two ways of feeding the same
page in one Chromium (headless, driven over --remote-debugging-pipe):
  - changes: the live feed as it is, the whole list once, then "points-changed";
  - full:    the peer, /?points=full, the whole points list at every change (the feed as it
             was before "points-changed"; the page renders each list whole).
In each:
  1. latency: `--changes` times, a healthy http point is made to refuse (simulator `set ID
     refusing`); the page notes (MutationObserver) when its tile turns red, and the latency is
     that moment minus the point's `since` (when the daemon decided it was down, from
     /api/points/ID: same machine, same clock). The point is then made healthy again.
  2. CPU: for `--window` s, 1 % of the points (at least 2) flap (healthy 8 s, failing 8 s),
     and the renderer's CPU (utime+stime of the chromium processes with --type=renderer, from
     /proc) is read, as a share of one core; also the whole browser's, the bytes the stream
     carried (a separate SSE client in this script, same stream URL) and the daemon's CPU.
Medians and p95 over the changes; every process started here is killed at the end.

--dashboards before=DIR,after=DIR: the same daemon serves, in turn, the dashboard files of
each DIR (CEREMONYD_DASHBOARD_DIR, through a symbolic link switched between runs), so two
versions of the page are measured in the same minutes; with --rounds N each feed of each
dashboard is measured N times, interleaved, and the summary gives the medians of the rounds.
"""

import argparse
import csv
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent
TICK = os.sysconf("SC_CLK_TCK")
CHROMIUM = "/usr/bin/chromium"
CHILDREN = []


def log(*a):
    print(*a, flush=True)


def start(argv, **kw):
    p = subprocess.Popen(argv, start_new_session=True, **kw)
    CHILDREN.append(p)
    return p


def stop(p, grace=3.0):
    if p is None or p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        p.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(5)


def stop_all():
    for p in reversed(CHILDREN):
        stop(p)


def cpu_of(pid):
    """utime + stime, seconds, from /proc/PID/stat (None when gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def descendants(pid):
    """PIDs of the process and all its descendants, with their command lines."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError):
            continue
        out.append((p, cmd))
        todo.extend(children.get(p, []))
    return out


def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return None
    k = min(len(xs) - 1, max(0, round(q / 100 * (len(xs) - 1))))
    return xs[k]


def fmt(x, unit="", digits=0):
    return "n/a" if x is None else f"{x:.{digits}f}{unit}"


# ---- the points, the simulator, the daemon -----------------------------------------------


def make_points(work, n, api, flat):
    out = work / f"points-{n}"
    subprocess.run([sys.executable, str(SOURCE / "tests/tools/national_points.py"), str(out),
                    "--points", str(n), "--api", api], check=True, capture_output=True)
    rows = list(csv.reader(io.StringIO((out / "points.csv").read_text(encoding="utf-8"))))
    if flat:  # one province's wall of tiles, as today: no group
        for r in rows[1:]:
            r[3] = ""
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        (out / "points.csv").write_text(buf.getvalue(), encoding="utf-8")
    return out, rows[1:]


class Simulator:
    def __init__(self, build, spec, log_file):
        self.p = start([os.path.join(build, "point_simulator"), "--spec", str(spec)],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=open(log_file, "w"), text=True, bufsize=1)
        self.lock = threading.Lock()
        line = self._readline(60)
        if not line.startswith("ready"):
            raise RuntimeError(f"point_simulator did not start: {line!r}")

    def _readline(self, timeout):
        result = []
        t = threading.Thread(target=lambda: result.append(self.p.stdout.readline()), daemon=True)
        t.start()
        t.join(timeout)
        return result[0].strip() if result else ""

    def command(self, line):
        with self.lock:
            self.p.stdin.write(line + "\n")
            self.p.stdin.flush()
            answer = self._readline(10)
        if answer != "ok":
            raise RuntimeError(f"point_simulator: {line!r} -> {answer!r}")


CONFIG = """[event]
title = "Lễ phát động — đo bảng điều khiển"
date = "2025-07-28"
timezone = "+07:00"

[programme]
width = 320
height = 180
fps = 10
video_bitrate_kbps = 300

[sources.hall]
kind = "test"
pattern = "smpte"

[scenes.hall]
kind = "source"
source = "hall"

[[timeline]]
id = "khai-mac"
title = "Khai mạc"
start = "09:00"
duration = "20m"
scene = "hall"

# The simulator's 830 heartbeat senders all come from 127.0.0.1.
[api]
max_connections_per_address = 2000

[health]
interval = "2s"
jitter = "1s"
alert_hold = "0s"
degraded_latency = "5s"
points_csv = "points.csv"
"""


def get(port, path, timeout=15):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return json.loads(r.read())


# ---- Chromium over --remote-debugging-pipe ------------------------------------------------


class Chromium:
    def __init__(self, profile, log_file):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds():  # the browser reads fd 3 and writes fd 4
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.p = start([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-quic", "--no-first-run", "--no-default-browser-check",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--disable-extensions", "--disable-default-apps",
                        "--disable-dev-shm-usage", "--mute-audio", f"--user-data-dir={profile}",
                        "--remote-debugging-pipe", "--window-size=1600,1000", "about:blank"],
                       preexec_fn=fds, pass_fds=(3, 4),
                       stdout=open(log_file, "w"), stderr=subprocess.STDOUT)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.session = None
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": page["targetId"], "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1600, "height": 1000, "deviceScaleFactor": 1, "mobile": False})

    def call(self, method, params=None, timeout=20):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply.get("result", {})
            if time.monotonic() > deadline:
                raise RuntimeError(f"{method}: no answer in {timeout} s")
            import select
            r, _, _ = select.select([self._from_chrome], [], [], 0.5)
            if r:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed its pipe")
                self._buf += chunk

    def eval(self, expression):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"page: {r['exceptionDetails'].get('text')}")
        return r["result"].get("value")

    def wait(self, expression, timeout, every=0.05):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.eval(f"!!({expression})"):
                return True
            time.sleep(every)
        return False

    def renderers(self):
        return [p for p, cmd in descendants(self.p.pid) if "--type=renderer" in cmd]

    def all(self):
        return [p for p, _ in descendants(self.p.pid)]


# ---- an SSE client that counts what the stream carries -----------------------------------


class StreamCounter:
    def __init__(self, port, path):
        self.bytes = 0
        self.events = {}
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        self.counting = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        self.sock.settimeout(None)
        while True:
            try:
                data = self.sock.recv(1 << 20)
            except OSError:
                return
            if not data:
                return
            if self.counting:
                self.bytes += len(data)
                for line in data.split(b"\n"):
                    if line.startswith(b"event: "):
                        e = line[7:].decode()
                        self.events[e] = self.events.get(e, 0) + 1

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---- one size, one feed -------------------------------------------------------------------

OBSERVER = """
window.__red = {};
new MutationObserver(() => {
  for (const id of window.__watch || []) {
    if (window.__red[id]) continue;
    const t = document.querySelector('.tile.state-down[data-point="' + id + '"]');
    if (t) window.__red[id] = Date.now();
  }
}).observe(document.getElementById('tiles'),
  {subtree: true, childList: true, attributes: true, attributeFilter: ['class']});
true"""


def run_feed(args, chromium, port, sim, victims, flappers, mode, n, dashboard=""):
    if dashboard:
        link = args._dashboard_link
        if link.is_symlink():
            link.unlink()
        link.symlink_to(args._dashboards[dashboard])
    path = "/" if mode == "changes" else "/?points=full"
    chromium.call("Page.navigate", {"url": f"http://127.0.0.1:{port}{path}"}, timeout=90)
    if not chromium.wait(f"document.querySelector('[data-count=total]') && "
                         f"document.querySelector('[data-count=total]').textContent === '{n}'",
                         30):
        raise RuntimeError("the page did not show the points")
    time.sleep(2)
    chromium.eval(OBSERVER)
    lat = []
    for vid in victims:
        chromium.eval(f"window.__watch = [{json.dumps(vid)}]; true")
        sim.command(f"set {vid} refusing")
        since = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                p = get(port, f"/api/points/{vid}")
            except OSError:
                continue
            if p["state"] == "down":
                since = p["since"]
                break
            time.sleep(0.05)
        ok = since and chromium.wait(f"window.__red[{json.dumps(vid)}] > 0", 10, every=0.02)
        if ok:
            red = chromium.eval(f"window.__red[{json.dumps(vid)}]")
            since_ms = chromium.eval(f"Date.parse({json.dumps(since)})")
            lat.append(red - since_ms)
        else:
            log(f"     {vid}: never red in the page")
        sim.command(f"set {vid} healthy")
        time.sleep(0.3)
    # Let the victims come back before the CPU window.
    time.sleep(4)

    # CPU window with churn.
    stream = StreamCounter(port, "/api/stream" + ("?points=full" if mode == "full" else ""))
    time.sleep(1)
    for k, fid in enumerate(flappers):
        sim.command(f"set {fid} flapping 16000")
    time.sleep(3)
    renderers = chromium.renderers()
    everyone = chromium.all()
    r0 = {p: cpu_of(p) for p in renderers}
    a0 = {p: cpu_of(p) for p in everyone}
    d0 = cpu_of(args._daemon_pid)
    stream.counting = True
    t0 = time.monotonic()
    time.sleep(args.window)
    wall = time.monotonic() - t0
    stream.counting = False
    r1 = {p: cpu_of(p) for p in renderers}
    a1 = {p: cpu_of(p) for p in everyone}
    d1 = cpu_of(args._daemon_pid)
    for fid in flappers:
        sim.command(f"set {fid} healthy")
    stream.close()

    def share(c0, c1):
        return sum((c1[p] or 0) - (c0[p] or 0) for p in c0 if c0[p] is not None and c1.get(p) is not None) / wall * 100

    rend = {p: ((r1[p] or 0) - (r0[p] or 0)) / wall * 100 for p in renderers
            if r0[p] is not None and r1.get(p) is not None}
    result = {
        "points": n, "mode": mode, "dashboard": dashboard, "changes": len(lat),
        "latency_ms": lat,
        "latency_median_ms": statistics.median(lat) if lat else None,
        "latency_p95_ms": pct(lat, 95),
        "window_s": wall, "flapping": len(flappers),
        "renderer_cpu_pct": max(rend.values()) if rend else None,
        "renderers_cpu_pct": sum(rend.values()) if rend else None,
        "browser_cpu_pct": share(a0, a1),
        "daemon_cpu_pct": (d1 - d0) / wall * 100 if d0 is not None and d1 is not None else None,
        "stream_kib_s": stream.bytes / 1024 / wall,
        "stream_events": stream.events,
        "tiles": chromium.eval("document.querySelectorAll('#tiles .tile').length"),
    }
    log(f"   {dashboard + ' ' if dashboard else ''}{mode:8s} n={n:5d}: tile red after the daemon's change: median "
        f"{fmt(result['latency_median_ms'], ' ms')}, p95 {fmt(result['latency_p95_ms'], ' ms')} "
        f"({len(lat)} changes); CPU over {wall:.0f} s with {len(flappers)} points flapping: "
        f"renderer {fmt(result['renderer_cpu_pct'], ' %', 1)} of a core, browser "
        f"{fmt(result['browser_cpu_pct'], ' %', 1)}, daemon {fmt(result['daemon_cpu_pct'], ' %', 1)}; "
        f"stream {result['stream_kib_s']:.1f} KiB/s {result['stream_events']}; "
        f"{result['tiles']} tiles in the page")
    return result


def run_size(args, work, n):
    port = free_port()
    flat = n <= 96
    out, rows = make_points(work, n, f"127.0.0.1:{port}", flat)
    sim = Simulator(args.build, out / "simulator.spec", work / f"simulator-{n}.log")
    (out / "ceremony.toml").write_text(CONFIG, encoding="utf-8")
    env = dict(os.environ)
    if args._dashboards:
        args._dashboard_link = work / "dashboard"
        env["CEREMONYD_DASHBOARD_DIR"] = str(args._dashboard_link)
    daemon = start([os.path.join(args.build, "ceremonyd"), "--config", str(out / "ceremony.toml"),
                    "--rehearsal", "--listen", f"127.0.0.1:{port}", "--state-dir",
                    str(work / f"state-{n}")],
                   stdout=open(work / f"ceremonyd-{n}.log", "w"), stderr=subprocess.STDOUT,
                   env=env)
    args._daemon_pid = daemon.pid
    http = [r[0] for r in rows if r[6] == "http"]
    step = max(1, len(http) // (args.changes + 1))
    victims = http[step // 2::step][:args.changes]
    others = [r[0] for r in rows if r[6] in ("http", "tcp") and r[0] not in victims]
    k = max(2, round(n * 0.01))
    flappers = others[::max(1, len(others) // k)][:k]
    deadline = time.monotonic() + 60
    c = {}
    while True:
        if daemon.poll() is not None:
            raise RuntimeError(f"ceremonyd exited: see {work}/ceremonyd-{n}.log")
        try:
            c = get(port, "/api/points")["counts"]
            if c.get("up", 0) >= n:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            log(f"   n={n}: not all up after 60 s ({c}); going on")
            break
        time.sleep(0.5)
    results = []
    profile = work / f"chromium-{n}"
    chromium = Chromium(profile, work / f"chromium-{n}.log")
    try:
        for _ in range(args.rounds):
            for mode in args.feeds.split(","):
                for dashboard in args._dashboards or [""]:
                    results.append(run_feed(args, chromium, port, sim, victims, flappers, mode, n,
                                            dashboard))
    finally:
        stop(chromium.p)
        stop(daemon)
        stop(sim.p)
    return results


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--sizes", default="96,3321")
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--window", type=float, default=30)
    ap.add_argument("--feeds", default="changes,full")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--dashboards", default="",
                    help="NAME=DIR,…: the dashboard files of each DIR in turn (see above)")
    ap.add_argument("--quick", action="store_true", help="5 changes, 10 s windows")
    ap.add_argument("--json")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if args.quick:
        args.changes, args.window = 5, 10
    args.build = os.path.abspath(args.build)
    args._dashboards = {}
    for spec in filter(None, args.dashboards.split(",")):
        name, _, d = spec.partition("=")
        if not (Path(d) / "app.js").exists():
            ap.error(f"--dashboards: no app.js in {d}")
        args._dashboards[name] = os.path.abspath(d)
    if not Path(CHROMIUM).exists():
        log(f"   skipped: no {CHROMIUM}")
        return 0
    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(1)))
    work = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    results = []
    try:
        for n in [int(x) for x in args.sizes.split(",")]:
            results.extend(run_size(args, work, n))
    finally:
        stop_all()
        if not args.keep:
            subprocess.run(["rm", "-rf", str(work)])
        else:
            log(f"   kept {work}")
    log("\n   points  feed      tile red median / p95     renderer CPU   browser CPU   "
        "daemon CPU   stream")
    for r in results:
        log(f"   {r['points']:6d}  {(r['dashboard'] + ' ' + r['mode']).strip():8s}  "
            f"{fmt(r['latency_median_ms'], ' ms'):>8s} / "
            f"{fmt(r['latency_p95_ms'], ' ms'):>8s}      {fmt(r['renderer_cpu_pct'], ' %', 1):>8s}"
            f"      {fmt(r['browser_cpu_pct'], ' %', 1):>8s}    {fmt(r['daemon_cpu_pct'], ' %', 1):>8s}"
            f"   {r['stream_kib_s']:8.1f} KiB/s")
    if args.rounds > 1:
        log(f"\n   medians of {args.rounds} rounds (each round's median latency; CPU shares)")
        keys = []
        for r in results:
            if (r["points"], r["dashboard"], r["mode"]) not in keys:
                keys.append((r["points"], r["dashboard"], r["mode"]))
        for k in keys:
            rs = [r for r in results if (r["points"], r["dashboard"], r["mode"]) == k]

            def med(name):
                xs = [r[name] for r in rs if r[name] is not None]
                return statistics.median(xs) if xs else None
            log(f"   {k[0]:6d}  {(k[1] + ' ' + k[2]).strip():16s} tile red {fmt(med('latency_median_ms'), ' ms')} "
                f"(p95 {fmt(med('latency_p95_ms'), ' ms')}), renderer {fmt(med('renderer_cpu_pct'), ' %', 1)} "
                f"[{', '.join(fmt(r['renderer_cpu_pct'], '', 1) for r in rs)}], browser "
                f"{fmt(med('browser_cpu_pct'), ' %', 1)}, daemon {fmt(med('daemon_cpu_pct'), ' %', 1)}, "
                f"stream {fmt(med('stream_kib_s'), ' KiB/s', 1)}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
