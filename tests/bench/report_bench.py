#!/usr/bin/env python3
"""Results report: how long the whole report takes to build from a journal (issue 15).

Two journals, written here in the daemon's record format (daemon/report/README.md):
  province  96 points over a 4-hour ceremony: 12 items with a hold, an extension and a
            jump, each point dropping 5 times, an RTMP output reconnecting 3 times, an
            `alive` record every 30 s;
  national  3,321 points flapping for 10 hours, as the daemon's PointThrottle journals them
            (7 changes each, then one summary per point per 10 minutes): the bound the
            journal's README states.
Contenders, each timed from a cold process to the files on disk, medians of --rounds:
  ceremonyd  `ceremonyctl report --journal J --report-dir D` (the HTML, three CSVs, the JSON
             figures: what the daemon serves on GET /api/report);
  python     the floor a technical team would script: read every line with json.loads and
             write one CSV row per point with its summed down time (Python's csv module).
"""
import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

OFFSET = 7 * 3600


def iso(t):
    lt = time.gmtime(t + OFFSET)
    ms = int(round((t - int(t)) * 1000))
    return time.strftime("%Y-%m-%dT%H:%M:%S", lt) + ".%03d+07:00" % ms


def start_record(t, points, items, title):
    return {
        "at": iso(t), "type": "start", "ceremony": title + " | 2025-07-28 | bench.toml",
        "title": title, "date": "2025-07-28", "venue": "Hội trường", "utc_offset_min": 420,
        "resumed": False,
        "items": [{"id": "muc-%d" % i, "number": i + 1, "title": "Mục %d" % (i + 1),
                   "planned_start": iso(t + i * items[1]), "planned_end": iso(t + (i + 1) * items[1]),
                   "launch": i == items[0] // 2} for i in range(items[0])],
        "points": [{"id": "xa-%d" % p, "name": "Xã số %d" % p, "kind": "xã",
                    "contact_name": "Cán bộ %d" % p, "contact_phone": "0912 000 %03d" % (p % 1000)}
                   for p in range(points)],
        "outputs": [{"id": "facebook", "kind": "rtmp"}, {"id": "ghi", "kind": "record"}],
        "probe_interval_ms": 2000,
    }


def province(path):
    t0 = 1753686000.0
    hours, points, nitems = 4, 96, 12
    slot = hours * 3600 / nitems
    recs = [start_record(t0, points, (nitems, slot), "Lễ phát động cấp tỉnh")]
    for o in ("facebook", "ghi"):
        recs.append({"at": iso(t0 + 1), "type": "output", "output": o, "state": "live"})
    for i in range(nitems):
        recs.append({"at": iso(t0 + i * slot), "type": "item", "what": "started",
                     "item": "muc-%d" % i, "number": i + 1, "cause": "schedule"})
        recs.append({"at": iso(t0 + (i + 1) * slot), "type": "item", "what": "ended",
                     "item": "muc-%d" % i, "number": i + 1, "cause": "planned-end"})
    recs.append({"at": iso(t0 + 100), "type": "command", "op": "hold", "who": "dashboard",
                 "item": "muc-0"})
    for p in range(points):
        recs.append({"at": iso(t0 + 5 + p * 0.1), "type": "point", "point": "xa-%d" % p,
                     "from": "unknown", "to": "up", "reason": "trả lời 200"})
        for k in range(5):
            down = t0 + 600 + k * 2400 + p * 7
            recs.append({"at": iso(down), "type": "point", "point": "xa-%d" % p, "from": "up",
                         "to": "down", "reason": "không trả lời: quá thời gian chờ",
                         "alert": True, "suppressed": False})
            recs.append({"at": iso(down + 45), "type": "point", "point": "xa-%d" % p,
                         "from": "down", "to": "up", "reason": "trả lời 200"})
    for k in range(3):
        recs.append({"at": iso(t0 + 3000 + k * 3000), "type": "output", "output": "facebook",
                     "state": "failed", "detail": "Lỗi kết nối tới máy chủ"})
        recs.append({"at": iso(t0 + 3020 + k * 3000), "type": "output", "output": "facebook",
                     "state": "live"})
    t = t0
    while t < t0 + hours * 3600:
        recs.append({"at": iso(t), "type": "alive", "up": 96, "degraded": 0, "down": 0,
                     "unknown": 0, "maintenance": 0, "live": ["facebook", "ghi"]})
        t += 30
    recs.append({"at": iso(t0 + hours * 3600 + 5), "type": "stop", "why": "hết giờ"})
    recs.sort(key=lambda r: r["at"])
    write(path, recs)
    return len(recs)


def national(path):
    t0 = 1753686000.0
    hours, points = 10, 3321
    recs = [start_record(t0, points, (10, hours * 360), "Lễ phát động toàn quốc")]
    recs.append({"at": iso(t0 + 1), "type": "output", "output": "facebook", "state": "live"})
    for p in range(points):
        pid = "xa-%d" % p
        state = "up"
        for k in range(7):
            to = "down" if state == "up" else "up"
            recs.append({"at": iso(t0 + 10 * k + p * 0.001), "type": "point", "point": pid,
                         "from": state, "to": to, "reason": "không trả lời: quá thời gian chờ 2000 ms",
                         "alert": to == "down", "suppressed": False})
            state = to
        recs.append({"at": iso(t0 + 60), "type": "point-flapping", "point": pid, "state": state})
        w = t0 + 60
        while w < t0 + hours * 3600:
            recs.append({"at": iso(w + 600), "type": "point-summary", "point": pid,
                         "from": iso(w), "to": iso(w + 600), "up_ms": 300000,
                         "degraded_ms": 0, "down_ms": 300000, "outages": 30, "state": "up",
                         "flapping": True})
            w += 600
    recs.append({"at": iso(t0 + hours * 3600), "type": "stop", "why": "hết giờ"})
    recs.sort(key=lambda r: r["at"])
    write(path, recs)
    return len(recs)


def write(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")


PEER = r"""
import csv, json, sys
down = {}
with open(sys.argv[1], encoding='utf-8') as f:
    last = {}
    for line in f:
        r = json.loads(line)
        if r.get('type') == 'point':
            p = r['point']
            if r['to'] == 'down': last[p] = r['at']
            elif p in last: down[p] = down.get(p, 0) + 1; last.pop(p)
        elif r.get('type') == 'point-summary':
            down[r['point']] = down.get(r['point'], 0) + r['outages']
with open(sys.argv[2], 'w', encoding='utf-8-sig', newline='') as out:
    w = csv.writer(out)
    w.writerow(['point', 'outages'])
    for p, n in sorted(down.items()): w.writerow([p, n])
"""


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    ctl = os.path.join(args.build, "ceremonyctl")
    with tempfile.TemporaryDirectory(prefix="report-bench-") as d:
        peer = os.path.join(d, "peer.py")
        open(peer, "w").write(PEER)
        for name, make in (("province", province), ("national", national)):
            journal = os.path.join(d, name + ".jsonl")
            n = make(journal)
            size = os.path.getsize(journal) / 1e6
            runs = {"ceremonyd": [], "python": []}
            for _ in range(args.rounds):
                runs["ceremonyd"].append(timed([ctl, "report", "--journal", journal,
                                                "--report-dir", os.path.join(d, "out-" + name)]))
                runs["python"].append(timed([sys.executable, peer, journal,
                                             os.path.join(d, name + "-peer.csv")]))
            med = {k: statistics.median(w for w, _, _ in v) for k, v in runs.items()}
            print("%-9s %7d records %6.1f MB | ceremonyd %.2f s (whole report) | python %.2f s "
                  "(one CSV column) | ratio %.2f" % (name, n, size, med["ceremonyd"], med["python"],
                                                     med["ceremonyd"] / med["python"]))
            html = [f for f in os.listdir(os.path.join(d, "out-" + name)) if f.endswith(".html")]
            print("          report files: %s, HTML %.1f MB" % (
                ", ".join(sorted(os.listdir(os.path.join(d, "out-" + name)))),
                os.path.getsize(os.path.join(d, "out-" + name, html[0])) / 1e6))


if __name__ == "__main__":
    main()
