#!/usr/bin/env python3
"""Watch benchmark (issue 16): what listening and looking cost, in CPU per second of programme.

The media bench's feed and programme (tests/bench/media_bench.py: a 1080p30 H.264 + AAC
file as the hall camera, ceremonyd making the 720p30 programme of data/bench.toml and
pushing it to a loopback nginx-rtmp), measured twice in the same run:

  ceremonyd            bench.toml as it is: [watch] is on by default (libebur128 on the
                       programme's mixed audio, the picture check on the hall input's
                       720p frames, the `level` meter, the 250 ms listener)
  ceremonyd-watch-off  the same file with `[watch] enabled = false` appended

and the same analysis made by ffmpeg on the same file, each beside the same command
without it, so that only the analysis' own cost is compared (decoding is common to both):

  ffmpeg-decode        ffmpeg -re -i HALL -f null -
  ffmpeg-watch         ffmpeg -re -i HALL -af ebur128=peak=true -vf freezedetect,blackdetect -f null -
  ffmpeg-720-decode    ffmpeg -re -i HALL -vf scale=1280:720 -f null -
  ffmpeg-720-watch     ffmpeg -re -i HALL -af ebur128=peak=true
                              -vf scale=1280:720,freezedetect,blackdetect -f null -

ffmpeg's filters read every pixel of the 1080p frames; ceremonyd's picture check reads a
160x90 grid of the 720p frames its input pipeline makes, hence the 720p pair.

CPU and programme seconds are measured as media_bench.py does (utime+stime of the process
tree from /proc, after a warm-up; ceremonyd's programme seconds from the FLV nginx records,
ffmpeg's from its -progress out_time; a run counts if it stayed within 0.75-1.25x real
time). Rounds are interleaved, the order rotating. Printed: the medians, the watch's cost =
median(on) - median(off) and the median of the per-round differences (a round's on and off
runs are minutes apart, not simultaneous), in CPU-s per second of programme (x 100 = % of
one core), and ceremonyd's cost / ffmpeg's. On a shared machine a round's difference is
noisy by a few hundredths of a core, more than the watch costs: the profiles (--perf, on
by default when `perf` is installed; --no-perf skips them) attribute the parts directly
(perf record -e cpu-clock of one more run of each contender, for --seconds after the
warm-up: CPU per library and, in ceremonyd, per function; the watch = libebur128 +
libgstlevel + the watch's own functions; ffmpeg's analysis = its libavfilter +
libswresample samples in a *-watch run less those in the matching *-decode run). Note that
`[watch] enabled = false` leaves each live input's `level` element in place: the A/B
difference does not include it, the profile does. --perf also times libebur128 alone
(through ctypes, with and without the true peak). Standard library only, plus perf.

  tests/bench/watch_bench.py --build build                 # 3 rounds x 30 s, then profiles
  tests/bench/watch_bench.py --build build --seconds 15 --rounds 1 --no-perf  # quick look
  tests/bench/watch_bench.py --build build --rounds 0      # the profiles only
"""

import argparse
import ctypes
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import media_bench as mb  # noqa: E402  (the media bench's feed, nginx, processes, /proc)

WATCH_OFF = "\n# Added by watch_bench.py: the same ceremony without the watch.\n" \
            "[watch]\nenabled = false\n"
EBUR128 = "ebur128=peak=true"
LOOK = "freezedetect,blackdetect"
FFMPEG_VARIANTS = {  # contender → (-af, -vf) after -re -i HALL
    "ffmpeg-decode": (None, None),
    "ffmpeg-watch": (EBUR128, LOOK),
    "ffmpeg-720-decode": (None, "scale=1280:720"),
    "ffmpeg-720-watch": (EBUR128, "scale=1280:720," + LOOK),
}
CONTENDERS = ("ceremonyd", "ceremonyd-watch-off") + tuple(FFMPEG_VARIANTS)
# (label, cost = contender - baseline)
PAIRS = (("ceremonyd", "ceremonyd", "ceremonyd-watch-off"),
         ("ffmpeg (1080p)", "ffmpeg-watch", "ffmpeg-decode"),
         ("ffmpeg (720p)", "ffmpeg-720-watch", "ffmpeg-720-decode"))


def watch_off_cmd(args, work, hall, url, run_dir):
    """bench.toml with `[watch] enabled = false`, in a dir of its own next to the hall feed."""
    sub = work / "watch-off"
    sub.mkdir(exist_ok=True)
    argv = mb.ceremonyd_cmd(args, sub, hall, url, run_dir)
    cfg = sub / "ceremony" / "bench.toml"
    text = cfg.read_text()
    if "\n[watch]" not in text:
        cfg.write_text(text + WATCH_OFF)
    return argv


mb.COMMANDS["ceremonyd-watch-off"] = watch_off_cmd  # media_bench.measure() looks it up


def ffmpeg_null_cmd(contender, hall, progress):
    af, vf = FFMPEG_VARIANTS[contender]
    argv = ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning",
            "-progress", str(progress), "-stats_period", "0.5", "-re", "-i", str(hall)]
    if af:
        argv += ["-af", af]
    if vf:
        argv += ["-vf", vf]
    return argv + ["-f", "null", "-"]


def out_time(progress):
    """ffmpeg's -progress file: the last out_time_us (s), or None."""
    try:
        text = Path(progress).read_text(errors="replace")
    except OSError:
        return None
    last = None
    for line in text.splitlines():
        if line.startswith("out_time_us="):
            try:
                v = int(line.split("=", 1)[1])
            except ValueError:
                continue
            if v > 0:
                last = v / 1e6
    return last


def measure_ffmpeg(args, work, hall, contender, round_no):
    name = f"{contender}-r{round_no}"
    run_dir = work / name
    run_dir.mkdir()
    progress = run_dir / "progress.txt"
    argv = ffmpeg_null_cmd(contender, hall, progress)
    (run_dir / "command.txt").write_text("\n".join(argv) + "\n")
    log = run_dir / "output.log"
    result = {"contender": contender, "round": round_no, "valid": False}
    p = mb.start(argv, log, cwd=run_dir)
    try:
        if not mb.wait_until(lambda: out_time(progress) is not None or p.poll() is not None, 30):
            result["why"] = "no progress within 30 s"
            return result
        time.sleep(args.warmup)
        if p.poll() is not None:
            result["why"] = f"exited with {p.returncode} during the warm-up"
            return result
        threads0 = mb.thread_seconds(p.pid)
        cpu0, busy0, t0 = mb.cpu_seconds(p.pid), mb.machine_busy_seconds(), time.monotonic()
        at0 = out_time(progress)
        deadline = t0 + args.seconds
        while time.monotonic() < deadline and p.poll() is None:
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        if p.poll() is not None:
            result["why"] = f"exited with {p.returncode} during the measurement"
            return result
        cpu1, busy1, t1 = mb.cpu_seconds(p.pid), mb.machine_busy_seconds(), time.monotonic()
        at1 = out_time(progress)
        wall = t1 - t0
        if at0 is None or at1 is None or at1 <= at0:
            result["why"] = "no progress during the measurement"
            return result
        programme = at1 - at0  # -progress is written every 0.5 s: ±0.5 s of 30
        result.update(cpu_per_s=(cpu1 - cpu0) / programme, cpu_per_wall_s=(cpu1 - cpu0) / wall,
                      speed=programme / wall, wall=wall,
                      others_per_s=max(0.0, (busy1 - busy0 - (cpu1 - cpu0)) / wall),
                      hwm_mib=mb.status_kb(p.pid, "VmHWM") / 1024)
        result["threads"] = mb.thread_profile(threads0, mb.thread_seconds(p.pid), wall)
    finally:
        mb.stop(p)
    errors = [line for line in Path(log).read_text(errors="replace").splitlines()
              if "rror" in line]
    if errors:
        result["why"] = "ffmpeg said: " + errors[0]
    elif 0.75 <= result["speed"] <= 1.25:
        result["valid"] = True
        result["received"] = f"{at1:.1f} s of the file analysed"
    else:
        result["why"] = f"not live: {result['speed']:.2f}x real time"
    return result


# ---------------------------------------------------------------- --perf


def perf_report(data, log_dir, name, keys):
    """perf report of `data`: ({dso: share}, {symbol: share}) of all samples, shares 0..1."""
    out = {}
    for sort in ("dso", "dso,sym"):
        r = mb.run(["perf", "report", "-i", str(data), "--stdio", "--no-children",
                    "--sort", sort, "--percent-limit", "0.01", "-q"], timeout=300,
                   log=log_dir / f"{name}.perf-{sort.replace(',', '-')}.txt")
        table = {}
        for line in r.stdout.decode(errors="replace").splitlines():
            parts = line.split()
            if len(parts) < 2 or not parts[0].endswith("%"):
                continue
            try:
                share = float(parts[0][:-1]) / 100
            except ValueError:
                continue
            key = parts[1] if sort == "dso" else " ".join(parts[1:])
            table[key] = table.get(key, 0.0) + share
        out[sort] = table
    syms = {k: v for k, v in out["dso,sym"].items() if any(s in k for s in keys)}
    return out["dso"], syms


def perf_run(args, nginx, work, hall, contender, log_dir):
    """One run of `contender` with `perf record -e cpu-clock` attached for args.seconds after
    the warm-up; its CPU-s/s measured as the rounds measure it (perf's own cost included:
    only the shares are used)."""
    name = f"{contender}-perf"
    run_dir = work / name
    run_dir.mkdir()
    data = run_dir / "perf.data"
    if contender.startswith("ceremonyd"):
        stream = name.replace("-", "_")
        argv = mb.COMMANDS[contender](args, work, hall, nginx.url(stream), run_dir)
        p = mb.start(argv, run_dir / "output.log", cwd=run_dir)
        ready = lambda: nginx.published(stream)  # noqa: E731
        progress = mb.FlvProgress(nginx.recording(stream))
        position = lambda: (progress.update() or (None,))[0]  # noqa: E731
    else:
        prog = run_dir / "progress.txt"
        p = mb.start(ffmpeg_null_cmd(contender, hall, prog), run_dir / "output.log", cwd=run_dir)
        ready = lambda: out_time(prog) is not None  # noqa: E731
        position = lambda: out_time(prog)  # noqa: E731
    try:
        if not mb.wait_until(lambda: ready() or p.poll() is not None, 30) or p.poll() is not None:
            return None
        time.sleep(args.warmup)
        cpu0, at0 = mb.cpu_seconds(p.pid), position()
        rec = subprocess.run(["perf", "record", "-e", "cpu-clock", "-F", "1999", "-o", str(data),
                              "-p", str(p.pid), "--", "sleep", str(args.seconds)],
                             stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=args.seconds + 120)
        cpu1, at1 = mb.cpu_seconds(p.pid), position()
        (run_dir / "perf-record.log").write_bytes(rec.stdout + rec.stderr)
        if rec.returncode != 0 or at0 is None or at1 is None or at1 <= at0:
            return None
    finally:
        mb.stop(p)
    dsos, syms = perf_report(data, log_dir, name, WATCH_DSOS + WATCH_SYMS)
    return {"cpu_per_s": (cpu1 - cpu0) / (at1 - at0), "dso": dsos, "sym": syms}


WATCH_DSOS = ("libebur128", "libgstlevel")  # ceremonyd: libraries only the watch uses
WATCH_SYMS = ("PictureCheck", "lookAt", "readLevel", "ProgrammeSound",
              "SoundWatch", "Ceremony::listen", "soundJson")  # ceremonyd: the watch's code
FFMPEG_DSOS = ("libavfilter", "libswresample")  # ffmpeg: where its filters run


def perf_costs(prof):
    """From the profiles: {label: CPU-s/s of the analysis}. ceremonyd: the samples in
    libebur128, libgstlevel and the watch's own functions; ffmpeg: the samples in libavfilter
    and libswresample (ebur128's true peak resamples to 192 kHz) of the *-watch run less
    those of its *-decode run."""
    def share(res, dsos):
        return sum(v for k, v in res["dso"].items() if any(d in k for d in dsos))

    out = {}
    c = prof.get("ceremonyd")
    if c:
        parts = {"libebur128 (loudness, true peak)": share(c, ("libebur128",)) * c["cpu_per_s"],
                 "level element": share(c, ("libgstlevel",)) * c["cpu_per_s"]}
        for sym, v in c["sym"].items():
            if sym.startswith("ceremonyd ") or "gst_video_frame_map" in sym:
                if any(k in sym for k in WATCH_SYMS):
                    parts[sym.split("] ", 1)[-1]] = v * c["cpu_per_s"]
        out["ceremonyd"] = (sum(parts.values()), parts)
    for label, on, off in PAIRS[1:]:
        a, b = prof.get(on), prof.get(off)
        if a and b:
            parts = {d: share(a, (d,)) * a["cpu_per_s"] - share(b, (d,)) * b["cpu_per_s"]
                     for d in FFMPEG_DSOS}
            out[label] = (sum(parts.values()), parts)
    return out


def print_perf(prof):
    for c, res in prof.items():
        if not res:
            print(f"   perf {c}: no profile (see the kept work dir)")
            continue
        total = res["cpu_per_s"]
        print(f"\n   perf {c}: {total:.3f} CPU-s/s while profiled; by library "
              f"(share of its samples, CPU-s/s; ≥ 0.5 % or the analysis' own):")
        for dso, share in sorted(res["dso"].items(), key=lambda kv: -kv[1]):
            if share >= 0.005 or any(k in dso for k in WATCH_DSOS + FFMPEG_DSOS):
                print(f"      {share * 100:6.2f} %  {share * total:.4f}  {dso}")
        named = {k: v for k, v in res["sym"].items() if "[.] 0x" not in k}
        if c == "ceremonyd" and named:
            print("      named functions of the watch:")
            for sym, share in sorted(named.items(), key=lambda kv: -kv[1]):
                print(f"      {share * 100:6.3f} %  {share * total:.5f}  {sym}")
    costs = perf_costs(prof)
    if costs:
        print("\n   the analysis' own cost from the profiles (CPU-s per s of programme):")
        for label, (total, parts) in costs.items():
            print(f"   {label:<15} {total:.4f} = {total * 100:.2f} % of a core  (" +
                  ", ".join(f"{k} {v:.4f}" for k, v in parts.items()) + ")")
        for peer in ("ffmpeg (1080p)", "ffmpeg (720p)"):
            if "ceremonyd" in costs and peer in costs and costs[peer][0] > 0:
                print(f"   ceremonyd's watch / {peer}'s: "
                      f"{costs['ceremonyd'][0] / costs[peer][0]:.3f}")
    return costs


def ebur128_micro(seconds=60):
    """libebur128 alone, as ProgrammeSound calls it (48 kHz stereo F32 in 20 ms buffers, the
    audio mixer's; the true peak of each channel read after each), without and with the true
    peak: {modes: CPU-s per s of sound}. Through ctypes: the call overhead is included."""
    lib = ctypes.CDLL("libebur128.so.1")
    lib.ebur128_init.restype = ctypes.c_void_p
    lib.ebur128_init.argtypes = [ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    lib.ebur128_add_frames_float.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    lib.ebur128_prev_true_peak.argtypes = [ctypes.c_void_p, ctypes.c_uint,
                                           ctypes.POINTER(ctypes.c_double)]
    lib.ebur128_destroy.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    m, s, i, tp, hist = 1, 3, 5, 49, 64  # EBUR128_MODE_* of ebur128.h
    frames = 960
    buf = (ctypes.c_float * (frames * 2))()
    for n in range(frames):  # the bench feed's 440 Hz sine at 1/8 of full scale
        buf[2 * n] = buf[2 * n + 1] = 0.125 * math.sin(2 * math.pi * 440 * n / 48000)
    out = {}
    for name, mode in (("M+S+I+histogram", m | s | i | hist),
                       ("M+S+I+histogram+true peak", m | s | i | hist | tp)):
        st = ctypes.c_void_p(lib.ebur128_init(2, 48000, mode))
        peak = ctypes.c_double()
        t0 = time.process_time()
        for _ in range(seconds * 50):
            lib.ebur128_add_frames_float(st, buf, frames)
            if mode & 32:
                lib.ebur128_prev_true_peak(st, 0, ctypes.byref(peak))
                lib.ebur128_prev_true_peak(st, 1, ctypes.byref(peak))
        out[name] = (time.process_time() - t0) / seconds
        lib.ebur128_destroy(ctypes.byref(st))
    return out


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=mb.HERE.parents[1] / "build",
                    help="build directory with ceremonyd (default: build)")
    ap.add_argument("--seconds", type=int, default=30, help="measured seconds per run (30)")
    ap.add_argument("--warmup", type=int, default=10, help="seconds skipped after start (10)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    ap.add_argument("--only", default=",".join(CONTENDERS),
                    help="comma-separated contenders (default: all six)")
    ap.add_argument("--perf", action=argparse.BooleanOptionalAction, default=None,
                    help="after the rounds, profile one more run of each contender with perf "
                    "record (CPU per library and function; --rounds 0: only that); on by "
                    "default when perf is installed")
    ap.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) /
                    "ceremonyd-bench", help="where the generated hall feed is kept")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir and recordings")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    args = ap.parse_args()
    perf_asked = args.perf is True
    if args.perf is None:
        args.perf = shutil.which("perf") is not None
    args.build = args.build.resolve()
    args.also_build = None  # media_bench.measure() reads it
    contenders = [c for c in args.only.split(",") if c]
    if any(c not in CONTENDERS for c in contenders) or not contenders:
        ap.error(f"--only takes some of {','.join(CONTENDERS)}")
    if not ((1 if not args.perf else 0) <= args.rounds <= 20 and 1 <= args.seconds <= 3600 and
            0 <= args.warmup <= 300):
        ap.error("--rounds 1..20 (0 with --perf: the profiles only), --seconds 1..3600, "
                 "--warmup 0..300")
    missing = [t for t in (mb.NGINX, mb.RTMP_MODULE, args.build / "ceremonyd")
               if not Path(t).exists()]
    missing += [t for t in ("ffmpeg", "ffprobe") + (("perf",) if perf_asked else ())
                if not shutil.which(t)]
    if missing:
        print("watch bench: missing " + ", ".join(map(str, missing)), file=sys.stderr)
        return 1

    def on_signal(signum, frame):
        mb.stop_all()
        sys.exit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    work = Path(tempfile.mkdtemp(prefix="ceremonyd-watch-bench-"))
    failed = False
    try:
        length = -(-(args.warmup + args.seconds + 30) // 30) * 30
        hall = mb.hall_file(args.cache, max(120, length), work)
        nginx = mb.Nginx(work)
        # The variant must be a configuration the daemon accepts.
        probe_dir = work / "check"
        probe_dir.mkdir()
        argv = watch_off_cmd(args, work, hall, nginx.url("check"), probe_dir)
        chk = mb.run([argv[0], "--config", argv[2], "--check"], timeout=60,
                     log=work / "watch-off-check.log")
        if chk.returncode != 0:
            raise RuntimeError("ceremonyd --check refuses the watch-off variant:\n" +
                               mb.tail(work / "watch-off-check.log"))
        load0 = Path("/proc/loadavg").read_text().strip()
        print(f"   {os.cpu_count()} CPUs, load {load0}; {args.rounds} round(s) of "
              f"{args.seconds} s after {args.warmup} s warm-up; hall feed {hall.name}; "
              f"work dir {work}", flush=True)
        results = []
        for r in range(1, args.rounds + 1):
            shift = (r - 1) % len(contenders)
            for c in contenders[shift:] + contenders[:shift]:
                if c.startswith("ceremonyd"):
                    res = mb.measure(args, nginx, work, hall, c, r)
                else:
                    res = measure_ffmpeg(args, work, hall, c, r)
                results.append(res)
                if res["valid"]:
                    print(f"   round {r} {c:<19} {res['cpu_per_s']:.4f} CPU-s/s  "
                          f"({res['speed']:.3f}x real time; others on the machine "
                          f"{res['others_per_s']:.2f} CPU-s/s; {res.get('received')})",
                          flush=True)
                else:
                    print(f"   round {r} {c:<19} INVALID: {res.get('why')}\n"
                          f"{mb.tail(work / f'{c}-r{r}' / 'output.log')}", flush=True)
        prof = {}
        if args.perf:
            for c in contenders:
                prof[c] = perf_run(args, nginx, work, hall, c, work)
        mb.stop(nginx.proc)
        load1 = Path("/proc/loadavg").read_text().strip()

        med, by_round = {}, {}
        print(f"\n   load at the start {load0}, at the end {load1}")
        if args.rounds:
            print(f"   median over valid rounds ({args.seconds} s each; CPU seconds per second "
                  f"of programme, 1.0 = one core):")
        for c in contenders if args.rounds else ():
            ok = [x for x in results if x["contender"] == c and x["valid"]]
            by_round[c] = {x["round"]: x["cpu_per_s"] for x in ok}
            if not ok:
                print(f"   {c:<19} no valid round")
                failed = True
                continue
            med[c] = statistics.median(x["cpu_per_s"] for x in ok)
            spread = ", ".join(f"{x['cpu_per_s']:.4f}" for x in ok)
            print(f"   {c:<19} {med[c]:.4f}  (rounds: {spread})")
        cost = {}
        if args.rounds:
            print("\n   the analysis' own cost (CPU-s per s of programme; x100 = % of one "
                  "core):")
        for label, on, off in PAIRS:
            if on not in med or off not in med:
                continue
            diffs = [by_round[on][r] - by_round[off][r] for r in by_round[on]
                     if r in by_round[off]]
            cost[label] = med[on] - med[off]
            per_round = statistics.median(diffs) if diffs else float("nan")
            print(f"   {label:<15} {cost[label]:+.4f} = {cost[label] * 100:+.2f} % of a core "
                  f"(median on - median off); per round {', '.join(f'{d:+.4f}' for d in diffs)}"
                  f", their median {per_round:+.4f}")
        for peer in ("ffmpeg (1080p)", "ffmpeg (720p)"):
            if "ceremonyd" in cost and peer in cost and cost[peer] > 0:
                print(f"   ceremonyd's watch / {peer}'s: {cost['ceremonyd'] / cost[peer]:.3f}")
        perf_cost = print_perf(prof) if prof else {}
        micro = ebur128_micro() if args.perf else {}
        for name, v in micro.items():
            print(f"   libebur128 alone, {name}: {v:.4f} CPU-s per s of 48 kHz stereo")
        # The profile when there is one: the A/B difference is noisier than the watch's cost.
        watch = perf_cost["ceremonyd"][0] if "ceremonyd" in perf_cost else cost.get("ceremonyd")
        if watch is not None:
            print(f"   budget, well under 5 % of one core at 720p30: the watch "
                  f"{watch * 100:.2f} % ({'profile' if 'ceremonyd' in perf_cost else 'A/B'}) "
                  f"→ {'within' if watch < 0.05 else 'OVER'}")
        if args.json:
            args.json.write_text(json.dumps({"seconds": args.seconds, "warmup": args.warmup,
                                             "load": [load0, load1], "rounds": results,
                                             "medians": med, "cost": cost, "perf": prof,
                                             "perf_cost": perf_cost, "ebur128": micro},
                                            indent=2))
    except Exception as e:
        print(f"watch bench: {e}", file=sys.stderr)
        failed = True
    finally:
        mb.stop_all()
        if args.keep or failed:
            print(f"   kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
