#!/usr/bin/env python3
"""Health probing benchmark (issue 3): sweep cost, and ceremonyd vs blackbox_exporter.

    python3 tests/bench/health_bench.py --build BUILD_DIR [--quick] [--json OUT]
        [--sizes 96,1000] [--skip-sweeps] [--skip-side] [--skip-scale]

Part 1, sweeps: tests/tools/point_simulator serves N HTTP endpoints on 127.0.0.x, a
share 20/96 of them hanging (accept, never answer); probe_bench runs the daemon's
ProbeScheduler + CurlMulti once over all of them (every probe started at once) and reports
the round's wall time and the process CPU (getrusage) it took. N = 96, 1,000, 3,000 and
10,000 (above 1,000: 250 ports per address; at most 4,000 endpoints per simulator process,
so listeners plus held connections stay inside one process's descriptor limit).

Part 2, side by side: the same 96 targets (20 hanging), probed every 2 s with the same
timeout, by
  - prometheus-blackbox-exporter (its own config in a temp dir, http module), scraped by a
    small scraper in this script at the same rate and the same 500 ms spread as the
    daemon's jitter; the scraper's CPU is not counted, blackbox's is read from
    /proc/<pid>/stat;
  - probe_bench --continuous (ProbeScheduler + CurlMulti + HealthMonitor with default
    hysteresis), its CPU read from /proc/<pid>/stat the same way.
Rounds alternate which tool goes first. In each phase: a warm-up, a CPU window, then a
healthy point is killed (simulator "set ID refusing", then another one "set ID hang") and
the detection time is measured from the kill:
  - blackbox: the first probe_success 0 returned after the kill;
  - ceremonyd: the first failed probe of that point, and HealthMonitor's change to "down"
    (3 failures of the last 4, the default).
Medians over rounds, and ratios. Every process started here is killed at the end.

Part 3, continuous at national sizes (--scale-sizes, default 96, 1,000, 3,321, 10,000; or
--sizes for every part): the national mix without heartbeats (two thirds http, one third
tcp), a fifth of all points hanging (http ones: a tcp connect to a listener that never
answers succeeds), every 5 s, jitter 3,750 ms (3/4 of the interval: the most ProbeScheduler
spreads a round over, so the probes start evenly, 2,000/s at 10,000), timeout 1,500 ms.
Per size, in turn (order alternating by size), on the same simulators:
  - ceremonyd: probe_bench --continuous (targets marked "hang", so it counts any failed
    probe of a healthy point as a false failure); waits until every healthy point is "up"
    and every hanging one "down" (or 6 intervals + 10 s), then a window: CPU from
    /proc/<pid>/stat, probes delivered, RSS (VmRSS) at its start and end. Reports the false
    failures (failed probes of healthy points over the whole run) and false downs (a healthy
    point ever decided down or degraded), and when each hanging point was decided down,
    from the start, against the promise: jitter + 2 intervals + timeout (its third failure).
  - blackbox_exporter: http and tcp modules, the same timeout, scraped at the same rate and
    spread by this script in --scraper mode (one process per 2,500 targets, at most 2; one
    keep-alive connection per target, as Prometheus keeps); a warm-up of one interval, then
    the same window. Its probes = scrapes answered + scrapes that failed (timed out); false
    failures = probe_success 0 for a healthy target. The scrapers' CPU is reported apart:
    not counted, but on 2 cores it competes with both.
"""

import argparse
import asyncio
import json
import os
import queue
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")
CHILDREN = []  # every Popen started here, killed (with its process group) at exit


def log(*args):
    print(*args, flush=True)


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


def proc_cpu(pid):
    """utime + stime of a process (all its threads), seconds, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_cpu_fine(pid):
    """Run time of every thread of the process, seconds, from schedstat (ns)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass
    except FileNotFoundError:
        return None
    return total / 1e9


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, unit="", digits=1):
    if x is None:
        return "n/a"
    return f"{x:.{digits}f}{unit}"


# ---- the point simulator ----------------------------------------------------------------


class Simulators:
    """N endpoints spread over point_simulator processes (at most `shard` each, so that
    listeners plus held connections stay inside one process's descriptor limit)."""

    def __init__(self, build, workdir, endpoints, shard=4000):
        self.owner = {}  # id -> Popen
        self.procs = []
        self.lock = threading.Lock()
        program = os.path.join(build, "point_simulator")
        for k in range(0, len(endpoints), shard):
            part = endpoints[k:k + shard]
            spec = os.path.join(workdir, f"points-{k // shard}.spec")
            with open(spec, "w") as f:
                for pid, addr, behaviour in part:
                    f.write(f"endpoint {pid} {addr} {behaviour}\n")
            p = start([program, "--spec", spec], stdin=subprocess.PIPE,
                      stdout=subprocess.PIPE, stderr=open(spec + ".err", "w"), text=True,
                      bufsize=1)
            self.procs.append(p)
            for pid, _, _ in part:
                self.owner[pid] = p
        for p in self.procs:
            line = self._readline(p, 60)
            if not line.startswith("ready"):
                raise RuntimeError(f"point_simulator did not start: {line!r}")
            if line.split()[1:] != [str(sum(1 for q in self.owner.values() if q is p))]:
                raise RuntimeError(f"point_simulator: {line!r}: some endpoints do not listen")

    @staticmethod
    def _readline(p, timeout):
        result = []
        t = threading.Thread(target=lambda: result.append(p.stdout.readline()), daemon=True)
        t.start()
        t.join(timeout)
        return result[0].strip() if result else ""

    def command(self, pid, line):
        p = self.owner[pid]
        with self.lock:
            p.stdin.write(line + "\n")
            p.stdin.flush()
            answer = self._readline(p, 10)
        if answer != "ok":
            raise RuntimeError(f"point_simulator: {line!r} -> {answer!r}")

    def close(self):
        for p in self.procs:
            stop(p)


def layout(n, port_base, per_address=1):
    """(id, address:port) for n points: one 127.0.x.y address each, or, with
    per_address > 1, that many ports per address (10,000 points on 40 addresses)."""
    out = []
    for i in range(n):
        a, k = (i, 0) if per_address == 1 else divmod(i, per_address)
        addr = f"127.{0 if per_address == 1 else 1}.{a // 250}.{2 + a % 250}"
        out.append((f"p{i:05d}", f"{addr}:{port_base + k}"))
    return out


def hanging_set(n, share=20 / 96):
    h = round(n * share)
    return {int(k * n / h) for k in range(h)}


# ---- part 1: sweeps ---------------------------------------------------------------------


def run_sweeps(args, workdir):
    results = []
    for n, sweeps in args.sizes:
        per_address = 1 if n <= 1000 else 250
        port = random.randrange(20000, 30000 - per_address)
        points = layout(n, port, per_address)
        hang = hanging_set(n)
        endpoints = [(pid, at, "hang" if i in hang else "healthy")
                     for i, (pid, at) in enumerate(points)]
        sim = Simulators(args.build, workdir, endpoints)
        try:
            targets = os.path.join(workdir, f"targets-{n}.txt")
            with open(targets, "w") as f:
                for pid, at in points:
                    f.write(f"{pid} http://{at}/\n")
            cmd = [os.path.join(args.build, "probe_bench"), "--targets", targets,
                   "--timeout", str(args.timeout), "--sweeps", str(sweeps),
                   "--limit", str(args.timeout * 10)]
            limit = sweeps * (args.timeout / 1000 * 10 + 5) + 60
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
                stdout, code = out.stdout, out.returncode
            except subprocess.TimeoutExpired as e:
                stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
                code = None
            rows = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
        finally:
            sim.close()
        done = [r for r in rows if r["ev"] == "sweep"]
        for r in done:
            log(f"  n={n:5d} sweep {r['sweep']}: wall {r['wall_ms']:8.1f} ms, "
                f"cpu {r['cpu_ms']:8.1f} ms ({r['cpu_per_probe_us']:6.1f} µs/probe), "
                f"failed {r['failed']}/{r['started']}, rss {r['max_rss_kb'] // 1024} MiB")
        unfinished = None
        if code is None:
            unfinished = {"sweep": len(done) + 1, "answered": None,
                          "note": f"probe_bench killed after {limit:.0f} s (stuck in one call)"}
        for r in rows:
            if r["ev"] == "unfinished":
                unfinished = r
        if unfinished:
            log(f"  n={n:5d} sweep {unfinished['sweep']}: NOT FINISHED: "
                + unfinished.get("note", f"{unfinished['answered']} of {n} answered "
                                 f"({unfinished['failed']} failed) after "
                                 f"{unfinished['elapsed_ms']:.0f} ms, cpu "
                                 f"{unfinished['cpu_ms']:.0f} ms"))
        if not done:
            results.append({"points": n, "hanging": len(hang), "timeout_ms": args.timeout,
                            "unfinished": unfinished})
            continue
        rows = done
        measured = rows[1:] if len(rows) > 1 else rows  # the first sweep warms up
        summary = {
            "points": n, "hanging": len(hang), "timeout_ms": args.timeout,
            "sweeps": len(measured),
            "wall_ms": median([r["wall_ms"] for r in measured]),
            "wall_over_timeout": median([r["wall_ms"] for r in measured]) / args.timeout,
            "cpu_ms": median([r["cpu_ms"] for r in measured]),
            "cpu_per_probe_us": median([r["cpu_per_probe_us"] for r in measured]),
            "failed": [r["failed"] for r in measured],
            "expected_failed": len(hang),
            "max_rss_mib": rows[-1]["max_rss_kb"] / 1024,
            "raw": rows,
            "unfinished": unfinished,
        }
        ok = all(f == len(hang) for f in summary["failed"])
        log(f"n={n}: median wall {summary['wall_ms']:.1f} ms = "
            f"{summary['wall_over_timeout']:.3f} x timeout (target <= 1.1), "
            f"cpu {summary['cpu_ms']:.1f} ms/sweep, {summary['cpu_per_probe_us']:.1f} µs/probe"
            + ("" if ok else f"  !! failed counts {summary['failed']} != {len(hang)}"))
        results.append(summary)
    return results


# ---- part 2: side by side ---------------------------------------------------------------


class Scraper:
    """What Prometheus does to blackbox_exporter: GET /probe?target=… for each target every
    interval, targets spread over `jitter` like the daemon's probes. Runs its own asyncio
    loop in a thread; records (time done, success) per target."""

    def __init__(self, port, targets, interval, jitter, timeout_s):
        self.port, self.targets = port, targets
        self.interval, self.jitter, self.timeout_s = interval, jitter, timeout_s
        self.lock = threading.Lock()
        self.seen = {pid: [] for pid, _ in targets}  # pid -> [(t_done, success)]
        self.done = 0
        self.errors = 0
        self.skipped = 0
        self._stop = None
        self.loop = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()

    def close(self):
        if self.loop and self._stop:
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(10)

    def count(self):
        with self.lock:
            return self.done

    def results(self, pid):
        with self.lock:
            return list(self.seen[pid])

    def _run(self):
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self._main())
        self.loop.close()

    async def _main(self):
        self._stop = asyncio.Event()
        t0 = time.monotonic() + 0.1
        n = len(self.targets)
        tasks = [asyncio.ensure_future(self._target(pid, url, t0 + self.jitter * i / n))
                 for i, (pid, url) in enumerate(self.targets)]
        await self._stop.wait()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _target(self, pid, url, first):
        due = first
        while True:
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            success = await self._scrape(url)
            with self.lock:
                if success is None:
                    self.errors += 1
                else:
                    self.done += 1
                    self.seen[pid].append((time.time(), success))
            due += self.interval
            while due < time.monotonic():  # the previous scrape overran: skip, as Prometheus
                due += self.interval
                with self.lock:
                    self.skipped += 1

    async def _scrape(self, url):
        request = (f"GET /probe?module=http_bench&target={url} HTTP/1.0\r\n"
                   f"Host: 127.0.0.1:{self.port}\r\n"
                   f"X-Prometheus-Scrape-Timeout-Seconds: {self.interval:g}\r\n\r\n").encode()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.port), self.timeout_s)
            try:
                writer.write(request)
                body = await asyncio.wait_for(reader.read(), self.timeout_s)
            finally:
                writer.close()
        except (OSError, asyncio.TimeoutError):
            return None
        m = re.search(rb"^probe_success (\S+)", body, re.M)
        return None if not m else float(m.group(1)) == 1.0


class Blackbox:
    name = "blackbox_exporter"

    def __init__(self, args, workdir, targets):
        self.port = free_port()
        config = os.path.join(workdir, "blackbox.yml")
        with open(config, "w") as f:
            f.write("modules:\n"
                    "  http_bench:\n"
                    "    prober: http\n"
                    f"    timeout: {args.probe_timeout}ms\n"
                    "    http:\n"
                    "      valid_status_codes: [200]\n"
                    "      preferred_ip_protocol: ip4\n"
                    "      ip_protocol_fallback: false\n")
        self.proc = start([args.blackbox, f"--config.file={config}",
                           f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                          stdout=subprocess.DEVNULL,
                          stderr=open(os.path.join(workdir, "blackbox.log"), "a"))
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("blackbox_exporter did not start (see blackbox.log)")
                time.sleep(0.05)
        self.scraper = Scraper(self.port, targets, args.interval / 1000, 0.5,
                               args.probe_timeout / 1000 + 1.5)
        self.scraper.start()

    @property
    def pid(self):
        return self.proc.pid

    def probes(self):
        return self.scraper.count()

    def last_ok(self, pid):
        r = self.scraper.results(pid)
        return bool(r) and r[-1][1]

    def wait_ready(self, healthy, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(self.last_ok(p) for p in healthy):
                return True
            time.sleep(0.1)
        return False

    def detection(self, pid, since, timeout):
        """{'first_failure': s} after `since`, or {} on timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for t, ok in self.scraper.results(pid):
                if t > since and not ok:
                    return {"first_failure": t - since}
            time.sleep(0.05)
        return {}

    def wait_recovered(self, pid, since, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(t > since and ok for t, ok in self.scraper.results(pid)):
                return True
            time.sleep(0.1)
        return False

    def extra(self):
        return {"scrape_errors": self.scraper.errors, "scrapes_skipped": self.scraper.skipped}

    def close(self):
        self.scraper.close()
        stop(self.proc)


class Ceremonyd:
    name = "ceremonyd"

    def __init__(self, args, workdir, targets):
        path = os.path.join(workdir, "targets-side.txt")
        with open(path, "w") as f:
            for pid, url in targets:
                f.write(f"{pid} {url}\n")
        self.proc = start([os.path.join(args.build, "probe_bench"), "--targets", path,
                           "--timeout", str(args.probe_timeout), "--interval",
                           str(args.interval), "--jitter", "500", "--continuous",
                           "--duration", "600"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=open(os.path.join(workdir, "probe_bench.log"), "a"),
                          text=True, bufsize=1)
        self.lock = threading.Lock()
        self.events = []
        self.stats = queue.Queue()
        self.rounds = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @property
    def pid(self):
        return self.proc.pid

    def _read(self):
        for line in self.proc.stdout:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e["ev"] == "stats":
                self.stats.put(e)
            elif e["ev"] == "round":
                self.rounds.append(e)
            else:
                with self.lock:
                    self.events.append(e)

    def _stats(self):
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        return self.stats.get(timeout=10)

    def probes(self):
        return self._stats()["probes"]

    def own_cpu(self):
        return self._stats()["cpu_us"] / 1e6

    def _state(self, pid):
        with self.lock:
            states = [e for e in self.events if e["ev"] == "state" and e["point"] == pid]
        return states[-1]["to"] if states else "unknown"

    def wait_ready(self, healthy, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(self._state(p) == "up" for p in healthy):
                return True
            time.sleep(0.1)
        return False

    def detection(self, pid, since, timeout):
        deadline = time.time() + timeout
        found = {}
        while time.time() < deadline:
            with self.lock:
                events = [e for e in self.events if e.get("point") == pid and
                          e["t"] / 1000 > since]
            for e in events:
                if e["ev"] == "fail" and "first_failure" not in found:
                    found["first_failure"] = e["t"] / 1000 - since
                if e["ev"] == "state" and e["to"] == "down" and "down" not in found:
                    found["down"] = e["t"] / 1000 - since
            if "down" in found:
                return found
            time.sleep(0.05)
        return found

    def wait_recovered(self, pid, since, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if any(e["ev"] == "state" and e["point"] == pid and e["to"] == "up" and
                       e["t"] / 1000 > since for e in self.events):
                    return True
            time.sleep(0.1)
        return False

    def extra(self):
        skipped = sum(r["skipped"] for r in self.rounds)
        walls = [r["wall_ms"] for r in self.rounds]
        return {"rounds": len(self.rounds), "skipped_busy": skipped,
                "round_wall_ms_median": median(walls)}

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
        stop(self.proc)


def phase(tool_cls, args, workdir, sim, targets, healthy, victims):
    tool = tool_cls(args, workdir, targets)
    out = {"tool": tool.name}
    try:
        if not tool.wait_ready(healthy, 30):
            raise RuntimeError(f"{tool.name}: the healthy points never all showed up")
        time.sleep(args.interval / 1000)  # one more round in the steady state
        c0, f0, p0, t0 = proc_cpu(tool.pid), proc_cpu_fine(tool.pid), tool.probes(), time.time()
        own0 = tool.own_cpu() if hasattr(tool, "own_cpu") else None
        time.sleep(args.window)
        c1, f1, p1, t1 = proc_cpu(tool.pid), proc_cpu_fine(tool.pid), tool.probes(), time.time()
        own1 = tool.own_cpu() if hasattr(tool, "own_cpu") else None
        probes = p1 - p0
        out.update({
            "window_s": t1 - t0, "probes": probes, "cpu_s": c1 - c0,
            "cpu_per_probe_us": (c1 - c0) / probes * 1e6 if probes else None,
            "cpu_fine_per_probe_us": (f1 - f0) / probes * 1e6 if probes and f0 else None,
            "cpu_percent": (c1 - c0) / (t1 - t0) * 100,
        })
        if own0 is not None:
            out["cpu_rusage_per_probe_us"] = (own1 - own0) / probes * 1e6 if probes else None
        for how, victim in zip(("refusing", "hang"), victims):
            sim.command(victim, f"set {victim} {how}")
            killed = time.time()
            d = tool.detection(victim, killed, 30)
            sim.command(victim, f"set {victim} healthy")
            restored = time.time()
            recovered = tool.wait_recovered(victim, restored, 30)
            out[how] = d
            if not recovered:
                raise RuntimeError(f"{tool.name}: {victim} did not come back")
            time.sleep(args.interval / 1000)
        out.update(tool.extra())
    finally:
        tool.close()
    return out


def run_side_by_side(args, workdir):
    n = 96
    port = random.randrange(20000, 30000)
    points = layout(n, port)
    hang = hanging_set(n)
    endpoints = [(pid, at, "hang" if i in hang else "healthy") for i, (pid, at) in enumerate(points)]
    targets = [(pid, f"http://{at}/") for pid, at in points]
    healthy = [pid for i, (pid, _) in enumerate(points) if i not in hang]
    sim = Simulators(args.build, workdir, endpoints)
    rows = []
    try:
        for r in range(args.rounds):
            order = [Blackbox, Ceremonyd] if r % 2 == 0 else [Ceremonyd, Blackbox]
            # Two victims per round, the same for both tools, different every round.
            victims = [healthy[(7 * r + 3) % len(healthy)], healthy[(7 * r + 40) % len(healthy)]]
            for cls in order:
                row = phase(cls, args, workdir, sim, targets, healthy, victims)
                row["round"] = r + 1
                rows.append(row)
                log(f"  round {r + 1} {row['tool']:17s}: {row['probes']} probes in "
                    f"{row['window_s']:.1f} s, cpu {row['cpu_s']:.2f} s "
                    f"({row['cpu_percent']:.2f} %), {fmt(row['cpu_per_probe_us'])} µs/probe "
                    f"(schedstat {fmt(row['cpu_fine_per_probe_us'])}); "
                    f"refusing {detail(row['refusing'])}; hang {detail(row['hang'])}")
    finally:
        sim.close()
    return summarise_side(rows, args)


def detail(d):
    parts = [f"first failure {d['first_failure']:.2f} s" if "first_failure" in d else
             "no failure seen"]
    if "down" in d:
        parts.append(f"down {d['down']:.2f} s")
    return ", ".join(parts)


def summarise_side(rows, args):
    def of(tool, key, sub=None):
        vals = []
        for r in rows:
            if r["tool"] != tool:
                continue
            v = r.get(key)
            if sub is not None:
                v = (v or {}).get(sub)
            vals.append(v)
        return vals

    s = {"interval_ms": args.interval, "timeout_ms": args.probe_timeout,
         "window_s": args.window, "rounds": args.rounds}
    for tool in ("blackbox_exporter", "ceremonyd"):
        t = {
            "cpu_per_probe_us": median(of(tool, "cpu_per_probe_us")),
            "cpu_fine_per_probe_us": median(of(tool, "cpu_fine_per_probe_us")),
            "cpu_percent": median(of(tool, "cpu_percent")),
            "probes_per_window": median(of(tool, "probes")),
        }
        total_cpu = sum(of(tool, "cpu_s"))
        total_probes = sum(of(tool, "probes"))
        t["cpu_per_probe_us_pooled"] = total_cpu / total_probes * 1e6 if total_probes else None
        for how in ("refusing", "hang"):
            t[f"{how}_first_failure_s"] = median(of(tool, how, "first_failure"))
            t[f"{how}_down_s"] = median(of(tool, how, "down"))
        if tool == "ceremonyd":
            t["cpu_rusage_per_probe_us"] = median(of(tool, "cpu_rusage_per_probe_us"))
        s[tool] = t
    # Per-round ratios (blackbox / ceremonyd), then their median.
    ratios = []
    for r in range(1, args.rounds + 1):
        b = [x for x in rows if x["round"] == r and x["tool"] == "blackbox_exporter"]
        c = [x for x in rows if x["round"] == r and x["tool"] == "ceremonyd"]
        if b and c and b[0]["cpu_per_probe_us"] and c[0]["cpu_per_probe_us"]:
            ratios.append(b[0]["cpu_per_probe_us"] / c[0]["cpu_per_probe_us"])
    s["cpu_ratio_blackbox_over_ceremonyd"] = median(ratios)
    s["cpu_ratios"] = ratios
    s["raw"] = rows
    b, c = s["blackbox_exporter"], s["ceremonyd"]
    log("")
    log(f"side by side, 96 targets (20 hanging), every {args.interval} ms, timeout "
        f"{args.probe_timeout} ms, {args.rounds} rounds x {args.window:g} s, medians:")
    log(f"  CPU per probe: blackbox_exporter {fmt(b['cpu_per_probe_us'])} µs "
        f"({fmt(b['cpu_percent'], ' %', 2)} of a core), ceremonyd {fmt(c['cpu_per_probe_us'])} µs "
        f"({fmt(c['cpu_percent'], ' %', 2)}; getrusage {fmt(c['cpu_rusage_per_probe_us'])} µs); "
        f"blackbox/ceremonyd = {fmt(s['cpu_ratio_blackbox_over_ceremonyd'], ' x', 2)} "
        f"(per round {', '.join(f'{x:.1f}' for x in ratios)})")
    for how in ("refusing", "hang"):
        log(f"  point dies ({how}): blackbox first probe_success 0 after "
            f"{fmt(b[how + '_first_failure_s'], ' s', 2)}; ceremonyd first failed probe "
            f"{fmt(c[how + '_first_failure_s'], ' s', 2)}, 'down' after "
            f"{fmt(c[how + '_down_s'], ' s', 2)}")
    return s


# ---- part 3: continuous, at national sizes --------------------------------------------


def status_kb(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return None


def national_targets(n, port):
    """n points, as the national mix without heartbeats: two thirds http, one third tcp;
    a fifth of all points hang (accept, never answer), picked evenly among the http ones
    (a tcp connect to a listener that never answers still succeeds)."""
    per_address = 1 if n <= 1000 else 250
    points = layout(n, port, per_address)
    kinds = ["tcp" if i % 3 == 2 else "http" for i in range(n)]
    http = [i for i in range(n) if kinds[i] == "http"]
    h = round(n * 0.2)
    hang = {http[int(k * len(http) / h)] for k in range(h)}
    out = []
    for i, (pid, at) in enumerate(points):
        url = f"tcp://{at}" if kinds[i] == "tcp" else f"http://{at}/"
        out.append((pid, at, url, i in hang))
    return out


def scraper_main(argv):
    """--scraper PORT FILE INTERVAL_S JITTER_S TIMEOUT_S: Prometheus' part for blackbox at
    national sizes. FILE: "ID MODULE URL hang|healthy" lines. One keep-alive connection per
    target (as Prometheus keeps one per target), each target scraped every INTERVAL_S,
    offsets spread over JITTER_S. Commands on stdin: "stats" prints a JSON line; "quit"."""
    port, path = int(argv[0]), argv[1]
    interval, jitter, timeout_s = float(argv[2]), float(argv[3]), float(argv[4])
    targets = []
    with open(path) as f:
        for line in f:
            pid, module, url, expect = line.split()
            targets.append((pid, module, url, expect == "hang"))
    st = {"done": 0, "errors": 0, "skipped": 0, "false_failures": 0, "hang_ok": 0,
          "hang_first_fail": {}}
    t_start = time.time()

    async def one(pid, module, url, hang, first):
        reader = writer = None
        req = (f"GET /probe?module={module}&target={url} HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{port}\r\n"
               f"X-Prometheus-Scrape-Timeout-Seconds: {interval:g}\r\n\r\n").encode()
        due = first
        while True:
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            success = None
            for attempt in (0, 1):
                try:
                    if writer is None:
                        reader, writer = await asyncio.wait_for(
                            asyncio.open_connection("127.0.0.1", port), timeout_s)
                    writer.write(req)
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout_s)
                    m = re.search(rb"content-length: *(\d+)", head, re.I)
                    if m:
                        body = await asyncio.wait_for(reader.readexactly(int(m.group(1))),
                                                      timeout_s)
                    else:  # chunked
                        body = b""
                        while True:
                            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                            body += await reader.readexactly(size + 2)
                            if size == 0:
                                break
                    m = re.search(rb"^probe_success (\S+)", body, re.M)
                    success = None if not m else float(m.group(1)) == 1.0
                    break
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                        ValueError):
                    if writer is not None:
                        writer.close()
                    reader = writer = None
            if success is None:
                st["errors"] += 1
            else:
                st["done"] += 1
                if not success and not hang:
                    st["false_failures"] += 1
                if hang and success:
                    st["hang_ok"] += 1
                if hang and not success and pid not in st["hang_first_fail"]:
                    st["hang_first_fail"][pid] = time.time() - t_start
            due += interval
            while due < time.monotonic():
                due += interval
                st["skipped"] += 1

    async def main():
        loop = asyncio.get_running_loop()
        t0 = time.monotonic() + 0.2
        n = len(targets)
        tasks = [asyncio.ensure_future(one(pid, m, u, h, t0 + jitter * i / n))
                 for i, (pid, m, u, h) in enumerate(targets)]
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or line.strip() == "quit":
                break
            if line.strip() == "stats":
                out = dict(st)
                hf = out.pop("hang_first_fail")
                out["hang_failed"] = len(hf)
                out["hang_first_fail_max_s"] = max(hf.values()) if hf else None
                out["cpu_s"] = sum(os.times()[:2])
                print(json.dumps(out), flush=True)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main())
    return 0


class BlackboxAtScale:
    name = "blackbox_exporter"

    def __init__(self, args, workdir, targets):
        self.port = free_port()
        config = os.path.join(workdir, "blackbox-scale.yml")
        with open(config, "w") as f:
            f.write("modules:\n"
                    "  http_bench:\n"
                    "    prober: http\n"
                    f"    timeout: {args.probe_timeout}ms\n"
                    "    http:\n"
                    "      valid_status_codes: [200]\n"
                    "      preferred_ip_protocol: ip4\n"
                    "      ip_protocol_fallback: false\n"
                    "  tcp_bench:\n"
                    "    prober: tcp\n"
                    f"    timeout: {args.probe_timeout}ms\n"
                    "    tcp:\n"
                    "      preferred_ip_protocol: ip4\n"
                    "      ip_protocol_fallback: false\n")
        self.proc = start([args.blackbox, f"--config.file={config}",
                           f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                          stdout=subprocess.DEVNULL,
                          stderr=open(os.path.join(workdir, "blackbox.log"), "a"))
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("blackbox_exporter did not start (see blackbox.log)")
                time.sleep(0.05)
        # Scraper processes: one per 2,500 targets (at most 2: the machine has 2 cores).
        k = min(2, max(1, (len(targets) + 2499) // 2500))
        self.scrapers = []
        interval, jitter = args.scale_interval / 1000, args.scale_jitter / 1000
        for j in range(k):
            part = targets[j::k]
            path = os.path.join(workdir, f"scrape-{len(targets)}-{j}.txt")
            with open(path, "w") as f:
                for pid, _, url, hang in part:
                    module = "tcp_bench" if url.startswith("tcp://") else "http_bench"
                    target = url[len("tcp://"):] if module == "tcp_bench" else url
                    f.write(f"{pid} {module} {target} {'hang' if hang else 'healthy'}\n")
            # Each process's targets keep their place in the common spread.
            self.scrapers.append(start(
                [sys.executable, os.path.abspath(__file__), "--scraper", str(self.port), path,
                 str(interval), str(jitter), str(args.probe_timeout / 1000 + 2)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1))
        self.t0 = time.time()

    @property
    def pid(self):
        return self.proc.pid

    def stats(self):
        out = {}
        for p in self.scrapers:
            p.stdin.write("stats\n")
            p.stdin.flush()
            line = Simulators._readline(p, 20)
            if not line:
                raise RuntimeError("a blackbox scraper did not answer")
            for key, v in json.loads(line).items():
                if key == "hang_first_fail_max_s":
                    out[key] = max(x for x in (out.get(key), v) if x is not None) \
                        if (out.get(key) is not None or v is not None) else None
                else:
                    out[key] = out.get(key, 0) + v
        return out

    def close(self):
        for p in self.scrapers:
            try:
                p.stdin.write("quit\n")
                p.stdin.flush()
                p.wait(10)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
            stop(p)
        stop(self.proc)


class ProbeBenchAtScale:
    name = "ceremonyd"

    def __init__(self, args, workdir, targets):
        path = os.path.join(workdir, f"targets-scale-{len(targets)}.txt")
        with open(path, "w") as f:
            for pid, _, url, hang in targets:
                f.write(f"{pid} {url} {'hang' if hang else 'healthy'}\n")
        self.hang = {pid for pid, _, _, h in targets if h}
        self.healthy = {pid for pid, _, _, h in targets if not h}
        self.proc = start([os.path.join(args.build, "probe_bench"), "--targets", path,
                           "--timeout", str(args.probe_timeout), "--interval",
                           str(args.scale_interval), "--jitter", str(args.scale_jitter),
                           "--continuous", "--duration", "900"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=open(os.path.join(workdir, "probe_bench.log"), "a"),
                          text=True, bufsize=1)
        self.lock = threading.Lock()
        self.state = {}          # pid -> last state
        self.down_at = {}        # hanging pid -> first "down", s after start
        self.false_downs = set()  # healthy pids ever decided down or degraded
        self.false_down_reasons = {}  # their reasons (HealthMonitor's), counted
        self.started = None
        self.stats_q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def pid(self):
        return self.proc.pid

    def _read(self):
        for line in self.proc.stdout:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            ev = e["ev"]
            if ev == "stats":
                self.stats_q.put(e)
            elif ev == "started":
                self.started = e["t"] / 1000
            elif ev == "state":
                with self.lock:
                    self.state[e["point"]] = e["to"]
                    if e["to"] in ("down", "degraded"):
                        if e["point"] in self.hang:
                            if e["to"] == "down" and e["point"] not in self.down_at:
                                self.down_at[e["point"]] = e["t"] / 1000 - (self.started or 0)
                        else:
                            self.false_downs.add(e["point"])
                            why = re.sub(r"\d+", "N", f"{e['to']}: {e.get('reason', '')}")
                            self.false_down_reasons[why] = self.false_down_reasons.get(why, 0) + 1

    def stats(self):
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        return self.stats_q.get(timeout=30)

    def settled(self):
        with self.lock:
            return (all(self.state.get(p) == "up" for p in self.healthy),
                    len(self.down_at) == len(self.hang))

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
        stop(self.proc)


def window(tool, args, count):
    """CPU (/proc/<pid>/stat), probes and RSS over args.scale_window seconds."""
    c0, r0, t0, s0 = proc_cpu(tool.pid), status_kb(tool.pid), time.time(), count()
    time.sleep(args.scale_window)
    c1, r1, t1, s1 = proc_cpu(tool.pid), status_kb(tool.pid), time.time(), count()
    probes = s1["probes"] - s0["probes"]
    return {"window_s": t1 - t0, "probes": probes, "probes_per_s": probes / (t1 - t0),
            "cpu_s": c1 - c0, "cpu_percent": (c1 - c0) / (t1 - t0) * 100,
            "cpu_per_probe_us": (c1 - c0) / probes * 1e6 if probes else None,
            "rss_start_mib": r0 / 1024 if r0 else None, "rss_end_mib": r1 / 1024 if r1 else None,
            "s0": s0, "s1": s1}


def scale_ceremonyd(args, workdir, targets):
    tool = ProbeBenchAtScale(args, workdir, targets)
    iv = args.scale_interval / 1000
    # The promise for a point that hangs from the start: its first probe within the jitter,
    # the k-th failure k-1 intervals later, plus the timeout (k = 3, the default).
    promise = args.scale_jitter / 1000 + 2 * iv + args.probe_timeout / 1000
    try:
        # Up needs 3 good answers in a row: 3 rounds; give it 3 more.
        deadline = time.time() + 6 * iv + 10
        while time.time() < deadline and tool.started is None:
            time.sleep(0.1)
        while time.time() < deadline and not all(tool.settled()):
            if tool.proc.poll() is not None:
                raise RuntimeError("probe_bench exited")
            time.sleep(0.2)
        up, down = tool.settled()
        w = window(tool, args, lambda: tool.stats())
        s1 = w.pop("s1")
        w.pop("s0")
        with tool.lock:
            downs = sorted(tool.down_at.values())
            not_up = sum(1 for p in tool.healthy if tool.state.get(p) != "up")
            false_downs = len(tool.false_downs)
            false_down_reasons = dict(sorted(tool.false_down_reasons.items(),
                                             key=lambda kv: -kv[1])[:5])
        w.update({
            "all_healthy_up": up, "healthy_not_up_at_end": not_up,
            "false_failures": s1["false_failures"], "false_downs": false_downs,
            "false_down_reasons": false_down_reasons,
            "hanging": len(tool.hang), "hanging_down": len(downs),
            "hang_down_max_s": downs[-1] if downs else None,
            "hang_down_median_s": median(downs),
            "promise_s": promise,
            "hang_all_down_in_time": len(downs) == len(tool.hang) and
            (not downs or downs[-1] <= promise),
            "rounds": s1["rounds"], "skipped_busy": s1["skipped"],
        })
    finally:
        tool.close()
    return w


def scale_blackbox(args, workdir, targets):
    tool = BlackboxAtScale(args, workdir, targets)
    iv = args.scale_interval / 1000
    try:
        time.sleep(iv + args.scale_jitter / 1000)  # every target scraped once, connections up
        def count():
            st = tool.stats()
            st["probes"] = st["done"] + st["errors"]  # a scrape that timed out cost work too
            return st

        w = window(tool, args, count)
        s0, s1 = w.pop("s0"), w.pop("s1")
        w.update({
            "answered": s1["done"] - s0["done"], "scrape_errors": s1["errors"] - s0["errors"],
            "skipped": s1["skipped"] - s0["skipped"],
            "false_failures": s1["false_failures"], "hang_ok": s1["hang_ok"],
            "hang_failed": s1["hang_failed"], "hanging": sum(1 for t in targets if t[3]),
            "hang_first_fail_max_s": s1["hang_first_fail_max_s"],
            # The scrapers' own CPU (not counted, but it competes for the same 2 cores).
            "scraper_cpu_percent": (s1["cpu_s"] - s0["cpu_s"]) / w["window_s"] * 100,
        })
    finally:
        tool.close()
    return w


def run_scale(args, workdir):
    rows = []
    for idx, n in enumerate(args.scale_sizes):
        port = random.randrange(20000, 30000 - 250)
        targets = national_targets(n, port)
        sim = Simulators(args.build, workdir,
                         [(pid, at, "hang" if h else "healthy") for pid, at, _, h in targets])
        row = {"points": n, "hanging": sum(1 for t in targets if t[3]),
               "tcp": sum(1 for t in targets if t[2].startswith("tcp://"))}
        try:
            order = ["ceremonyd", "blackbox"] if idx % 2 == 0 else ["blackbox", "ceremonyd"]
            for which in order:
                if which == "blackbox" and not args.blackbox:
                    continue
                sim_cpu0 = sum(proc_cpu(p.pid) for p in sim.procs)
                t0 = time.time()
                load0 = os.getloadavg()[0]
                r = (scale_ceremonyd if which == "ceremonyd" else scale_blackbox)(
                    args, workdir, targets)
                r["simulator_cpu_percent"] = (sum(proc_cpu(p.pid) for p in sim.procs) -
                                              sim_cpu0) / (time.time() - t0) * 100
                r["load"] = [load0, os.getloadavg()[0]]
                row[which] = r
                log(f"  n={n:5d} {which:9s}: {fmt(r['probes_per_s'], '/s', 0)} probes, "
                    f"{fmt(r['cpu_per_probe_us'])} µs/probe, {fmt(r['cpu_percent'], ' %')} of a "
                    f"core, RSS {fmt(r['rss_start_mib'])} -> {fmt(r['rss_end_mib'])} MiB, false "
                    f"failures {r['false_failures']}"
                    + (f", false downs {r['false_downs']} {r['false_down_reasons'] or ''}, hanging down "
                       f"{r['hanging_down']}/{r['hanging']} by {fmt(r['hang_down_max_s'], ' s')} "
                       f"(promise {r['promise_s']:.2f} s), healthy not up "
                       f"{r['healthy_not_up_at_end']}, skipped busy {r['skipped_busy']}"
                       if which == "ceremonyd" else
                       f", scrape errors {r['scrape_errors']}, skipped {r['skipped']}, "
                       f"hanging seen failing {r['hang_failed']}/{r['hanging']}, scrapers "
                       f"{fmt(r['scraper_cpu_percent'], ' %')} of a core")
                    + f"; load {r['load'][0]:.1f}->{r['load'][1]:.1f}")
        finally:
            sim.close()
        c, b = row.get("ceremonyd"), row.get("blackbox")
        if c and b and c["cpu_per_probe_us"] and b["cpu_per_probe_us"]:
            row["blackbox_over_ceremonyd"] = b["cpu_per_probe_us"] / c["cpu_per_probe_us"]
        rows.append(row)
    base = rows[0].get("ceremonyd", {}).get("cpu_per_probe_us") if rows else None
    log("")
    log(f"continuous, every {args.scale_interval} ms, jitter {args.scale_jitter} ms, timeout "
        f"{args.probe_timeout} ms, window {args.scale_window:g} s:")
    log("  points | ceremonyd µs/probe | % core | RSS MiB | false fail/down | hanging down "
        "by (promise) | blackbox µs/probe | % core | probes/s | false fail | bb/cd")
    for row in rows:
        c, b = row.get("ceremonyd", {}), row.get("blackbox", {})
        flat = (c.get("cpu_per_probe_us") / base) if base and c.get("cpu_per_probe_us") else None
        log(f"  {row['points']:6d} | {fmt(c.get('cpu_per_probe_us'))} ({fmt(flat, 'x', 2)} of "
            f"96's) | {fmt(c.get('cpu_percent'))} | {fmt(c.get('rss_start_mib'))}->"
            f"{fmt(c.get('rss_end_mib'))} | {c.get('false_failures')}/{c.get('false_downs')} | "
            f"{c.get('hanging_down')}/{c.get('hanging')} by {fmt(c.get('hang_down_max_s'), ' s')}"
            f" ({fmt(c.get('promise_s'), ' s', 2)}) | {fmt(b.get('cpu_per_probe_us'))} | "
            f"{fmt(b.get('cpu_percent'))} | {fmt(b.get('probes_per_s'), '', 0)} | "
            f"{b.get('false_failures')} | {fmt(row.get('blackbox_over_ceremonyd'), 'x', 2)}")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="build directory with probe_bench")
    ap.add_argument("--quick", action="store_true", help="fewer sweeps and rounds")
    ap.add_argument("--rounds", type=int, default=5, help="side-by-side rounds")
    ap.add_argument("--window", type=float, default=20, help="CPU window per phase, s")
    ap.add_argument("--timeout", type=int, default=1500, help="sweep probe timeout, ms")
    ap.add_argument("--probe-timeout", type=int, default=1500,
                    help="side-by-side probe timeout, ms")
    ap.add_argument("--interval", type=int, default=2000, help="side-by-side interval, ms")
    ap.add_argument("--skip-sweeps", action="store_true")
    ap.add_argument("--sizes", dest="sizes_only",
                    help="only these sizes, e.g. 96,1000 (the sweeps and the continuous part)")
    ap.add_argument("--skip-side", action="store_true")
    ap.add_argument("--json", help="write every figure here")
    ap.add_argument("--scale-sizes", default="96,1000,3321,10000",
                    help="continuous part: sizes (e.g. 96,1000); empty to skip")
    ap.add_argument("--scale-interval", type=int, default=5000, help="continuous interval, ms")
    ap.add_argument("--scale-jitter", type=int, default=3750,
                    help="continuous jitter, ms (default: 3/4 of the interval, the most "
                         "ProbeScheduler spreads a round over)")
    ap.add_argument("--scale-window", type=float, default=20, help="continuous CPU window, s")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--skip-blackbox", action="store_true",
                    help="continuous part: ceremonyd alone (a quicker look at its own cost)")
    if len(sys.argv) > 1 and sys.argv[1] == "--scraper":
        return scraper_main(sys.argv[2:])
    args = ap.parse_args()
    args.scale_sizes = [int(x) for x in args.scale_sizes.split(",") if x.strip()]
    args.build = os.path.abspath(args.build)
    args.sizes = [(96, 6), (1000, 6), (3000, 4), (10000, 2)]
    if args.quick:
        args.sizes = [(96, 3), (1000, 3), (10000, 2)]
        args.rounds, args.window = 2, 10
    if args.sizes_only:
        args.sizes = [(int(n), 2) for n in args.sizes_only.split(",")]
        args.scale_sizes = [int(n) for n in args.sizes_only.split(",")]
    for prog in ("probe_bench", "point_simulator"):
        if not os.access(os.path.join(args.build, prog), os.X_OK):
            log(f"health bench: {args.build}/{prog} missing: build the {prog} target")
            return 1
    args.blackbox = None if args.skip_blackbox else shutil.which("prometheus-blackbox-exporter")

    # Our own children inherit this; the tools raise their own soft limit as well.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    results = {"machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()}}
    workdir = tempfile.mkdtemp(prefix="health-bench-")
    status = 0
    try:
        if not args.skip_sweeps:
            log(f"sweeps: one round over N points (20/96 hanging), probe timeout "
                f"{args.timeout} ms, every probe started at once")
            results["sweeps"] = run_sweeps(args, workdir)
            for s in results["sweeps"]:
                failed = s.get("failed", [])
                if s.get("unfinished") or any(f != s["expected_failed"] for f in failed):
                    status = 1
        if not args.skip_scale and args.scale_sizes:
            if not args.blackbox:
                log("health bench: prometheus-blackbox-exporter not installed: the continuous "
                    "part runs ceremonyd alone")
            log("")
            log(f"continuous at national sizes: {args.scale_sizes} points (a fifth hanging, a "
                f"third tcp), ceremonyd (probe_bench) and blackbox_exporter in turn")
            results["scale"] = run_scale(args, workdir)
            for row in results["scale"]:
                c = row.get("ceremonyd", {})
                if c.get("false_failures") or c.get("false_downs") or \
                        not c.get("hang_all_down_in_time"):
                    status = 1
        if not args.skip_side:
            if not args.blackbox:
                log("health bench: prometheus-blackbox-exporter not installed "
                    "(apt-get install prometheus-blackbox-exporter): side-by-side skipped")
                status = 1
            else:
                log("")
                log("side by side: blackbox_exporter vs ceremonyd (probe_bench --continuous)")
                results["side_by_side"] = run_side_by_side(args, workdir)
    except Exception as e:  # report, clean up, fail
        log(f"health bench: {type(e).__name__}: {e} (files kept in {workdir})")
        status = 1
    finally:
        stop_all()
    results["machine"]["load_after"] = os.getloadavg()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if status == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
