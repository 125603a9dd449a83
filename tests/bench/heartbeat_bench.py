#!/usr/bin/env python3
"""Heartbeats at national scale: 10,000 points pushing a heartbeat every 5 s (2,000 POSTs/s
on the API) to the real daemon while it streams its programme, side by side with nginx.

    tests/bench/heartbeat_bench.py --build BUILD_DIR [--points 10000] [--mix heartbeat,national]
        [--rounds 2] [--seconds 15] [--json OUT]

ceremonyd runs api_bench.py's ceremony (a 720p30 programme of test sources, x264 veryfast,
`--rehearsal=1`) pushed to a loopback nginx-rtmp that records it, with `[health] interval =
"5s"`, `jitter = "3750ms"` and `points_csv` = a national points CSV written by
tests/tools/national_points.py (34 provinces, points on 127.64.0.0/10):

  heartbeat  every point a heartbeat point (its own token file): 2,000 POSTs/s, the API load
  national   the national mix as written (half http, a quarter tcp, a quarter heartbeat) with
             a fifth of the probed points hanging (--hang-share 0.2): 7,500 probes and 500
             heartbeats a second; the probed points' endpoints are served by point_simulator
             processes for the whole run (at most 4,000 endpoints each)

The heartbeats are sent by tests/tools/point_simulator (one sender per point, each every
5 s, their first POSTs spread over the 5 s, a new connection per POST as a commune's router
would), which records every POST's response time (connect to last byte) and its errors
(not 2xx within 2 s); its `stats` command gives count, errors, p50/p95/p99/max.

Phases of --seconds each, ceremonyd then nginx, --rounds times:
  ceremonyd  a fresh simulator sends the heartbeats to the daemon; after one period of
             warm-up, a window: the simulator's latency stats, the daemon's CPU-s/s
             (/proc/<pid>/stat, process tree), the programme's frames in the window
  nginx      the same senders (another simulator process) POST to a plain nginx on loopback
             (one worker, `return 204` for the same path), while the same daemon streams
             (its heartbeats pause: a phase is shorter than the 30 s heartbeat timeout, so
             no point goes down); the daemon's CPU here is its streaming baseline
The programme: the video timestamps nginx-rtmp recorded, per window, must be continuous at
30 fps (api_bench.py's check: no gap over 2 frame intervals, the count as expected).
At the end of the daemon's phases: /api/points' counts (heartbeat: all up; national: every
hanging point down, every other up). Medians over rounds, ratios to nginx. Standard library
only; the nginx-rtmp, process and /proc helpers are media_bench.py's, the ceremony and the
frame check api_bench.py's.
"""

import argparse
import csv
import io
import json
import os
import secrets
import shutil
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
import media_bench as mb  # noqa: E402
import api_bench as ab  # noqa: E402

PERIOD_MS = 5000
SHARD = 4000


def log(*a):
    print(*a, flush=True)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, unit="", digits=1):
    return "n/a" if x is None else f"{x:.{digits}f}{unit}"


def readline_within(p, timeout):
    out = []
    t = threading.Thread(target=lambda: out.append(p.stdout.readline()), daemon=True)
    t.start()
    t.join(timeout)
    return out[0].strip() if out else ""


def command(p, line, timeout=20):
    p.stdin.write(line + "\n")
    p.stdin.flush()
    return readline_within(p, timeout)


def parse_stats(line):
    """'ok count N errors E p50 X p95 X p99 X max X' -> dict."""
    words = line.split()
    if not words or words[0] != "ok":
        raise RuntimeError(f"point_simulator stats: {line!r}")
    return {k: float(v) for k, v in zip(words[1::2], words[2::2])}


# ---------------------------------------------------------------- the points


def write_points(args, work, mix, api):
    """national_points.py's files in work/mix; for `heartbeat`, every point made a heartbeat
    point. Returns (csv path, endpoint spec lines, heartbeat spec lines (id, url, token),
    hanging ids, probed ids)."""
    out = work / f"points-{mix}"
    subprocess.run([sys.executable, str(HERE.parent / "tools" / "national_points.py"), str(out),
                    "--points", str(args.points), "--api", api, "--hang-share",
                    "0.2" if mix == "national" else "0"], check=True, stdout=subprocess.DEVNULL)
    spec = (out / "simulator.spec").read_text().splitlines()
    endpoints = [line for line in spec if line.startswith("endpoint ")]
    hanging = {line.split()[1] for line in endpoints if line.split()[3] == "hang"}
    beats = []
    for line in spec:
        if line.startswith("heartbeat "):
            w = line.split()
            beats.append((w[1], w[2], w[5]))
    if mix == "heartbeat":
        rows = list(csv.reader(io.StringIO((out / "points.csv").read_text())))
        head, body = rows[0], rows[1:]
        ix = {k: head.index(k) for k in ("id", "probe_kind", "url_or_host", "token_file")}
        beats, endpoints = [], []
        for r in body:
            pid = r[ix["id"]]
            if r[ix["probe_kind"]] != "heartbeat":
                token = secrets.token_hex(16)
                fd = os.open(out / "tokens" / pid, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(token + "\n")
                r[ix["probe_kind"]], r[ix["url_or_host"]] = "heartbeat", ""
                r[ix["token_file"]] = f"tokens/{pid}"
            else:
                token = (out / "tokens" / pid).read_text().strip()
            beats.append((pid, f"http://{api}/api/points/{pid}/heartbeat", token))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([head] + body)
        fd = os.open(out / "points.csv", os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(buf.getvalue())
    probed = {line.split()[1] for line in endpoints}
    return out / "points.csv", endpoints, beats, hanging, probed


def start_simulator(args, work, name, lines):
    spec = work / f"{name}.spec"
    fd = os.open(spec, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    p = subprocess.Popen([str(args.build / "point_simulator"), "--spec", str(spec)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=open(work / f"{name}.err", "w"), text=True, bufsize=1,
                         start_new_session=True, preexec_fn=mb._child_setup)
    mb._started.append(p)  # killed by mb.stop_all() on the way out
    line = readline_within(p, 60)
    if not line.startswith("ready"):
        mb.stop(p)
        raise RuntimeError(f"point_simulator {name}: {line!r}")
    return p


def sender_lines(beats, url_of):
    n = len(beats)
    return [f"heartbeat {pid} {url_of(pid, url)} {PERIOD_MS} 0 {token} "
            f"{1 + PERIOD_MS * i // n}" for i, (pid, url, token) in enumerate(beats)]


class Nginx204:
    """The peer: a plain nginx (one worker, no access log) answering every POST with 204."""

    def __init__(self, work):
        self.dir = work / "nginx-204"
        (self.dir / "tmp").mkdir(parents=True)
        self.port = mb.free_port()
        d = str(self.dir)
        (self.dir / "nginx.conf").write_text(f"""daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}/tmp;
  proxy_temp_path {d}/tmp;
  fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp;
  scgi_temp_path {d}/tmp;
  server {{
    listen 127.0.0.1:{self.port};
    location / {{ return 204; }}
  }}
}}
""")
        self.proc = mb.start([mb.NGINX, "-p", d + "/", "-c", d + "/nginx.conf", "-e",
                              d + "/error.log"], self.dir / "nginx.out", cwd=d)
        if not mb.wait_until(lambda: mb.accepts(self.port) or self.proc.poll() is not None, 10) \
                or self.proc.poll() is not None:
            raise RuntimeError("nginx (204) did not start:\n" + mb.tail(self.dir / "error.log"))


# ---------------------------------------------------------------- one run


def points_counts(port, token):
    try:
        st, body = ab.http_get(port, "/api/points?filter=not-up", token, timeout=20)
    except OSError as e:  # a timeout is a finding, not the end of the run
        return {"error": f"GET /api/points: {e}"}, []
    if st != 200:
        return None, []
    j = json.loads(body)
    return j.get("counts"), [p.get("id") for p in j.get("points", [])]


def one_mix(args, rtmp, peer, work, mix):
    run_dir = work / f"run-{mix}"
    run_dir.mkdir()
    api_port = mb.free_port()
    api = f"127.0.0.1:{api_port}"
    csv_path, endpoints, beats, hanging, probed = write_points(args, run_dir, mix, api)
    stream = f"hb_{mix}"
    item = len(args.order) * args.rounds * (args.seconds + 30) + 180
    cfg = run_dir / "hb.toml"
    cfg.write_text(ab.CONFIG.format(item=item).replace(
        "max_connections_per_address = 2000", "max_connections_per_address = 4000") +
        f'\n[health]\ninterval = "5s"\njitter = "3750ms"\npoints_csv = "{csv_path}"\n')
    viewer, operator = run_dir / "viewer-token", run_dir / "operator-token"
    for t in (viewer, operator):
        fd = os.open(t, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(16) + "\n")
    token = viewer.read_text().strip()
    # Endpoints of the probed points, for the whole run.
    sims = [start_simulator(args, run_dir, f"endpoints-{k}", endpoints[k:k + SHARD])
            for k in range(0, len(endpoints), SHARD)]
    argv = [str(args.build / "ceremonyd"), "--config", str(cfg), "--rehearsal=1",
            "--rtmp", rtmp.url(stream), "--listen", api,
            "--viewer-token-file", str(viewer), "--operator-token-file", str(operator),
            "--state-dir", str(run_dir / "state")]
    daemon_log = run_dir / "ceremonyd.log"
    d = mb.start(argv, daemon_log, cwd=run_dir)
    result = {"mix": mix, "points": args.points, "heartbeat_points": len(beats),
              "probed_points": len(probed), "hanging": len(hanging), "phases": []}
    try:
        if not mb.wait_until(lambda: (rtmp.published(stream) and mb.accepts(api_port))
                             or d.poll() is not None, 60):
            raise RuntimeError("ceremonyd did not publish / listen within 60 s:\n" +
                               mb.tail(daemon_log))
        if d.poll() is not None:
            raise RuntimeError(f"ceremonyd exited with {d.returncode}:\n" + mb.tail(daemon_log))
        progress = mb.FlvProgress(rtmp.recording(stream))
        win = ab.Window(d.pid, progress)
        for r in range(args.rounds):
            # Never two nginx phases in a row: the points' heartbeats would pause for longer
            # than their 30 s timeout (found on a run: 5,000 points down, the uplink alarm).
            order = args.order
            for phase in order:
                if d.poll() is not None:
                    raise RuntimeError(f"ceremonyd exited with {d.returncode}:\n" +
                                       mb.tail(daemon_log))
                if phase == "ceremonyd":
                    lines = sender_lines(beats, lambda pid, url: url)
                else:
                    lines = sender_lines(
                        beats, lambda pid, url: f"http://127.0.0.1:{peer.port}"
                        f"/api/points/{pid}/heartbeat")
                sim = start_simulator(args, run_dir, f"senders-{phase}-{r}", lines)
                try:
                    time.sleep(PERIOD_MS / 1000 + 1)  # every sender has posted once
                    command(sim, "stats-reset")
                    peer_cpu0 = mb.cpu_seconds(peer.proc.pid)
                    sim_cpu0 = mb.cpu_seconds(sim.pid)
                    win.begin()
                    time.sleep(args.seconds)
                    res = win.end()
                    stats = parse_stats(command(sim, "stats"))
                    res["sim_cpu"] = (mb.cpu_seconds(sim.pid) - sim_cpu0) / res["wall"]
                    if phase == "nginx":
                        res["peer_cpu"] = (mb.cpu_seconds(peer.proc.pid) - peer_cpu0) / res["wall"]
                finally:
                    mb.stop(sim)
                res.update(phase=phase, round=r + 1, stats=stats,
                           rps=stats["count"] / res["wall"])
                if phase == "ceremonyd":
                    res["counts"], res["not_up"] = points_counts(api_port, token)
                    nu = set(res["not_up"])
                    known = "error" not in res["counts"]
                    res["false_not_up"] = len(nu - hanging) if known else None
                    res["hanging_not_down"] = len(hanging - nu) if known else None
                result["phases"].append(res)
                log(f"  {mix} round {r + 1} {phase:9s}: {res['rps']:.0f} POST/s, p50 "
                    f"{stats['p50']:.1f} p95 {stats['p95']:.1f} p99 {stats['p99']:.1f} max "
                    f"{stats['max']:.1f} ms, errors {stats['errors']:.0f}; daemon "
                    f"{res['daemon_cpu']:.3f} CPU-s/s (main thread {res['main_thread_cpu']:.3f})"
                    f", simulator {res['sim_cpu']:.3f}" +
                    (f", nginx {res['peer_cpu']:.3f}" if "peer_cpu" in res else "") +
                    f", machine {res['machine_cpu']:.2f}, stream speed "
                    f"{fmt(res.get('speed'), 'x', 3)}" +
                    (f"; points {res['counts']}, not up but should be {res['false_not_up']},"
                     f" hanging not down {res['hanging_not_down']}" if phase == "ceremonyd"
                     else ""))
                res.pop("not_up", None)
    finally:
        mb.stop(d)
        for s in sims:
            mb.stop(s)
    mb.wait_until(lambda: rtmp.ended(stream), 10)
    ts = ab.video_timestamps(rtmp.recording(stream), run_dir)
    result["recorded_frames"] = len(ts)
    for res in result["phases"]:
        if "ts0" in res:
            res["frames"] = ab.frame_check(ts, res["ts0"], res["ts1"])
    if not args.keep:
        try:
            rtmp.recording(stream).unlink()
        except OSError:
            pass
    return result


def summarise(result):
    ph = result["phases"]
    c = [p for p in ph if p["phase"] == "ceremonyd"]
    n = [p for p in ph if p["phase"] == "nginx"]
    s = {"mix": result["mix"], "points": result["points"],
         "heartbeat_points": result["heartbeat_points"], "hanging": result["hanging"]}
    for name, rows in (("ceremonyd", c), ("nginx", n)):
        s[name] = {k: med([p["stats"][k] for p in rows]) for k in ("p50", "p95", "p99", "max")}
        s[name].update(
            rps=med([p["rps"] for p in rows]), errors=sum(p["stats"]["errors"] for p in rows),
            daemon_cpu=med([p["daemon_cpu"] for p in rows]),
            main_thread_cpu=med([p["main_thread_cpu"] for p in rows]),
            machine_cpu=med([p["machine_cpu"] for p in rows]),
            sim_cpu=med([p["sim_cpu"] for p in rows]),
            long_gaps=sum((p.get("frames") or {}).get("long_gaps") or 0 for p in rows),
            frames=sum((p.get("frames") or {}).get("frames") or 0 for p in rows),
            expected=sum((p.get("frames") or {}).get("expected") or 0 for p in rows),
            max_gap_ms=max([(p.get("frames") or {}).get("max_gap_ms") or 0 for p in rows] or [0]),
            speed=med([p.get("speed") for p in rows]))
    s["nginx"]["peer_cpu"] = med([p.get("peer_cpu") for p in n])
    s["ceremonyd"]["false_not_up"] = max([p["false_not_up"] for p in c
                                          if p["false_not_up"] is not None] or [None])
    s["ceremonyd"]["hanging_not_down"] = max([p["hanging_not_down"] for p in c
                                              if p["hanging_not_down"] is not None] or [None])
    s["ceremonyd"]["counts_last"] = c[-1]["counts"] if c else None
    cd, ng = s["ceremonyd"], s["nginx"]
    if cd["daemon_cpu"] is not None and ng["daemon_cpu"] is not None and cd["rps"]:
        # The heartbeats' cost: the daemon's CPU with them minus while nginx took them.
        s["heartbeat_cpu_us"] = (cd["daemon_cpu"] - ng["daemon_cpu"]) / cd["rps"] * 1e6
    if ng["peer_cpu"] and ng["rps"]:
        s["nginx_cpu_us"] = ng["peer_cpu"] / ng["rps"] * 1e6
    for k in ("p50", "p95", "p99"):
        if cd[k] and ng[k]:
            s[f"{k}_vs_nginx"] = cd[k] / ng[k]
    log(f"\n{s['mix']}: {s['points']} points, {s['heartbeat_points']} pushing heartbeats every "
        f"5 s ({s['hanging']} probed points hanging), medians over rounds:")
    for name in ("ceremonyd", "nginx"):
        x = s[name]
        log(f"  {name:9s}: {fmt(x['rps'], '', 0)} POST/s, p50 {fmt(x['p50'], ' ms', 2)}, "
            f"p95 {fmt(x['p95'], ' ms', 2)}, p99 {fmt(x['p99'], ' ms', 2)}, max "
            f"{fmt(x['max'], ' ms', 1)}, errors {x['errors']:.0f}; daemon "
            f"{fmt(x['daemon_cpu'], ' CPU-s/s', 3)}, machine {fmt(x['machine_cpu'], '', 2)}; "
            f"programme: {x['frames']}/{x['expected']} frames, gaps > 2 frames "
            f"{x['long_gaps']}, largest {x['max_gap_ms']} ms, speed {fmt(x['speed'], 'x', 3)}")
    log(f"  heartbeat cost in the daemon {fmt(s.get('heartbeat_cpu_us'), ' µs', 0)} CPU per POST "
        f"(nginx {fmt(s.get('nginx_cpu_us'), ' µs', 0)}); p99 ÷ nginx "
        f"{fmt(s.get('p99_vs_nginx'), 'x', 2)}, p50 ÷ nginx {fmt(s.get('p50_vs_nginx'), 'x', 2)};"
        f" points at the end {cd['counts_last']}, healthy not up {cd['false_not_up']}, "
        f"hanging not down {cd['hanging_not_down']}")
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, type=Path)
    ap.add_argument("--points", type=int, default=10000)
    ap.add_argument("--mix", default="heartbeat,national")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=15, help="window per phase (< 25 s)")
    ap.add_argument("--keep", action="store_true", help="keep the recordings and files")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    args.build = args.build.resolve()
    args.order = ["ceremonyd", "nginx"]
    if args.seconds > 25:
        ap.error("--seconds must stay under 25: the heartbeats pause during nginx's phase and "
                 "the points' heartbeat timeout is 30 s")
    missing = [str(t) for t in (mb.NGINX, mb.RTMP_MODULE, args.build / "ceremonyd",
                                args.build / "point_simulator") if not Path(t).exists()]
    if missing:
        log("heartbeat bench: missing " + ", ".join(missing))
        return 1

    def on_signal(signum, frame):
        mb.stop_all()
        sys.exit(1)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = Path(tempfile.mkdtemp(prefix="ceremonyd-heartbeat-bench-"))
    os.chmod(work, 0o700)
    out = {"machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()}, "runs": []}
    status = 0
    try:
        rtmp = mb.Nginx(work)
        peer = Nginx204(work)
        for mix in args.mix.split(","):
            log(f"{mix}: {args.points} points, {args.rounds} rounds x {args.seconds:g} s per "
                f"phase; work dir {work}")
            res = one_mix(args, rtmp, peer, work, mix)
            res["summary"] = summarise(res)
            out["runs"].append(res)
            cd = res["summary"]["ceremonyd"]
            if cd["errors"] or cd["long_gaps"] or cd["false_not_up"] or cd["hanging_not_down"]:
                status = 1
    except Exception as e:
        log(f"heartbeat bench: {type(e).__name__}: {e} (files kept in {work})")
        status = 1
        args.keep = True
    finally:
        mb.stop_all()
    out["machine"]["load_after"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
